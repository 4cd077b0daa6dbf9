//go:build chaos

// The fault suite (ARCHITECTURE §9, §11): claimscreen serve as separate
// processes on the real Kafka and PostgreSQL, killed with SIGKILL, its
// broker and database stopped and restarted, scaled out and in. It stops
// and starts the shared local services, so it runs on its own, after the
// other tests: `make test` runs a short form, `make chaos` the full one.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/claimscreen/claimscreen/internal/gen"
	"github.com/claimscreen/claimscreen/internal/kafkaio"
	"github.com/claimscreen/claimscreen/internal/postgres"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/internal/testenv"
	"github.com/claimscreen/claimscreen/pipeline"
)

var (
	chaosClaims = flag.Int("chaos.claims", 20000, "claims the crash test produces")
	chaosKills  = flag.Int("chaos.kills", 5, "SIGKILLs in the crash test")
	chaosFlow   = flag.Int("chaos.flow-claims", 12000, "claims offered while dependencies fail or instances come and go")
	chaosRate   = flag.Int("chaos.rate", 1000, "claims/s offered in the dependency and scale-out tests")
	chaosTput   = flag.Int("chaos.throughput-claims", 20000, "claims of the backlog the throughput test gives one instance, then three")
	chaosReport = flag.String("chaos.report", "", "Markdown file to append the figures to")
)

// chaosBatch is --batch-size of the instances: the duplicate window per
// crash is one batch.
const chaosBatch = 500

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// claimscreenBinary builds the binary the tests run as separate processes.
func claimscreenBinary(t *testing.T) string {
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "claimscreen-chaos")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "claimscreen")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// chaos is one fault test: topics and a database of its own, instances of
// claimscreen serve, their logs.
type chaos struct {
	t       *testing.T
	prefix  string
	brokers []string
	dbURL   string
	pool    *pgxpool.Pool
	conn    *kafkaio.Conn
	orgs    []string
	logDir  string
	procs   []*proc
	// logLevel of the instances: debug (a line per claim, which the
	// privacy scan reads) unless a test says otherwise.
	logLevel string
}

func newChaos(t *testing.T, orgs []string) *chaos {
	brokers := testenv.KafkaBrokers(t)
	dbURL := testenv.FreshDatabase(t, postgres.MigrateURL)
	ctx := context.Background()
	pool, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := postgres.ImportSamples(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	conn, err := kafkaio.NewConn(brokers, kafkaio.Security{})
	if err != nil {
		t.Fatal(err)
	}
	c := &chaos{t: t, prefix: fmt.Sprintf("chaos%d", time.Now().UnixNano()), brokers: brokers, dbURL: dbURL, pool: pool, conn: conn, orgs: orgs, logDir: t.TempDir(), logLevel: "debug"}
	if _, err := conn.CreateTopics(ctx, []string{c.topic("submitted")}, 6, 1); err != nil {
		t.Fatal(err)
	}
	out := []string{c.topic("x12"), c.topic("review"), c.topic("held"), c.topic("deadletter")}
	for _, o := range orgs {
		out = append(out, c.topic("notices."+o))
	}
	if _, err := conn.CreateTopics(ctx, out, 3, 1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.DeleteTopics(context.Background(), append(out, c.topic("submitted"))) })
	return c
}

func (c *chaos) topic(name string) string { return c.prefix + "." + name }

// proc is one claimscreen serve process.
type proc struct {
	name string
	cmd  *exec.Cmd
	addr string
	log  string
	done chan struct{}
	err  error
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs a new instance and waits until it is ready.
func (c *chaos) start() *proc {
	t := c.t
	t.Helper()
	p := &proc{name: fmt.Sprintf("serve-%d", len(c.procs)+1), addr: freePort(t), done: make(chan struct{})}
	p.log = filepath.Join(c.logDir, p.name+".log")
	f, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	// The reference data comes from the database (the imported samples),
	// as in production.
	p.cmd = exec.Command(claimscreenBinary(t), "serve", "--brokers", strings.Join(c.brokers, ","), "--database-url", c.dbURL,
		"--http-addr", p.addr, "--group", c.prefix+"-group", "--input-topic", c.topic("submitted"), "--x12-topic", c.topic("x12"),
		"--review-topic", c.topic("review"), "--held-topic", c.topic("held"), "--deadletter-topic", c.topic("deadletter"),
		"--notice-topic-template", c.prefix+".notices.{originator}", "--batch-size", fmt.Sprint(chaosBatch), "--batch-wait-ms", "20",
		"--session-timeout-ms", "6000", "--log-level", c.logLevel)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); f.Close(); close(p.done) }()
	c.procs = append(c.procs, p)
	t.Cleanup(p.kill)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if code, _ := p.readyz(); code == 200 {
			return p
		}
		if !p.alive() || time.Now().After(deadline) {
			b, _ := os.ReadFile(p.log)
			t.Fatalf("%s did not become ready (%v):\n%s", p.name, p.err, tail(b, 3000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL: no shutdown, no flush, no leaving the group.
func (p *proc) kill() {
	if p.alive() {
		p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.done
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop(t *testing.T) {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("%s exited with %v on SIGTERM", p.name, p.err)
		}
	case <-time.After(60 * time.Second):
		t.Errorf("%s did not exit within 60s of SIGTERM", p.name)
		p.kill()
	}
}

var httpClient = &http.Client{Timeout: 2 * time.Second}

func (p *proc) get(path string) (int, string) {
	res, err := httpClient.Get("http://" + p.addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (p *proc) readyz() (int, string) { return p.get("/readyz") }

// waitReady polls /readyz until it answers want (true: 200), and returns
// how long that took.
func (p *proc) waitReady(t *testing.T, want bool, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		code, _ := p.readyz()
		if (code == 200) == want && code != 0 {
			return time.Since(start)
		}
		time.Sleep(100 * time.Millisecond)
	}
	code, body := p.readyz()
	t.Fatalf("%s: /readyz did not become %v within %v (last %d %q)", p.name, want, within, code, body)
	return 0
}

func (c *chaos) decided() int {
	var n int
	if err := c.pool.QueryRow(context.Background(), "SELECT count(*) FROM decision").Scan(&n); err != nil {
		return -1 // the database may be down in the dependency test
	}
	return n
}

// waitDecided waits until the ledger holds at least n decisions.
func (c *chaos) waitDecided(n int, within time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for c.decided() < n {
		if time.Now().After(deadline) {
			c.t.Fatalf("the ledger holds %d decisions, not %d, after %v", c.decided(), n, within)
		}
		for _, p := range c.procs {
			if !p.alive() && p.err != nil && !strings.Contains(p.err.Error(), "killed") {
				b, _ := os.ReadFile(p.log)
				c.t.Fatalf("%s exited by itself (%v):\n%s", p.name, p.err, tail(b, 3000))
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitCommitted waits until the group has committed every input message.
// A batch's offsets are committed only after its outputs are acknowledged,
// so from then on every output is in its topic: the outputs of a batch
// decided just before a kill are written by the instance that takes the
// redelivered batch, which may first wait out the killed member's session.
func (c *chaos) waitCommitted(within time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for {
		n, err := c.conn.Backlog(context.Background(), c.topic("submitted"), c.prefix+"-group")
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the group has %d input messages uncommitted after %v (%v)", n, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// produce offers values to the input topic at rate claims/s (0: at once),
// riding out broker outages; it returns when all are acknowledged.
func (c *chaos) produce(ctx context.Context, values [][]byte, rate int) error {
	sink := c.conn.NewSink(kafkaio.SinkConfig{})
	defer sink.Close()
	chunk := len(values)
	if rate > 0 {
		chunk = max(1, rate/20)
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for i := 0; i < len(values); i += chunk {
		var outs []pipeline.Output
		for j := i; j < min(i+chunk, len(values)); j++ {
			outs = append(outs, pipeline.Output{Topic: c.topic("submitted"), Key: []byte(fmt.Sprintf("in-%d", j)), Value: values[j]})
		}
		for {
			if err := pipeline.Produce.Write(ctx, sink, outs); err == nil {
				break
			} else if ctx.Err() != nil {
				return err
			}
			time.Sleep(500 * time.Millisecond) // the broker is down: try again
		}
		if rate > 0 {
			<-tick.C
		}
	}
	return nil
}

// chaosClaimsFor returns n generated claims and poison messages mixed in
// (one in every 500), and the number of poison messages.
func chaosClaimsFor(t *testing.T, n int, orgs []string) ([][]byte, int) {
	values, err := gen.SampleClaims(n, orgs, 7)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	poison := 0
	for i, v := range values {
		if i%500 == 250 {
			out = append(out, []byte(fmt.Sprintf(`{"claim_id": "P-%d", "originator_id": `, i))) // truncated JSON
			poison++
		}
		out = append(out, v)
	}
	return out, poison
}

// result is what a fault test found.
type result struct {
	Claims, Poison, Kills                     int
	Lost, WrongTopic, Conflicting, Duplicates int
	Outputs, DeadLetters                      int
	LedgerRows, LedgerWrong                   int
}

// verify checks the invariants once every submission is decided: one
// ledger row each with the expected outcome; every output on the topic of
// its outcome; no submission with two different outputs; duplicates counted.
func (c *chaos) verify(values [][]byte, poison int) result {
	t := c.t
	t.Helper()
	want, err := samples.Decisions(values, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for k, d := range want {
		want[k] = d
	}
	r := result{Claims: len(want), Poison: poison}
	c.waitDecided(len(want), 3*time.Minute)
	c.waitCommitted(3 * time.Minute)

	rows, err := c.pool.Query(context.Background(), "SELECT originator_id || '/' || claim_id, outcome FROM decision")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for rows.Next() {
		var k, o string
		rows.Scan(&k, &o)
		seen[k]++
		r.LedgerRows++
		if d, ok := want[k]; !ok || string(d.Outcome) != o {
			r.LedgerWrong++
		}
	}
	rows.Close()
	for k := range want {
		if seen[k] != 1 {
			r.LedgerWrong++
		}
	}

	topicOf := func(k string, o screening.Outcome) string {
		switch o {
		case screening.Accepted:
			return c.topic("review")
		case screening.Held:
			return c.topic("held")
		}
		org, _, _ := strings.Cut(k, "/")
		return c.topic("notices." + org)
	}
	perTopic := map[string]int{}
	for k, d := range want {
		perTopic[topicOf(k, d.Outcome)]++
	}
	topics := []string{c.topic("review"), c.topic("held")}
	for _, o := range c.orgs {
		topics = append(topics, c.topic("notices."+o))
	}
	values2 := map[string][][]byte{} // key → distinct output values
	found := map[string]string{}     // key → topic
	for _, tp := range topics {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		msgs, err := c.conn.DrainIdle(ctx, tp, perTopic[tp], 3*time.Second)
		cancel()
		if err != nil {
			t.Errorf("%s: read %d of at least %d outputs: %v", tp, len(msgs), perTopic[tp], err)
		}
		count := map[string]int{}
		for _, m := range msgs {
			k := string(m.Key)
			r.Outputs++
			count[k]++
			if count[k] > 1 {
				r.Duplicates++
			}
			if d, ok := want[k]; !ok || topicOf(k, d.Outcome) != tp {
				r.WrongTopic++
			}
			found[k] = tp
			dup := false
			for _, v := range values2[k] {
				dup = dup || bytes.Equal(v, m.Value)
			}
			if !dup {
				values2[k] = append(values2[k], m.Value)
			}
		}
	}
	for k := range want {
		if _, ok := found[k]; !ok {
			r.Lost++
		}
		if len(values2[k]) > 1 {
			r.Conflicting++
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	dl, err := c.conn.DrainIdle(ctx, c.topic("deadletter"), poison, 3*time.Second)
	cancel()
	if err != nil {
		t.Errorf("dead letters: %d of %d: %v", len(dl), poison, err)
	}
	offsets := map[string]bool{}
	for _, m := range dl {
		offsets[pipeline.HeaderValue(m.Headers, pipeline.HeaderSrcPart)+"/"+pipeline.HeaderValue(m.Headers, pipeline.HeaderSrcOffset)] = true
	}
	r.DeadLetters = len(offsets)
	return r
}

// check fails the test on a broken invariant; window is the most
// duplicates the documented window allows.
func (r result) check(t *testing.T, window int) {
	t.Helper()
	if r.Lost != 0 || r.WrongTopic != 0 || r.Conflicting != 0 || r.LedgerWrong != 0 || r.LedgerRows != r.Claims {
		t.Errorf("invariants broken: %+v", r)
	}
	if r.DeadLetters != r.Poison {
		t.Errorf("%d poison messages, %d distinct dead letters", r.Poison, r.DeadLetters)
	}
	if r.Duplicates > window {
		t.Errorf("%d duplicate outputs, more than the documented window of %d", r.Duplicates, window)
	}
}

// privacy scans every log line of every instance, and each live
// instance's metrics, for the member ids and birth dates of the claims.
func (c *chaos) privacy(values [][]byte) (scanned, hits int) {
	var texts []string
	for _, p := range c.procs {
		b, err := os.ReadFile(p.log)
		if err != nil {
			c.t.Fatal(err)
		}
		texts = append(texts, string(b))
		if p.alive() {
			_, m := p.get("/metrics")
			texts = append(texts, m)
		}
	}
	return testenv.PHIHits(c.t, values, texts)
}

func report(t *testing.T, title string, lines ...string) {
	t.Helper()
	text := "### " + title + " (" + time.Now().UTC().Format("2006-01-02 15:04 UTC") + ")\n\n" + strings.Join(lines, "\n") + "\n\n"
	fmt.Print(text)
	if *chaosReport != "" {
		f, err := os.OpenFile(*chaosReport, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.WriteString(text)
	}
}

// TestChaosCrash kills serve with SIGKILL at random moments while it works
// through a backlog, restarting it each time.
func TestChaosCrash(t *testing.T) {
	orgs := []string{"CHAOS-A", "CHAOS-B", "CHAOS-C"}
	c := newChaos(t, orgs)
	values, poison := chaosClaimsFor(t, *chaosClaims, orgs)
	start := time.Now()
	if err := c.produce(context.Background(), values, 0); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	at := make([]float64, *chaosKills)
	for i := range at {
		at[i] = 0.05 + 0.9*rng.Float64()
	}
	sort.Float64s(at)
	p := c.start()
	for i, f := range at {
		// At the drawn share of the claims, and with this instance at work
		// (when the instances before it have decided every claim already,
		// the kill finds it idle: a crash and restart all the same).
		c.waitDecided(min(max(int(f*float64(*chaosClaims)), c.decided()+1), *chaosClaims), 3*time.Minute)
		time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
		p.kill()
		t.Logf("kill %d at %d decisions", i+1, c.decided())
		p = c.start()
	}
	r := c.verify(values, poison)
	r.Kills = len(at)
	took := time.Since(start)
	scanned, hits := c.privacy(values)
	p.stop(t)
	window := r.Kills * chaosBatch
	r.check(t, window)
	report(t, "Crash test: SIGKILL and restart",
		"| claims | poison messages | kills | lost | conflicting outputs | wrong topic | duplicate outputs | documented window | dead letters | took | log lines and metrics scanned | PHI hits |",
		"|---|---|---|---|---|---|---|---|---|---|---|---|",
		fmt.Sprintf("| %d | %d | %d | %d | %d | %d | %d | ≤ %d (one batch of %d per kill) | %d | %.1f s | %d | %d |",
			r.Claims, r.Poison, r.Kills, r.Lost, r.Conflicting, r.WrongTopic, r.Duplicates, window, chaosBatch, r.DeadLetters, took.Seconds(), scanned, hits))
}

// localServices skips unless the services are deploy/local's, which the
// test can stop and start.
func localServices(t *testing.T) string {
	root := testenv.RepoRoot(t)
	if b := os.Getenv("KAFKA_BROKERS"); b != "127.0.0.1:19092" {
		t.Skipf("dependency faults stop and start deploy/local's services (KAFKA_BROKERS=127.0.0.1:19092, as deploy/local/up sets it); KAFKA_BROKERS is %q", b)
	}
	return root
}

func local(t *testing.T, root, verb, what string) {
	t.Helper()
	if err := localErr(root, verb, what); err != nil {
		t.Fatal(err)
	}
}

func localErr(root, verb, what string) error {
	cmd := exec.Command(filepath.Join(root, "deploy", "local", verb), what)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("deploy/local/%s %s: %v\n%s", verb, what, err, out)
	}
	return nil
}

// TestChaosDependencies stops and restarts the broker, then PostgreSQL,
// while claims flow.
func TestChaosDependencies(t *testing.T) {
	root := localServices(t)
	orgs := []string{"DEP-A", "DEP-B"}
	c := newChaos(t, orgs)
	values, poison := chaosClaimsFor(t, *chaosFlow, orgs)
	p := c.start()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	produced := make(chan error, 1)
	go func() { produced <- c.produce(ctx, values, *chaosRate) }()

	var lines []string
	for _, dep := range []string{"kafka", "postgres"} {
		c.waitDecided(c.decided()+*chaosFlow/4, 3*time.Minute)
		stopAt := time.Now()
		stopped := make(chan error, 1)
		go func() { stopped <- localErr(root, "down", dep) }()
		p.waitReady(t, false, 60*time.Second)
		notice := time.Since(stopAt)
		time.Sleep(3 * time.Second)
		_, why := p.readyz()
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
		local(t, root, "up", dep)
		back := p.waitReady(t, true, 2*time.Minute)
		// Claims flow again: 100 more decided, or all of them when the
		// short flow of make faults ran out during the outage.
		before := c.decided()
		c.waitDecided(min(before+100, len(values)-poison), 2*time.Minute)
		if !p.alive() {
			t.Fatalf("serve exited during the %s outage: %v", dep, p.err)
		}
		lines = append(lines, fmt.Sprintf("| %s | %.1f s | %q | %.1f s | %.1f s |", dep, notice.Seconds(), strings.TrimSpace(why),
			back.Seconds(), time.Since(stopAt).Seconds()))
	}
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	r := c.verify(values, poison)
	scanned, hits := c.privacy(values)
	p.stop(t)
	// A broker that goes away may take a write without its acknowledgement
	// reaching claimscreen: the batch is written again (kafka-go has no
	// idempotent producer). The window is the batches in flight.
	window := 2 * 2 * chaosBatch
	r.check(t, window)
	report(t, "Dependency faults: broker, then PostgreSQL, stopped and restarted while claims flow",
		append([]string{"| stopped | /readyz false after the stop began | /readyz said | ready again after the restart | stop to claims flowing again |", "|---|---|---|---|---|"}, lines...)...)
	report(t, "Dependency faults: invariants",
		"| claims | lost | conflicting | wrong topic | duplicates | window | dead letters | PHI hits in logs and metrics |",
		"|---|---|---|---|---|---|---|---|",
		fmt.Sprintf("| %d | %d | %d | %d | %d | ≤ %d | %d | %d (of %d lines) |", r.Claims, r.Lost, r.Conflicting, r.WrongTopic, r.Duplicates, window, r.DeadLetters, hits, scanned))
}

// TestChaosScaleOut runs three instances, starts a fourth mid-stream, then
// kills one, and measures how long consumption paused.
func TestChaosScaleOut(t *testing.T) {
	orgs := []string{"SCALE-A", "SCALE-B"}
	c := newChaos(t, orgs)
	values, poison := chaosClaimsFor(t, *chaosFlow, orgs)
	var ps []*proc
	for i := 0; i < 3; i++ {
		ps = append(ps, c.start())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	produced := make(chan error, 1)
	go func() { produced <- c.produce(ctx, values, *chaosRate) }()

	c.waitDecided(*chaosFlow/4, 3*time.Minute)
	joinAt := time.Now()
	ps = append(ps, c.start())
	c.waitDecided(*chaosFlow/2, 3*time.Minute)
	killAt := time.Now()
	ps[0].kill()
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	r := c.verify(values, poison)
	for _, p := range ps[1:] {
		p.stop(t)
	}
	r.check(t, chaosBatch)

	// Pauses from the ledger's decision times: the group as a whole (the
	// longest gap between any two decisions) and each input partition.
	gap := func(from, to time.Time, perPartition bool) time.Duration {
		q := `SELECT decided_at, source_partition FROM decision WHERE decided_at BETWEEN $1 AND $2 ORDER BY decided_at`
		rows, err := c.pool.Query(context.Background(), q, from, to)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		last := map[int32]time.Time{}
		var longest time.Duration
		for rows.Next() {
			var at time.Time
			var part int32
			rows.Scan(&at, &part)
			if !perPartition {
				part = 0
			}
			l, ok := last[part]
			if !ok {
				l = from // a partition of the killed instance decides nothing until it moves
			}
			if at.Sub(l) > longest {
				longest = at.Sub(l)
			}
			last[part] = at
		}
		return longest
	}
	window := 30 * time.Second
	report(t, "Scale-out: three instances, a fourth joins, one is killed",
		"| event | longest pause of the whole group | longest pause of one input partition |",
		"|---|---|---|",
		fmt.Sprintf("| a fourth instance joins (clean rebalance) | %.2f s | %.2f s |", gap(joinAt, killAt, false).Seconds(), gap(joinAt, killAt, true).Seconds()),
		fmt.Sprintf("| one instance killed (SIGKILL; session timeout 6 s) | %.2f s | %.2f s |", gap(killAt, killAt.Add(window), false).Seconds(), gap(killAt, killAt.Add(window), true).Seconds()),
		fmt.Sprintf("\n%d claims at %d/s offered; lost %d, conflicting %d, wrong topic %d, duplicates %d (window ≤ %d).", r.Claims, *chaosRate, r.Lost, r.Conflicting, r.WrongTopic, r.Duplicates, chaosBatch))
}

// TestChaosThroughput gives a backlog to one serve process, then (fresh
// topics and ledger) to three in one consumer group, separate processes on
// this machine beside the broker and PostgreSQL, and reports claims/s and
// the instances' CPU per claim (docs/scaling.md). It asserts the invariants,
// never a speed.
func TestChaosThroughput(t *testing.T) {
	orgs := []string{"TPUT-A", "TPUT-B", "TPUT-C"}
	values, poison := chaosClaimsFor(t, *chaosTput, orgs)
	var rows []string
	for _, k := range []int{1, 3} {
		c := newChaos(t, orgs)
		c.logLevel = "info"
		var ps []*proc
		for i := 0; i < k; i++ {
			ps = append(ps, c.start())
		}
		time.Sleep(10 * time.Second) // the group settles: every instance holds partitions
		start := time.Now()
		if err := c.produce(context.Background(), values, 0); err != nil {
			t.Fatal(err)
		}
		c.waitDecided(len(values)-poison, 5*time.Minute)
		took := time.Since(start)
		r := c.verify(values, poison)
		cpu := 0.0
		for _, p := range ps {
			p.stop(t)
			if st := p.cmd.ProcessState; st != nil {
				cpu += (st.UserTime() + st.SystemTime()).Seconds()
			}
		}
		r.check(t, chaosBatch)
		rows = append(rows, fmt.Sprintf("| %d | %d | %.1f s | %.0f claims/s | %.0f µs | %d | %d | %d |",
			k, len(values), took.Seconds(), float64(len(values))/took.Seconds(), cpu/float64(len(values))*1e6, r.Lost, r.Conflicting, r.Duplicates))
	}
	report(t, "Throughput: a backlog, one instance and then three (separate processes, PostgreSQL ledger)",
		append([]string{"| instances | claims | produce to last decision | throughput | CPU per claim, all instances (start-up included) | lost | conflicting | duplicates |",
			"|---|---|---|---|---|---|---|---|"}, rows...)...)
}
