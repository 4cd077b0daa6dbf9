package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/claimscreen/claimscreen/internal/bench"
	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/gen"
	"github.com/claimscreen/claimscreen/internal/kafkaio"
	"github.com/claimscreen/claimscreen/internal/postgres"
	"github.com/claimscreen/claimscreen/internal/refdata"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/internal/testenv"
	"github.com/claimscreen/claimscreen/pipeline"
	"github.com/claimscreen/claimscreen/pipeline/mem"
)

// e2e is one end-to-end setup on real Kafka with topics of its own.
type e2e struct {
	t      testing.TB
	prefix string
	cfg    *config.Serve
	conn   *kafkaio.Conn
	orgs   []string
	logs   syncBuffer // every log line of the services, JSON, debug level
}

func newE2E(t testing.TB, orgs []string, extra ...string) *e2e {
	t.Helper()
	brokers := testenv.KafkaBrokers(t)
	p := fmt.Sprintf("e2e%d", time.Now().UnixNano())
	args := append([]string{"--brokers", strings.Join(brokers, ","), "--codesets", "(samples)", "--http-addr", "127.0.0.1:0",
		"--group", p + "-group", "--input-topic", p + ".submitted", "--x12-topic", p + ".x12", "--review-topic", p + ".review", "--held-topic", p + ".held",
		"--deadletter-topic", p + ".deadletter", "--notice-topic-template", p + ".notices.{originator}", "--batch-wait-ms", "20", "--batch-size", "100"}, extra...)
	cfg, err := config.LoadServe(flag.NewFlagSet("t", flag.ContinueOnError), args, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	conn, err := kafkaio.NewConn(brokers, kafkaio.Security{})
	if err != nil {
		t.Fatal(err)
	}
	topics := cfg.Topics.Base()
	for _, o := range orgs {
		topics = append(topics, p+".notices."+o)
	}
	if _, err := conn.CreateTopics(context.Background(), topics, 3, 1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.DeleteTopics(context.Background(), topics) })
	return &e2e{t: t, prefix: p, cfg: cfg, conn: conn, orgs: orgs}
}

func (e *e2e) start(ctx context.Context) (stop func() error) {
	_, stop = e.startSvc(ctx, false)
	return stop
}

// startSvc starts a service; fromDB takes the reference data from
// PostgreSQL (--database-url must be set) instead of the samples.
func (e *e2e) startSvc(ctx context.Context, fromDB bool) (*Service, func() error) {
	e.t.Helper()
	var ref *refdata.Reference
	if !fromDB {
		var err error
		if ref, err = refdata.Samples(nil)(ctx); err != nil {
			e.t.Fatal(err)
		}
	}
	jsonCore := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&e.logs), zap.DebugLevel)
	log := zap.New(zapcore.NewTee(zaptest.NewLogger(e.t).Core(), jsonCore)).Named("svc")
	svc, err := Start(ctx, e.cfg, ref, log)
	if err != nil {
		e.t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(rctx) }()
	return svc, sync.OnceValue(func() error { cancel(); return <-done })
}

func (e *e2e) produce(values [][]byte) {
	e.t.Helper()
	sink := e.conn.NewSink(kafkaio.SinkConfig{})
	defer sink.Close()
	var outs []pipeline.Output
	for i, v := range values {
		outs = append(outs, pipeline.Output{Topic: e.cfg.Topics.Input, Key: []byte(fmt.Sprintf("in-%d", i)), Value: v})
	}
	if err := pipeline.Produce.Write(context.Background(), sink, outs); err != nil {
		e.t.Fatal(err)
	}
}

// admin is the configuration of an admin command (replay, deadletters) on
// this setup's topics, with extra settings.
func (e *e2e) admin(extra ...string) *config.Admin {
	e.t.Helper()
	args := append([]string{"--brokers", strings.Join(e.conn.Brokers, ","), "--input-topic", e.cfg.Topics.Input, "--review-topic", e.cfg.Topics.Review,
		"--held-topic", e.cfg.Topics.Held, "--deadletter-topic", e.cfg.Topics.DeadLetter, "--notice-topic-template", e.cfg.Topics.NoticeTemplate}, extra...)
	cfg, err := config.LoadAdmin(flag.NewFlagSet("t", flag.ContinueOnError), args, func(string) (string, bool) { return "", false })
	if err != nil {
		e.t.Fatal(err)
	}
	return cfg
}

// hdr is a message's header value, or "".
func hdr(m pipeline.Message, k string) string { return pipeline.HeaderValue(m.Headers, k) }

func (e *e2e) drain(topic string, n int) []pipeline.Message {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	msgs, err := e.conn.Drain(ctx, topic, n)
	if err != nil {
		e.t.Fatalf("%s: %d of %d messages: %v", topic, len(msgs), n, err)
	}
	return msgs
}

// genClaims makes n distinct generated claims for orgs.
func genClaims(t testing.TB, n int, orgs []string) [][]byte {
	out, err := gen.SampleClaims(n, orgs, 7)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// expected screens the claims directly, as the service must.
func expected(t *testing.T, values [][]byte) map[string]screening.Decision {
	out, err := samples.Decisions(values, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestServeEndToEnd(t *testing.T) {
	orgs := []string{"ORG-A", "ORG-B", "ORG-C"}
	e := newE2E(t, orgs)
	values := genClaims(t, 300, orgs)
	poison := [][]byte{[]byte("not json"), []byte(`{"claim_id":"X","originator_id":"ORG-A/../` + e.prefix + `.review"}`), []byte(strings.Repeat("[", 50)),
		[]byte(`{"claim_id":"STEER-1","originator_id":"ORG-Z","form":"professional","diagnoses":[{"code":"Q99.99"}],"lines":[{"procedure":{"code":"99213"},"service_date":"2025-11-01","charge":"1","diagnosis_pointers":[1]}]}`)}
	all := append(append([][]byte(nil), values[:150]...), poison...)
	all = append(all, values[150:]...)
	want := expected(t, values)
	var nAcc, nRej, nHeld int
	rejBy := map[string]int{}
	for k, d := range want {
		switch d.Outcome {
		case screening.Accepted:
			nAcc++
		case screening.Rejected:
			nRej++
			rejBy[strings.Split(k, "/")[0]]++
		case screening.Held:
			nHeld++
		}
	}
	if nAcc == 0 || nRej == 0 {
		t.Fatalf("generated claims lack variety: %d accepted %d rejected", nAcc, nRej)
	}
	svc, stop := e.startSvc(context.Background(), false)
	defer stop()
	e.produce(all)

	check := func(m pipeline.Message, schema string) {
		d := want[string(m.Key)]
		var v struct {
			Schema   string
			Decision *screening.Decision
			Findings json.RawMessage
			NoticeID string `json:"notice_id"`
		}
		if err := json.Unmarshal(m.Value, &v); err != nil {
			t.Fatal(err)
		}
		if v.Schema != schema || hdr(m, pipeline.HeaderSchema) != schema || hdr(m, pipeline.HeaderContentType) != "application/json" || hdr(m, pipeline.HeaderDecisionID) == "" {
			t.Errorf("%s: schema %s headers %+v", m.Key, v.Schema, m.Headers)
		}
		wantFindings, _ := json.Marshal(d.Findings)
		if v.Decision != nil {
			got, _ := json.Marshal(v.Decision)
			exp, _ := json.Marshal(d)
			if string(got) != string(exp) {
				t.Errorf("%s: decision\n got %s\nwant %s", m.Key, got, exp)
			}
		} else if string(v.Findings) != string(wantFindings) {
			t.Errorf("%s: notice findings\n got %s\nwant %s", m.Key, v.Findings, wantFindings)
		}
	}
	for _, m := range e.drain(e.cfg.Topics.Review, nAcc) {
		check(m, "review.v1")
	}
	if nHeld > 0 {
		for _, m := range e.drain(e.cfg.Topics.Held, nHeld) {
			check(m, "review.v1")
		}
	}
	for org, n := range rejBy {
		for _, m := range e.drain(e.prefix+".notices."+org, n) {
			if !strings.HasPrefix(string(m.Key), org+"/") {
				t.Errorf("notice for %s on %s's topic", m.Key, org)
			}
			check(m, "notice.v1")
		}
	}
	// Poison messages are dead-lettered with their bytes; ORG-Z has no
	// notice topic, so its rejection is dead-lettered too (never a topic
	// made because a message asked).
	dead := e.drain(e.cfg.Topics.DeadLetter, 4)
	reasons := map[string]int{}
	for _, m := range dead {
		reasons[hdr(m, pipeline.HeaderReason)]++
		if hdr(m, pipeline.HeaderSrcTopic) != e.cfg.Topics.Input || hdr(m, pipeline.HeaderSrcOffset) == "" {
			t.Errorf("dead letter headers %+v", m.Headers)
		}
	}
	if reasons["MALFORMED"] != 3 || reasons[pipeline.ReasonNoticeTopicMissing] != 1 {
		t.Errorf("dead letter reasons %v", reasons)
	}
	if ex, _ := e.conn.Exists(context.Background(), []string{e.prefix + ".notices.ORG-Z"}); ex[e.prefix+".notices.ORG-Z"] {
		t.Error("a notice topic was created because a message named an originator")
	}
	rec := httptest.NewRecorder()
	svc.metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// No member id or birth date in any log line (debug level: a line per
	// claim) or metric of the run.
	if scanned, _ := testenv.PHIHits(t, values, []string{e.logs.String(), rec.Body.String()}); scanned < len(values) {
		t.Errorf("only %d log lines and metrics scanned for %d claims", scanned, len(values))
	}
}

// failingSink fails every write while fail is set.
type failingSink struct {
	pipeline.Sink
	fail atomic.Bool
}

func (f *failingSink) Write(ctx context.Context, outs []pipeline.Output) error {
	if f.fail.Load() {
		idx := make([]int, len(outs))
		for i := range idx {
			idx[i] = i
		}
		return &pipeline.WriteError{Failed: idx, Err: errors.New("broker refused the write")}
	}
	return f.Sink.Write(ctx, outs)
}

func TestCommitAfterAcknowledgement(t *testing.T) {
	orgs := []string{"ORG-A", "ORG-B"}
	e := newE2E(t, orgs)
	values := genClaims(t, 100, orgs)
	e.produce(values)
	sc, _ := samples.Screener(nil)
	var ptr atomic.Pointer[screening.Screener]
	ptr.Store(sc)
	runOnce := func(sink pipeline.Sink, timeout time.Duration) error {
		src := e.conn.NewSource(kafkaio.SourceConfig{Topic: e.cfg.Topics.Input, GroupID: e.cfg.Consumer.GroupID}, nil)
		defer src.Close()
		p := pipeline.New(pipeline.Config{BatchSize: 1000, BatchWait: 200 * time.Millisecond, ShutdownTimeout: 300 * time.Millisecond,
			RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
			Topics: pipeline.Topics{Review: e.cfg.Topics.Review, Held: e.cfg.Topics.Held, DeadLetter: e.cfg.Topics.DeadLetter, NoticeTemplate: e.cfg.Topics.NoticeTemplate}},
			src, sink, mem.NewLedger(), &ptr, claim.NewDecoder(claim.Limits{}), nil, zaptest.NewLogger(t))
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		return p.Run(ctx)
	}
	real := e.conn.NewSink(kafkaio.SinkConfig{})
	defer real.Close()
	fs := &failingSink{Sink: real}
	fs.fail.Store(true)
	// The writes fail until shutdown: the batch is not finished, not
	// committed.
	if err := runOnce(fs, 3*time.Second); err == nil {
		t.Fatal("a batch whose writes all failed was reported finished")
	}
	// A new instance in the same group gets every claim again, delivers
	// them all, and commits.
	want := expected(t, values)
	var nAcc int
	for _, d := range want {
		if d.Outcome == screening.Accepted {
			nAcc++
		}
	}
	if err := runOnce(real, 8*time.Second); err != nil {
		t.Fatal(err)
	}
	got := e.drain(e.cfg.Topics.Review, nAcc)
	keys := map[string]bool{}
	for _, m := range got {
		keys[string(m.Key)] = true
	}
	if len(keys) != nAcc {
		t.Errorf("%d distinct accepted claims delivered, want %d", len(keys), nAcc)
	}
	// Everything is committed: a third instance finds nothing to do.
	src := e.conn.NewSource(kafkaio.SourceConfig{Topic: e.cfg.Topics.Input, GroupID: e.cfg.Consumer.GroupID}, nil)
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	if msgs, err := src.Fetch(ctx, 10, 0); err == nil {
		t.Errorf("after the commit, %d messages were delivered again", len(msgs))
	}
}

func TestTwoInstancesOneStopped(t *testing.T) {
	orgs := []string{"ORG-A", "ORG-B", "ORG-C"}
	e := newE2E(t, orgs)
	values := genClaims(t, 600, orgs)
	want := expected(t, values)
	stopA := e.start(context.Background())
	stopB := e.start(context.Background())
	defer stopA()
	defer stopB()
	e.produce(values[:300])
	time.Sleep(300 * time.Millisecond)
	if err := stopA(); err != nil {
		t.Fatalf("stopping instance A: %v", err)
	}
	e.produce(values[300:])
	total := 0
	byTopic := map[string]int{}
	for k, d := range want {
		topic := e.cfg.Topics.Review
		switch d.Outcome {
		case screening.Rejected:
			topic = e.prefix + ".notices." + strings.Split(k, "/")[0]
		case screening.Held:
			topic = e.cfg.Topics.Held
		}
		byTopic[topic]++
		total++
	}
	seen := map[string]string{}
	dups := 0
	for topic, n := range byTopic {
		for _, m := range e.drain(topic, n) {
			id := hdr(m, pipeline.HeaderDecisionID)
			if prev, ok := seen[string(m.Key)]; ok {
				dups++
				if prev != id {
					t.Errorf("%s got two different decisions", m.Key)
				}
			}
			seen[string(m.Key)] = id
		}
	}
	if len(seen) != total {
		t.Errorf("%d of %d claims delivered", len(seen), total)
	}
	t.Logf("%d claims, %d duplicate outputs within the drained counts", total, dups)
	if err := stopB(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkEndToEndKafka produces b.N generated claims (at least 20,000)
// to real Kafka and times one pipeline (in-memory ledger) from the first
// fetch to the last commit: claims/s through decode, screen, route, write
// (RequireAll) and commit.
func BenchmarkEndToEndKafka(b *testing.B) { benchEndToEnd(b, false) }

// BenchmarkEndToEndKafkaPostgres is BenchmarkEndToEndKafka with the
// PostgreSQL ledger.
func BenchmarkEndToEndKafkaPostgres(b *testing.B) { benchEndToEnd(b, true) }

func benchEndToEnd(b *testing.B, withPostgres bool) {
	n := max(b.N, 20000)
	orgs := []string{"ORG-A", "ORG-B", "ORG-C", "ORG-D", "ORG-E"}
	e := newE2E(b, orgs)
	rels, _ := samples.Releases()
	g, _ := gen.New(rels, gen.Options{Seed: 3, Originators: len(orgs)})
	sink := e.conn.NewSink(kafkaio.SinkConfig{})
	defer sink.Close()
	msgs := make([][]byte, n)
	for i := range msgs {
		v, _ := g.Next()
		for j, o := range orgs {
			v = []byte(strings.Replace(string(v), gen.Originator(j), o, 1))
		}
		msgs[i] = v
	}
	if err := bench.Produce(context.Background(), sink, e.cfg.Topics.Input, msgs); err != nil {
		b.Fatal(err)
	}
	sc, _ := samples.Screener(nil)
	var ptr atomic.Pointer[screening.Screener]
	ptr.Store(sc)
	src := e.conn.NewSource(kafkaio.SourceConfig{Topic: e.cfg.Topics.Input, GroupID: e.cfg.Consumer.GroupID}, nil)
	defer src.Close()
	var committed, first atomic.Int64
	counting := &bench.CountingSource{Source: src, Total: &committed, First: &first}
	var ledger pipeline.Ledger = mem.NewLedger()
	if withPostgres {
		pool, err := postgres.Open(context.Background(), testenv.FreshDatabase(b, postgres.MigrateURL))
		if err != nil {
			b.Fatal(err)
		}
		defer pool.Close()
		ledger = postgres.NewLedger(pool)
	}
	p := pipeline.New(pipeline.Config{BatchSize: 2000, BatchWait: 20 * time.Millisecond,
		Topics: pipeline.Topics{Review: e.cfg.Topics.Review, Held: e.cfg.Topics.Held, DeadLetter: e.cfg.Topics.DeadLetter, NoticeTemplate: e.cfg.Topics.NoticeTemplate}},
		counting, sink, ledger, &ptr, claim.NewDecoder(claim.Limits{}), nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ResetTimer()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	for committed.Load() < int64(n) {
		time.Sleep(5 * time.Millisecond)
	}
	el := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(n)/el.Seconds(), "claims/s")
	b.ReportMetric(float64(n), "claims")
}

// syncBuffer is a log sink tests read back.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
