package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/crosswalk"
	"github.com/claimscreen/claimscreen/internal/kafkaio"
	"github.com/claimscreen/claimscreen/internal/metrics"
	"github.com/claimscreen/claimscreen/internal/postgres"
	"github.com/claimscreen/claimscreen/internal/registry"
	"github.com/claimscreen/claimscreen/internal/rule"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/pipeline"
	"github.com/claimscreen/claimscreen/pipeline/mem"
)

func serveUsage(w io.Writer, name string) {
	fmt.Fprintf(w, "usage: claimscreen %s [flags]\n\nSettings (flag, environment; flags win over the environment, which wins over the file):\n", name)
	for _, st := range config.Settings {
		fmt.Fprintf(w, "  --%-24s %s (%s)\n", st.Name, st.Help, st.Env)
	}
}

// loadServiceConfig parses serve-style flags; a bad setting is a usage
// error that names every problem.
func loadServiceConfig(name string, args []string, s stdio) (*config.Service, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	cfg, err := config.LoadService(fs, args, s.env)
	if errors.Is(err, flag.ErrHelp) {
		serveUsage(s.err, name)
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	return cfg, nil
}

func newLogger(level string, w io.Writer) *zap.Logger {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		lvl = zapcore.InfoLevel
	}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	return zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(zapcore.AddSync(w)), lvl))
}

func runServe(ctx context.Context, args []string, s stdio) error {
	cfg, err := loadServiceConfig("serve", args, s)
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel, s.err)
	defer log.Sync()
	var sc *screening.Screener
	var rels []*codeset.Release
	if cfg.Codesets != "" {
		if sc, rels, err = reference(cfg, log); err != nil {
			return fmt.Errorf("load reference data: %w", err)
		}
	}
	svc, err := startService(ctx, cfg, sc, rels, log)
	if err != nil {
		return err
	}
	if svc.embedded != nil {
		fmt.Fprintf(s.out, "embedded Kafka broker listening on %s (topics %s)\n", svc.brokers[0], strings.Join(svc.topics, ", "))
	}
	return svc.run(ctx)
}

// service is a running claimscreen: pipeline, HTTP endpoints and, in
// embedded mode, the in-process broker.
type service struct {
	cfg      *config.Service
	log      *zap.Logger
	brokers  []string
	topics   []string
	embedded *kfake.Cluster
	conn     *kafkaio.Conn
	src      *kafkaio.Source
	sink     *kafkaio.Sink
	ledger   pipeline.Ledger
	metrics  *metrics.Metrics
	http     *http.Server
	httpLn   net.Listener
	pipe     *pipeline.Pipeline
	screener atomic.Pointer[screening.Screener]
	pool     *pgxpool.Pool
	registry *postgres.Registry
	policy   *rule.Policy
	fromDB   bool // reference data from PostgreSQL, reloaded on activation
	// originators is the originator table when it is the registry; nil
	// with a registry file or without PostgreSQL.
	originators *liveRegistry
}

// liveRegistry is the originator table as last loaded. While the table is
// empty every valid originator id is allowed.
type liveRegistry struct {
	reg atomic.Pointer[postgres.OriginatorRegistry]
}

// Lookup implements pipeline.Registry.
func (l *liveRegistry) Lookup(id string) (string, bool) {
	r := l.reg.Load()
	if r == nil {
		return "", true
	}
	return r.Lookup(id)
}

// Originators implements pipeline.Registry.
func (l *liveRegistry) Originators() map[string]string {
	if r := l.reg.Load(); r != nil {
		return *r
	}
	return nil
}

// loadOriginators reads the originator table into svc.originators.
func (svc *service) loadOriginators(ctx context.Context) error {
	o, ok, err := svc.registry.LoadOriginators(ctx)
	if err != nil {
		return fmt.Errorf("load the originator table: %w", err)
	}
	if !ok {
		svc.originators.reg.Store(nil)
		return nil
	}
	svc.originators.reg.Store(&o)
	return nil
}

// reference loads the code sets, chart and policy of a configuration.
func reference(cfg *config.Service, log *zap.Logger) (*screening.Screener, []*codeset.Release, error) {
	policy, err := rule.NewPolicy(cfg.File.Rules)
	if err != nil {
		return nil, nil, err
	}
	rels, notes, err := codeset.LoadDir(cfg.Codesets)
	for _, n := range notes {
		log.Info("code-set file skipped", zap.String("note", n))
	}
	if err != nil {
		return nil, nil, err
	}
	snap, err := codeset.NewSnapshot(rels)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range snap.Releases() {
		log.Info("code-set release loaded", zap.String("system", r.System), zap.String("version", r.Version),
			zap.String("covers", r.Coverage.String()), zap.Int("rows", r.Rows), zap.String("source", r.Source), zap.String("sha256", r.SHA256))
	}
	chart := crosswalk.Empty()
	if cfg.Crosswalk != "" {
		if chart, err = crosswalk.Load(cfg.Crosswalk); err != nil {
			return nil, nil, err
		}
		log.Info("crosswalk chart loaded", zap.String("version", chart.Version), zap.Int("rows", chart.Len()))
	}
	return screening.New(snap, chart, policy), snap.Releases(), nil
}

// security is the Kafka security of a configuration.
func security(cfg *config.Service) kafkaio.Security {
	return kafkaio.Security{TLS: cfg.KafkaTLS, TLSCAFile: cfg.KafkaTLSCA, TLSCertFile: cfg.KafkaTLSCert,
		TLSKeyFile: cfg.KafkaTLSKey, SASLMechanism: cfg.SASLMechanism, SASLUser: cfg.SASLUser, SASLPassword: cfg.SASLPassword}
}

// registryTopics are the notice topics of a registry's active originators.
func registryTopics(cfg *config.Service, reg pipeline.Registry) []string {
	var out []string
	for id, t := range reg.Originators() {
		if t == "" {
			t = strings.ReplaceAll(cfg.NoticeTemplate, "{originator}", id)
		}
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// baseTopics are the topics serve reads and writes, besides notices.
func baseTopics(cfg *config.Service) []string {
	return []string{cfg.InputTopic, cfg.ReviewTopic, cfg.HeldTopic, cfg.DeadLetterTopic}
}

// startService starts a service. sc and rels are the reference data from
// files; when sc is nil they come from PostgreSQL (the active releases and
// chart) and are reloaded on every activation.
func startService(ctx context.Context, cfg *config.Service, sc *screening.Screener, rels []*codeset.Release, log *zap.Logger) (*service, error) {
	svc := &service{cfg: cfg, log: log}
	var err error
	var reg pipeline.Registry
	if cfg.Registry != "" {
		r, err := registry.Load(cfg.Registry)
		if err != nil {
			return nil, err
		}
		reg = r
	}
	if cfg.DatabaseURL != "" {
		if svc.pool, err = openDB(ctx, cfg.DatabaseURL); err != nil {
			return nil, err
		}
		svc.registry = postgres.NewRegistry(svc.pool)
		if svc.policy, err = rule.NewPolicy(cfg.File.Rules); err != nil {
			svc.close()
			return nil, err
		}
		if sc == nil {
			svc.fromDB = true
			if sc, rels, err = svc.loadReference(ctx); err != nil {
				svc.close()
				return nil, fmt.Errorf("load reference data from PostgreSQL: %w", err)
			}
		}
		if reg == nil {
			// The originator table, reloaded on every change (NOTIFY).
			svc.originators = &liveRegistry{}
			if err := svc.loadOriginators(ctx); err != nil {
				svc.close()
				return nil, err
			}
			reg = svc.originators
		}
	}
	if sc == nil {
		return nil, errors.New("no reference data: give --codesets or --database-url")
	}
	svc.screener.Store(sc)
	svc.topics = baseTopics(cfg)
	if reg != nil {
		svc.topics = append(svc.topics, registryTopics(cfg, reg)...)
	}
	svc.brokers = cfg.Brokers
	if cfg.Embedded {
		if err := svc.startEmbedded(ctx); err != nil {
			return nil, err
		}
	}
	svc.conn, err = kafkaio.NewConn(svc.brokers, security(cfg))
	if err != nil {
		svc.close()
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := svc.conn.Ping(pctx); err != nil {
		svc.close()
		return nil, err
	}
	if svc.embedded != nil {
		if _, err := svc.conn.CreateTopics(pctx, svc.topics, 3, 1); err != nil {
			svc.close()
			return nil, err
		}
	}
	ex, err := svc.conn.Exists(pctx, svc.topics)
	if err != nil {
		svc.close()
		return nil, err
	}
	var missing []string
	for _, t := range svc.topics {
		if !ex[t] {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		svc.close()
		return nil, fmt.Errorf("topics missing: %s; create them with 'claimscreen topics create' (serve never creates topics)", strings.Join(missing, ", "))
	}
	svc.src = svc.conn.NewSource(kafkaio.SourceConfig{Topic: cfg.InputTopic, GroupID: cfg.GroupID, SessionTimeout: cfg.SessionTimeout}, log.Named("kafka"))
	svc.sink = svc.conn.NewSink(kafkaio.SinkConfig{})
	svc.ledger = mem.NewLedger()
	if svc.pool != nil {
		svc.ledger = postgres.NewLedger(svc.pool)
	}
	svc.metrics = metrics.New(svc.src.Lag)
	svc.metrics.Releases(rels)
	svc.pipe = pipeline.New(pipeline.Config{
		BatchSize: cfg.BatchSize, BatchWait: cfg.BatchWait, ShutdownTimeout: cfg.ShutdownTimeout, Registry: reg, TopicRecheck: cfg.TopicRecheck,
		Topics: pipeline.Topics{Review: cfg.ReviewTopic, Held: cfg.HeldTopic, DeadLetter: cfg.DeadLetterTopic, NoticeTemplate: cfg.NoticeTemplate},
	}, svc.src, svc.sink, svc.ledger, &svc.screener, claim.NewDecoder(cfg.File.Limits.Decoder()), svc.metrics, log.Named("pipeline"))
	svc.httpLn, err = net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		svc.close()
		return nil, fmt.Errorf("http: %w", err)
	}
	svc.http = &http.Server{Handler: svc.metrics.Handler(), ReadHeaderTimeout: 5 * time.Second}
	svc.metrics.Ready(true)
	log.Info("serving", zap.Bool("postgres", svc.pool != nil), zap.Strings("brokers", svc.brokers), zap.String("group", cfg.GroupID), zap.String("input", cfg.InputTopic),
		zap.String("http", svc.httpLn.Addr().String()), zap.Bool("embedded", cfg.Embedded), zap.Bool("registry", reg != nil && reg.Originators() != nil))
	return svc, nil
}

func (svc *service) startEmbedded(ctx context.Context) error {
	_, portStr, err := net.SplitHostPort(svc.cfg.EmbeddedAddr)
	if err != nil {
		return fmt.Errorf("embedded-addr %q: %w", svc.cfg.EmbeddedAddr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("embedded-addr %q: port: %w", svc.cfg.EmbeddedAddr, err)
	}
	c, err := kfake.NewCluster(kfake.Ports(port), kfake.NumBrokers(1))
	if err != nil {
		return fmt.Errorf("embedded broker: %w", err)
	}
	svc.embedded = c
	svc.brokers = c.ListenAddrs()
	return nil
}

// run serves until ctx is done, then shuts down in order: stop fetching and
// finish the batch in hand, flush the writer, leave the group, stop HTTP.
func (svc *service) run(ctx context.Context) error {
	httpDone := make(chan error, 1)
	go func() {
		err := svc.http.Serve(svc.httpLn)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		httpDone <- err
	}()
	listenDone := make(chan struct{})
	lctx, stopListen := context.WithCancel(ctx)
	if svc.fromDB || svc.originators != nil {
		go func() {
			defer close(listenDone)
			svc.registry.Listen(lctx, nil, func() {
				if svc.fromDB {
					svc.reload(lctx)
				}
				if svc.originators != nil {
					if err := svc.loadOriginators(lctx); err != nil {
						svc.log.Error("reload the originator table; keeping the one in use", zap.Error(err))
					} else {
						svc.log.Info("originator table reloaded", zap.Int("active", len(svc.originators.Originators())))
					}
				}
			}, func(err error) { svc.log.Warn("listen for activations; reconnecting", zap.Error(err)) })
		}()
	} else {
		close(listenDone)
	}
	watchDone := make(chan struct{})
	go func() { defer close(watchDone); svc.watch(lctx, time.Second) }()
	err := svc.pipe.Run(ctx)
	stopListen()
	<-listenDone
	<-watchDone
	svc.log.Info("shutting down")
	svc.metrics.Ready(false)
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	svc.http.Shutdown(sctx)
	if herr := <-httpDone; herr != nil && err == nil {
		err = fmt.Errorf("http: %w", herr)
	}
	svc.close()
	return err
}

// watch checks the broker and the database every interval: while one does
// not answer, /readyz says which and the claimscreen_ready gauge is 0. The
// pipeline meanwhile waits or retries by itself and resumes when it answers.
func (svc *service) watch(ctx context.Context, every time.Duration) {
	type check struct {
		name string
		ping func(context.Context) error
	}
	checks := []check{{"kafka", svc.conn.Ping}}
	if svc.pool != nil {
		checks = append(checks, check{"postgresql", svc.pool.Ping})
	}
	since := map[string]time.Time{} // when a dependency went down
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for _, c := range checks {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := c.ping(pctx)
			cancel()
			if ctx.Err() != nil {
				return
			}
			svc.metrics.Dependency(c.name, err == nil)
			switch at, down := since[c.name]; {
			case err != nil && !down:
				since[c.name] = time.Now()
				svc.log.Warn("dependency unreachable; not ready, the pipeline waits and retries", zap.String("dependency", c.name), zap.Error(err))
			case err == nil && down:
				delete(since, c.name)
				svc.log.Info("dependency reachable again; ready", zap.String("dependency", c.name), zap.Duration("down_for", time.Since(at)))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (svc *service) close() {
	if svc.sink != nil {
		if err := svc.sink.Close(); err != nil {
			svc.log.Warn("close writer", zap.Error(err))
		}
	}
	if svc.src != nil {
		if err := svc.src.Close(); err != nil {
			svc.log.Warn("close reader", zap.Error(err))
		}
	}
	if svc.embedded != nil {
		svc.embedded.Close()
	}
	if svc.pool != nil {
		svc.pool.Close()
	}
}

// loadReference builds a screener from the active releases and chart in
// PostgreSQL.
func (svc *service) loadReference(ctx context.Context) (*screening.Screener, []*codeset.Release, error) {
	rels, err := svc.registry.LoadActive(ctx)
	if err != nil {
		return nil, nil, err
	}
	snap, err := codeset.NewSnapshot(rels)
	if err != nil {
		return nil, nil, err
	}
	chart, err := svc.registry.LoadActiveChart(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range snap.Releases() {
		svc.log.Info("code-set release active", zap.String("system", r.System), zap.String("version", r.Version), zap.Int("rows", r.Rows))
	}
	svc.log.Info("crosswalk chart active", zap.String("version", chart.Version), zap.Int("rows", chart.Len()))
	return screening.New(snap, chart, svc.policy), snap.Releases(), nil
}

// reload builds the new snapshot beside the old one and swaps it in; the
// pipeline picks it up at its next batch, without pausing.
func (svc *service) reload(ctx context.Context) {
	start := time.Now()
	sc, rels, err := svc.loadReference(ctx)
	if err != nil {
		svc.log.Error("reload reference data; keeping the snapshot in use", zap.Error(err))
		return
	}
	svc.screener.Store(sc)
	if svc.metrics != nil {
		svc.metrics.Releases(rels)
	}
	svc.log.Info("reference data reloaded", zap.Int("releases", len(rels)), zap.Duration("took", time.Since(start)))
}

func ruleFor(cfg *config.Service) (*rule.Policy, error) { return rule.NewPolicy(cfg.File.Rules) }
