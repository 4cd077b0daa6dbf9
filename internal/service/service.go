// Package service is claimscreen running against its infrastructure: the
// screening service (start-up, the pipeline, health watching, hot reload of
// reference data and of the originator table) and the operations beside it
// that use the same decide step (Replay, Deadletters). It wires the
// pipeline to its adapters (kafkaio, postgres); cmd/claimscreen only parses
// flags and calls it.
package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"

	"github.com/claimscreen/claimscreen/internal/access"
	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/kafkaio"
	"github.com/claimscreen/claimscreen/internal/metrics"
	"github.com/claimscreen/claimscreen/internal/originators"
	"github.com/claimscreen/claimscreen/internal/postgres"
	"github.com/claimscreen/claimscreen/internal/refdata"
	"github.com/claimscreen/claimscreen/internal/rule"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/internal/x12intake"
	"github.com/claimscreen/claimscreen/pipeline"
	"github.com/claimscreen/claimscreen/pipeline/mem"
)

// Service is a running claimscreen: the pipeline, the HTTP endpoints and,
// in embedded mode, the in-process broker.
type Service struct {
	cfg      *config.Serve
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
	// load reloads the reference data on every activation; nil when it
	// comes from files and never changes.
	load refdata.Loader
	// originators is the PostgreSQL originator table, reloaded on every
	// change; nil with a table file or without PostgreSQL.
	originators *originators.Live
	dbTable     *postgres.Originators
	// orgs is the originator table in force (nil: none); model the topics
	// and ACLs of the trust model.
	orgs    pipeline.Originators
	model   access.Model
	subMu   sync.Mutex
	missing []string // direct trust: own topics of active originators not found (subMu)
}

// Start starts a service. ref is the reference data from files; nil takes
// it from PostgreSQL (the active releases and chart), reloaded on every
// activation. Start fails, closing what it opened, when a dependency does
// not answer or a topic is missing.
func Start(ctx context.Context, cfg *config.Serve, ref *refdata.Reference, log *zap.Logger) (*Service, error) {
	svc := &Service{cfg: cfg, log: log}
	if err := svc.start(ctx, ref); err != nil {
		svc.Close()
		return nil, err
	}
	return svc, nil
}

func (svc *Service) start(ctx context.Context, ref *refdata.Reference) error {
	cfg := svc.cfg
	var orgs pipeline.Originators
	if cfg.Screening.Registry != "" {
		t, err := originators.Load(cfg.Screening.Registry)
		if err != nil {
			return fmt.Errorf("originator table: %w", err)
		}
		orgs = t
	}
	if cfg.PostgreSQL.URL != "" {
		var err error
		if svc.pool, err = OpenDB(ctx, cfg.PostgreSQL.URL); err != nil {
			return fmt.Errorf("postgresql: %w", err)
		}
		if ref == nil {
			policy, err := rule.NewPolicy(cfg.Screening.File.Rules)
			if err != nil {
				return fmt.Errorf("rules: %w", err)
			}
			svc.load = refdata.Active(postgres.NewReleases(svc.pool), postgres.NewCharts(svc.pool), policy)
			if ref, err = svc.load(ctx); err != nil {
				return fmt.Errorf("load reference data from PostgreSQL: %w", err)
			}
			svc.logReference(ref, "active")
		}
		if orgs == nil {
			// The originator table, reloaded on every change (NOTIFY).
			svc.originators, svc.dbTable = &originators.Live{}, postgres.NewOriginators(svc.pool)
			if err := svc.loadOriginators(ctx); err != nil {
				return err
			}
			orgs = svc.originators
		}
	}
	if ref == nil {
		return errors.New("no reference data: give --codesets or --database-url")
	}
	svc.screener.Store(ref.Screener)
	svc.orgs, svc.model = orgs, Model(cfg.Access, cfg.Topics, cfg.Consumer.GroupID)
	ptopics := svc.model.Pipeline()
	inputs := svc.inputs()
	svc.topics = append(append(inputs, cfg.Topics.Review, cfg.Topics.Held, cfg.Topics.DeadLetter), NoticeTopics(ptopics, orgs)...)
	svc.brokers = cfg.Kafka.Brokers
	if cfg.Kafka.Embedded {
		if err := svc.startEmbedded(); err != nil {
			return fmt.Errorf("embedded broker: %w", err)
		}
	}
	var err error
	if svc.conn, err = Connect(ctx, cfg.Kafka, svc.brokers); err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if svc.embedded != nil {
		if _, err := svc.conn.CreateTopics(pctx, svc.topics, 3, 1); err != nil {
			return fmt.Errorf("create topics on the embedded broker: %w", err)
		}
	}
	if err := checkTopics(pctx, svc.conn, svc.topics); err != nil {
		return err
	}
	// An interchange is read, and may be dead-lettered, whole: the reader
	// fetches and the writer writes messages of up to the interchange
	// limit and a margin for headers.
	maxBytes := 0
	var intakes map[string]pipeline.Intake
	if cfg.Topics.X12 != "" {
		maxBytes = cfg.Consumer.MaxInterchangeBytes + 1<<20
		partners, _ := orgs.(x12intake.Partners)
		x12 := &x12intake.Intake{Partners: partners, MaxBytes: cfg.Consumer.MaxInterchangeBytes}
		intakes = map[string]pipeline.Intake{cfg.Topics.X12: x12}
		if cfg.Access.Direct() && cfg.Access.DirectX12 != "" {
			intakes[cfg.Access.DirectX12] = x12 // every originator's own X12 topic
		}
	}
	svc.src = svc.conn.NewSource(kafkaio.SourceConfig{Topics: inputs, GroupID: cfg.Consumer.GroupID, SessionTimeout: cfg.Consumer.SessionTimeout, MaxBytes: maxBytes,
		MaxBatchBytes: cfg.Consumer.MaxBatchBytes, Weight: pipeline.Weigher(ptopics, intakes)}, svc.log.Named("kafka"))
	svc.sink = svc.conn.NewSink(kafkaio.SinkConfig{MaxMessageBytes: maxBytes, Compression: cfg.Kafka.Compression})
	svc.ledger = mem.NewLedger()
	if svc.pool != nil {
		svc.ledger = postgres.NewLedger(svc.pool)
	}
	svc.metrics = metrics.New(svc.src.Lag)
	svc.metrics.Releases(ref.Releases)
	svc.pipe = pipeline.New(pipeline.Config{
		BatchSize: cfg.Consumer.BatchSize, BatchWait: cfg.Consumer.BatchWait, ShutdownTimeout: cfg.Consumer.ShutdownTimeout,
		Originators: orgs, TopicRecheck: cfg.Consumer.TopicRecheck, Topics: ptopics, Intakes: intakes,
	}, svc.src, svc.sink, svc.ledger, &svc.screener, claim.NewDecoder(cfg.Screening.File.Limits.Decoder()), svc.metrics, svc.log.Named("pipeline"))
	if svc.httpLn, err = net.Listen("tcp", cfg.HTTP.Addr); err != nil {
		return fmt.Errorf("http: %w", err)
	}
	svc.http = &http.Server{Handler: svc.metrics.Handler(), ReadHeaderTimeout: 5 * time.Second}
	svc.metrics.Ready(true)
	svc.log.Info("serving", zap.String("trust", cfg.Access.Trust), zap.Strings("inputs", inputs), zap.Bool("postgres", svc.pool != nil), zap.Strings("brokers", svc.brokers), zap.String("group", cfg.Consumer.GroupID), zap.String("input", cfg.Topics.Input),
		zap.String("http", svc.httpLn.Addr().String()), zap.Bool("embedded", cfg.Kafka.Embedded), zap.Bool("originator_table", orgs != nil && orgs.Active() != nil))
	return nil
}

// Brokers are the bootstrap brokers in use (the embedded broker's address
// in embedded mode).
func (svc *Service) Brokers() []string { return svc.brokers }

// Topics are the topics the service checked at start.
func (svc *Service) Topics() []string { return svc.topics }

// Conn is the service's Kafka connection (for tools beside it: the demo
// produces and reads through it).
func (svc *Service) Conn() *kafkaio.Conn { return svc.conn }

// Sink is the service's writer.
func (svc *Service) Sink() pipeline.Sink { return svc.sink }

// Addr is the HTTP endpoint's address.
func (svc *Service) Addr() string { return svc.httpLn.Addr().String() }

// logReference logs what a loader loaded.
func (svc *Service) logReference(ref *refdata.Reference, state string) {
	for _, n := range ref.Notes {
		svc.log.Info("code-set file skipped", zap.String("note", n))
	}
	for _, r := range ref.Releases {
		svc.log.Info("code-set release "+state, zap.String("system", r.System), zap.String("version", r.Version),
			zap.String("covers", r.Coverage.String()), zap.Int("rows", r.Rows), zap.String("source", r.Source), zap.String("sha256", r.SHA256))
	}
	svc.log.Info("crosswalk chart "+state, zap.String("version", ref.Chart.Version), zap.Int("rows", ref.Chart.Len()))
}

// FileReference loads the reference data of the files the configuration
// names (--codesets, --crosswalk) and logs what it loaded; nil, nil when it
// names none (Start then takes the active releases from PostgreSQL).
func FileReference(ctx context.Context, cfg *config.Serve, log *zap.Logger) (*refdata.Reference, error) {
	if cfg.Screening.Codesets == "" {
		return nil, nil
	}
	policy, err := rule.NewPolicy(cfg.Screening.File.Rules)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	ref, err := refdata.Files(cfg.Screening.Codesets, cfg.Screening.Crosswalk, policy)(ctx)
	if err != nil {
		return nil, fmt.Errorf("load reference data: %w", err)
	}
	LogReference(log, ref)
	return ref, nil
}

// LogReference logs what was loaded from files, as Start logs what it
// loads from PostgreSQL.
func LogReference(log *zap.Logger, ref *refdata.Reference) {
	(&Service{log: log}).logReference(ref, "loaded")
}

// loadOriginators reads the originator table into svc.originators.
func (svc *Service) loadOriginators(ctx context.Context) error {
	t, err := svc.dbTable.Load(ctx)
	if err != nil {
		return fmt.Errorf("load the originator table: %w", err)
	}
	svc.originators.Store(t)
	return nil
}

// Model is the topics and ACLs of a configuration's trust model.
func Model(a config.Access, t config.Topics, group string) access.Model {
	return access.Model{Access: a, Topics: t, Group: group}
}

// inputs are the topics the service reads: the shared submit topics in
// gateway trust; in direct trust every active originator's own topics.
func (svc *Service) inputs() []string {
	if !svc.cfg.Access.Direct() {
		return svc.cfg.Topics.Inputs()
	}
	return OwnTopics(svc.model, svc.orgs)
}

// OwnTopics are the own submit topics of a table's active originators
// (direct trust), sorted.
func OwnTopics(m access.Model, o pipeline.Originators) []string {
	if o == nil {
		return nil
	}
	p := m.Pipeline()
	var out []string
	for id := range o.Active() {
		out = append(out, p.OwnTopics(id)...)
	}
	sort.Strings(out)
	return out
}

// resubscribe (direct trust) reads the own topics of the originators
// active now that exist: an originator added while the service runs is
// read within a second of its topics and its row (originators add makes
// both); a disabled one's topics are left.
func (svc *Service) resubscribe(ctx context.Context) {
	if !svc.cfg.Access.Direct() || svc.src == nil {
		return
	}
	svc.subMu.Lock()
	defer svc.subMu.Unlock()
	want := svc.inputs()
	ex, err := svc.conn.Exists(ctx, want)
	if err != nil {
		svc.log.Warn("check the originators' topics; reading the ones in use", zap.Error(err))
		return
	}
	var read, missing []string
	for _, t := range want {
		if ex[t] {
			read = append(read, t)
		} else {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 && strings.Join(missing, ",") != strings.Join(svc.missing, ",") {
		svc.log.Warn("originators' topics missing: not read until they exist (claimscreen originators add makes them)", zap.Strings("topics", missing))
	}
	svc.missing = missing
	svc.src.SetTopics(read)
}

// topicsMissing reports whether some active originator's own topics were
// missing when last checked.
func (svc *Service) topicsMissing() bool {
	svc.subMu.Lock()
	defer svc.subMu.Unlock()
	return len(svc.missing) > 0
}

// NoticeTopics are the notice topics of a table's active originators
// (none without a table).
func NoticeTopics(t pipeline.Topics, o pipeline.Originators) []string {
	if o == nil {
		return nil
	}
	var out []string
	for id := range o.Active() {
		out = append(out, pipeline.NoticeTopicOf(t, o, id))
	}
	sort.Strings(out)
	return out
}

// checkTopics fails, naming them, when topics are missing: serve never
// creates topics.
func checkTopics(ctx context.Context, conn *kafkaio.Conn, topics []string) error {
	ex, err := conn.Exists(ctx, topics)
	if err != nil {
		return fmt.Errorf("check topics: %w", err)
	}
	var missing []string
	for _, t := range topics {
		if !ex[t] {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("topics missing: %s; create them with 'claimscreen topics create' (serve never creates topics)", strings.Join(missing, ", "))
	}
	return nil
}

// Security is the Kafka security of a configuration.
func Security(k config.Kafka) kafkaio.Security {
	return kafkaio.Security{TLS: k.TLS, TLSCAFile: k.TLSCA, TLSCertFile: k.TLSCert,
		TLSKeyFile: k.TLSKey, SASLMechanism: k.SASLMechanism, SASLUser: k.SASLUser, SASLPassword: k.SASLPassword}
}

// Connect opens a Kafka connection to brokers with k's security and checks
// that a broker answers.
func Connect(ctx context.Context, k config.Kafka, brokers []string) (*kafkaio.Conn, error) {
	conn, err := kafkaio.NewConn(brokers, Security(k))
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := conn.Ping(pctx); err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	return conn, nil
}

// OpenDB connects to PostgreSQL and applies any pending migration.
func OpenDB(ctx context.Context, url string) (*pgxpool.Pool, error) {
	return postgres.OpenMigrated(ctx, url)
}

func (svc *Service) startEmbedded() error {
	_, portStr, err := net.SplitHostPort(svc.cfg.Kafka.EmbeddedAddr)
	if err != nil {
		return fmt.Errorf("embedded-addr %q: %w", svc.cfg.Kafka.EmbeddedAddr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("embedded-addr %q: port: %w", svc.cfg.Kafka.EmbeddedAddr, err)
	}
	// Room for the largest interchange and a produce batch's overhead, as
	// deploy/local sets the broker's message.max.bytes.
	c, err := kfake.NewCluster(kfake.Ports(port), kfake.NumBrokers(1),
		kfake.BrokerConfigs(map[string]string{"message.max.bytes": strconv.Itoa(svc.cfg.Consumer.MaxInterchangeBytes + 2<<20)}))
	if err != nil {
		return err
	}
	svc.embedded = c
	svc.brokers = c.ListenAddrs()
	return nil
}

// Migrate applies the database's pending migrations and returns their
// versions (none: it was up to date).
func Migrate(ctx context.Context, url string) ([]int, error) {
	pool, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	return postgres.Migrate(ctx, pool)
}

// ImportCodeSets reads the code-set file (or folder) at path as format
// ("": recognised by name or header) and imports its releases into
// PostgreSQL in one transaction; notes name the files skipped.
func ImportCodeSets(ctx context.Context, reg *postgres.Releases, path, format string) ([]postgres.ImportResult, []string, error) {
	rels, notes, err := refdata.ReadCodeSets(path, format)
	if err != nil {
		return nil, notes, err
	}
	res, err := reg.ImportReleases(ctx, rels)
	return res, notes, err
}
