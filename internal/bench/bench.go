// Package bench is claimscreen bench: the raw relay against the pipeline
// on the same client and broker, latency at a fixed load, the rules per
// core, and a one-SQL-query-per-code baseline; WriteMarkdown puts the
// figures into docs/benchmarks.md.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/claimscreen/claimscreen/internal/civil"
	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/gen"
	"github.com/claimscreen/claimscreen/internal/kafkaio"
	"github.com/claimscreen/claimscreen/internal/originators"
	"github.com/claimscreen/claimscreen/internal/postgres"
	"github.com/claimscreen/claimscreen/internal/refdata"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/internal/x12intake"
	"github.com/claimscreen/claimscreen/pipeline"
	"github.com/claimscreen/claimscreen/pipeline/mem"
)

// Result is the JSON line `claimscreen bench` ends with.
type Result struct {
	Date               string  `json:"date"`
	Broker             string  `json:"broker"`
	Ledger             string  `json:"ledger"`
	Compression        string  `json:"compression"`
	Claims             int     `json:"claims"`
	Partitions         int     `json:"partitions"`
	ProduceRate        float64 `json:"produce_claims_per_s"`
	RelayRate          float64 `json:"relay_claims_per_s"`
	PipelineRate       float64 `json:"pipeline_claims_per_s"`
	Ratio              float64 `json:"pipeline_over_relay"`
	CPUSecondsPer1000  float64 `json:"cpu_seconds_per_1000_claims"`
	PeakRSSMB          float64 `json:"peak_rss_mb,omitempty"`
	OfferedRate        int     `json:"offered_rate,omitempty"`
	LatencyP50ms       float64 `json:"latency_p50_ms,omitempty"`
	LatencyP99ms       float64 `json:"latency_p99_ms,omitempty"`
	RulesPerCore       float64 `json:"rules_claims_per_s_per_core,omitempty"`
	DecodeRulesPerCore float64 `json:"decode_rules_claims_per_s_per_core,omitempty"`
	BaselineRate       float64 `json:"baseline_claims_per_s,omitempty"`
	BaselineMultiple   float64 `json:"vs_baseline,omitempty"`
	HeapMB             float64 `json:"codeset_heap_mb"`
	// LedgerBytesPerClaim: what (b) added to the ledger's tables on disk
	// (pg_total_relation_size: table, indexes and TOAST), per claim.
	LedgerBytesPerClaim float64 `json:"ledger_bytes_per_claim,omitempty"`
	// --x12: the same claims as X12 837P interchanges on the X12 topic.
	X12Interchanges      int     `json:"x12_interchanges,omitempty"`
	X12Claims            int     `json:"x12_claims,omitempty"`
	X12Rate              float64 `json:"x12_claims_per_s,omitempty"`
	X12OverClaimV1       float64 `json:"x12_over_claim_v1,omitempty"`
	X12CPUSecondsPer1000 float64 `json:"x12_cpu_seconds_per_1000_claims,omitempty"`
	// DecodeRulesAllocs: heap allocations per claim of decode + rules.
	DecodeRulesAllocs float64 `json:"decode_rules_allocs_per_claim,omitempty"`
	// PostgresCPUSecondsPer1000: the CPU of this machine's processes named
	// postgres during (b), when PostgreSQL runs here (deploy/local).
	PostgresCPUSecondsPer1000 float64 `json:"postgres_cpu_seconds_per_1000_claims,omitempty"`
	// Embedded: --embedded, the relay and the pipeline again on the
	// embedded broker with the memory ledger (only their figures: the
	// fields left empty are omitted).
	Embedded *Result `json:"embedded,omitempty"`
	// ProfileTop: the top of the CPU profile of (b) (--cpuprofile), as
	// go tool pprof -top prints it.
	ProfileTop string `json:"-"`
}

// Options of a run. Zero values take the defaults of the command's flags.
type Options struct {
	Claims            int    // claims to generate and push through
	Partitions        int    // partitions of the fresh input topic
	Rate              int    // offered load of the latency run, claims/s
	LatencyClaims     int    // claims in the latency run
	Codesets          string // code-set folder to generate from and screen with; "" for the samples
	Brokers           string // Kafka brokers; "" for the embedded broker
	DatabaseURL       string // PostgreSQL for the ledger and the baseline; "" for the memory ledger
	Compression       string // of every batch written, relay and pipeline alike; "" for none
	BatchSize         int
	Workers           int    // pipelines in the process, each a member of the consumer group
	CPUProfile        string // file for a CPU profile of the pipeline run
	X12CPUProfile     string // file for a CPU profile of the X12 run (c)
	BrokerLabel       string // how to name the broker in the report
	X12               bool   // also run the claims through the X12 intake, as interchanges
	X12PerInterchange int    // claims per generated interchange (default 1,000)
	// Embedded also runs the relay and the pipeline on the embedded broker
	// with the memory ledger, after the main run (Result.Embedded).
	Embedded bool
	// relayAndPipeline: only (a) and (b), for the embedded run.
	relayAndPipeline bool
}

// Run measures, printing as it goes on w, and returns the figures.
func Run(ctx context.Context, o Options, w io.Writer) (*Result, error) {
	n, parts, rate, latN, dir, dbURL, batch, cpuprofile := &o.Claims, &o.Partitions, &o.Rate, &o.LatencyClaims, &o.Codesets, &o.DatabaseURL, &o.BatchSize, &o.CPUProfile
	brokers := &o.Brokers
	if o.Workers < 1 {
		o.Workers = 1
	}
	if _, err := kafkaio.ParseCompression(o.Compression); err != nil {
		return nil, err
	}
	if o.Compression == "" {
		o.Compression = "none"
	}
	res := Result{Date: time.Now().UTC().Format(time.RFC3339), Claims: *n, Partitions: *parts, OfferedRate: *rate, Broker: "embedded (kfake)", Ledger: "memory", Compression: o.Compression}

	// Reference data, and the heap it holds.
	runtime.GC()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	var rels []*codeset.Release
	var err error
	if *dir != "" {
		rels, _, err = refdata.ReadCodeSetFolder(*dir)
	} else {
		rels, _, err = codeset.LoadFS(samples.CodeSets, "codesets")
	}
	if err != nil {
		return nil, err
	}
	snap, err := codeset.NewSnapshot(rels)
	if err != nil {
		return nil, err
	}
	runtime.GC()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	res.HeapMB = float64(m1.HeapAlloc-m0.HeapAlloc) / (1 << 20)
	g, err := gen.New(rels, gen.Options{Seed: 42})
	if err != nil {
		return nil, err
	}
	chart := g.Chart()
	sc := screening.New(snap, chart, nil)
	fmt.Fprintf(w, "code sets: %d releases, %.1f MB of heap; generating %d claims\n", len(rels), res.HeapMB, *n)
	msgs := make([][]byte, *n)
	for i := range msgs {
		msgs[i], _ = g.Next()
	}

	// In-process figures, one core.
	if !o.relayAndPipeline {
		res.RulesPerCore, res.DecodeRulesPerCore, res.DecodeRulesAllocs = inProcess(sc, msgs)
		fmt.Fprintf(w, "rules alone: %.0f claims/s per core; decode + rules: %.0f claims/s per core, %.1f allocations per claim\n",
			res.RulesPerCore, res.DecodeRulesPerCore, res.DecodeRulesAllocs)
	}

	// The broker.
	var cluster *kfake.Cluster
	var bl []string
	if *brokers != "" {
		bl = strings.Split(*brokers, ",")
		res.Broker = *brokers
	} else {
		if cluster, err = kfake.NewCluster(kfake.Ports(0), kfake.NumBrokers(1)); err != nil {
			return nil, err
		}
		defer cluster.Close()
		bl = cluster.ListenAddrs()
	}
	conn, err := kafkaio.NewConn(bl, kafkaio.Security{})
	if err != nil {
		return nil, err
	}
	if err := conn.Ping(ctx); err != nil {
		return nil, err
	}
	prefix := fmt.Sprintf("bench%d", time.Now().UnixNano())
	topics := pipeline.Topics{Review: prefix + ".review", Held: prefix + ".held", DeadLetter: prefix + ".deadletter", NoticeTemplate: prefix + ".notices.{originator}"}
	all := []string{prefix + ".in", prefix + ".lat", prefix + ".relay", topics.Review, topics.Held, topics.DeadLetter}
	for i := 0; i < 5; i++ {
		all = append(all, topics.NoticeTopic(gen.Originator(i)))
	}
	if o.X12 {
		all = append(all, prefix+".x12", topics.NoticeTopic(x12Originator))
	}
	if _, err := conn.CreateTopics(ctx, all, *parts, 1); err != nil {
		return nil, err
	}
	// The run's topics go with it (hundreds of leftover partitions slow a
	// broker's restarts and every later run).
	defer conn.DeleteTopics(context.WithoutCancel(ctx), all)
	// One sink for the relay and the pipeline: the same compression for
	// both keeps their ratio honest.
	sink := conn.NewSink(kafkaio.SinkConfig{BatchSize: *batch, Compression: o.Compression})
	defer sink.Close()

	start := time.Now()
	if err := Produce(ctx, sink, prefix+".in", msgs); err != nil {
		return nil, err
	}
	res.ProduceRate = float64(*n) / time.Since(start).Seconds()
	fmt.Fprintf(w, "produced %d claims to %s (%d partitions) at %.0f claims/s\n", *n, prefix+".in", *parts, res.ProduceRate)

	// (a) the raw relay.
	res.RelayRate, err = relay(ctx, conn, sink, prefix+".in", prefix+".relay-group", prefix+".relay", *n, *batch)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "(a) raw relay (consume, copy unchanged, commit): %.0f claims/s\n", res.RelayRate)

	// (b) the pipeline.
	var pool *pgxpool.Pool
	newLedger := func() (pipeline.Ledger, error) { return mem.NewLedger(), nil }
	if *dbURL != "" {
		if pool, err = postgres.OpenMigrated(ctx, *dbURL); err != nil {
			return nil, err
		}
		defer pool.Close()
		res.Ledger = "postgresql"
		if err := clearBenchRows(ctx, pool); err != nil {
			return nil, err
		}
		newLedger = func() (pipeline.Ledger, error) { return postgres.NewLedger(pool), nil }
	}
	var ledgerBefore int64
	if pool != nil {
		if ledgerBefore, err = ledgerBytes(ctx, pool); err != nil {
			return nil, err
		}
	}
	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	pg0 := processCPU("postgres")
	ledger, _ := newLedger()
	stopProfile, err := startProfile(*cpuprofile)
	if err != nil {
		return nil, err
	}
	took, err := runPipeline(ctx, o.Workers, conn, sink, ledger, sc, topics, prefix+".in", prefix+".pipe-group", *n, *batch, nil, nil, nil)
	stopProfile()
	if err != nil {
		return nil, err
	}
	var ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	if pool != nil {
		res.PostgresCPUSecondsPer1000 = (processCPU("postgres") - pg0) / float64(*n) * 1000
	}
	if *cpuprofile != "" {
		res.ProfileTop = profileTop(*cpuprofile)
	}
	res.PipelineRate = float64(*n) / took.Seconds()
	res.Ratio = res.PipelineRate / res.RelayRate
	cpu := tv(ru1.Utime) + tv(ru1.Stime) - tv(ru0.Utime) - tv(ru0.Stime)
	res.CPUSecondsPer1000 = cpu / float64(*n) * 1000
	fmt.Fprintf(w, "(b) pipeline (decode, screen, route, %s ledger, write, commit): %.0f claims/s, %.2f of the relay, %.3f CPU s per 1,000 claims\n",
		res.Ledger, res.PipelineRate, res.Ratio, res.CPUSecondsPer1000)
	if pool != nil {
		after, err := ledgerBytes(ctx, pool)
		if err != nil {
			return nil, err
		}
		res.LedgerBytesPerClaim = float64(after-ledgerBefore) / float64(*n)
		fmt.Fprintf(w, "    the ledger grew by %.0f bytes per claim on disk (table, indexes and TOAST)\n", res.LedgerBytesPerClaim)
		if res.PostgresCPUSecondsPer1000 > 0 {
			fmt.Fprintf(w, "    PostgreSQL's processes on this machine: %.3f CPU s per 1,000 claims\n", res.PostgresCPUSecondsPer1000)
		}
	}
	if o.relayAndPipeline {
		return &res, nil
	}

	// (c) the same claims as X12 interchanges, through the X12 intake.
	if o.X12 {
		if pool != nil {
			if err := clearBenchRows(ctx, pool); err != nil {
				return nil, err
			}
		}
		ledger, _ = newLedger()
		if err := runX12(ctx, o, &res, conn, sink, ledger, sc, topics, prefix, msgs, w); err != nil {
			return nil, err
		}
	}

	// Latency at a fixed offered load.
	if pool != nil {
		if err := clearBenchRows(ctx, pool); err != nil {
			return nil, err
		}
	}
	ledger, _ = newLedger()
	lat, err := latency(ctx, o.Workers, conn, sink, ledger, sc, topics, prefix+".lat", prefix+".lat-group", msgs[:min(*latN, len(msgs))], *rate, *batch)
	if err != nil {
		return nil, err
	}
	res.LatencyP50ms, res.LatencyP99ms = lat[0], lat[1]
	fmt.Fprintf(w, "latency at %d claims/s offered (%d claims): p50 %.1f ms, p99 %.1f ms (produce call to output acknowledged)\n", *rate, min(*latN, len(msgs)), lat[0], lat[1])

	// The baseline: one SQL query per code.
	if pool != nil {
		res.BaselineRate, err = baseline(ctx, pool, rels, msgs[:min(2000, len(msgs))])
		if err != nil {
			return nil, err
		}
		res.BaselineMultiple = res.DecodeRulesPerCore / res.BaselineRate
		fmt.Fprintf(w, "baseline (one SQL query per code against PostgreSQL): %.0f claims/s; decode + rules is %.0f× faster\n", res.BaselineRate, res.BaselineMultiple)
	} else {
		fmt.Fprintln(w, "baseline: skipped (no DATABASE_URL)")
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	res.PeakRSSMB = float64(ru.Maxrss) / 1024
	fmt.Fprintf(w, "peak RSS %.0f MB\n", res.PeakRSSMB)
	if o.BrokerLabel != "" {
		res.Broker = o.BrokerLabel + " (" + res.Broker + ")"
	}
	if o.Embedded && (o.Brokers != "" || o.DatabaseURL != "") {
		eo := o
		eo.Brokers, eo.DatabaseURL, eo.CPUProfile, eo.X12, eo.Embedded, eo.relayAndPipeline = "", "", "", false, false, true
		fmt.Fprintln(w, "the same claims on the embedded broker with the memory ledger:")
		if res.Embedded, err = Run(ctx, eo, w); err != nil {
			return nil, fmt.Errorf("embedded run: %w", err)
		}
	}
	return &res, nil
}

// processCPU is the CPU time, in seconds, of this machine's processes with
// the command name (PostgreSQL's postmaster and backends are "postgres");
// 0 where /proc is not there.
func processCPU(name string) float64 {
	dirs, _ := os.ReadDir("/proc")
	ticks := 0.0
	for _, d := range dirs {
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ... utime stime are fields 14 and 15.
		st := string(b)
		open, end := strings.IndexByte(st, '('), strings.LastIndexByte(st, ')')
		if open < 0 || end < open || st[open+1:end] != name {
			continue
		}
		f := strings.Fields(st[end+1:])
		if len(f) < 13 {
			continue
		}
		var u, s float64
		fmt.Sscan(f[11], &u)
		fmt.Sscan(f[12], &s)
		ticks += u + s
	}
	return ticks / 100 // USER_HZ
}

// startProfile starts a CPU profile into path (none when path is empty);
// stop ends it and closes the file.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("CPU profile %s: %w", path, err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// profileTop is the top of a CPU profile as go tool pprof prints it, when
// the Go tool is on the PATH (make bench), or how to get it.
func profileTop(path string) string {
	exe, _ := os.Executable()
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount", "25", exe, path).Output()
	if err != nil {
		return fmt.Sprintf("(go tool pprof -top %s %s: %v)", exe, path, err)
	}
	// The header lines name the build's path and the time; keep the table.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "flat") {
			return strings.Join(append([]string{lines[max(i-2, 0)]}, lines[i:]...), "\n")
		}
	}
	return strings.Join(lines, "\n")
}

// WriteMarkdown replaces the generated section of a Markdown file with this
// run's figures against the targets.
func WriteMarkdown(path string, r *Result, cmd string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	const start, end = "<!-- bench:start -->", "<!-- bench:end -->"
	doc := string(b)
	i, j := strings.Index(doc, start), strings.Index(doc, end)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %s … %s section", path, start, end)
	}
	host, _ := os.Hostname()
	cpu := "unknown CPU"
	if ci, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(ci), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	met := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	var t strings.Builder
	fmt.Fprintf(&t, "%s\n_Generated by `%s` on %s: %s, %d cores, %s, broker %s, ledger %s, %d claims, %d input partitions, compression %s._\n\n",
		start, cmd, r.Date, cpu, runtime.NumCPU(), runtime.Version(), r.Broker, r.Ledger, r.Claims, r.Partitions, r.Compression)
	pg := r.Ledger == "postgresql"
	fmt.Fprintf(&t, "| measure | measured | target | |\n|---|---|---|---|\n")
	fmt.Fprintf(&t, "| (a) raw relay, same client and broker | %.0f claims/s | the limit | |\n", r.RelayRate)
	fmt.Fprintf(&t, "| (b) pipeline, %s ledger | %.0f claims/s | ≥ 50,000 with PostgreSQL (issue 5) | %s |\n", r.Ledger, r.PipelineRate, met(pg && r.PipelineRate >= 50000))
	fmt.Fprintf(&t, "| claimscreen CPU per claim, whole pipeline (b) with the %s ledger | %.1f µs | ≤ 15 µs with PostgreSQL | %s |\n", r.Ledger, r.CPUSecondsPer1000*1000, met(pg && r.CPUSecondsPer1000*1000 <= 15))
	if r.PostgresCPUSecondsPer1000 > 0 {
		fmt.Fprintf(&t, "| PostgreSQL's CPU per claim in (b) (its processes on this machine) | %.1f µs, %.0f %% of the two | — | |\n", r.PostgresCPUSecondsPer1000*1000,
			100*r.PostgresCPUSecondsPer1000/(r.PostgresCPUSecondsPer1000+r.CPUSecondsPer1000))
	}
	if e := r.Embedded; e != nil {
		fmt.Fprintf(&t, "| pipeline ÷ relay, embedded broker, memory ledger | %.2f (%.0f ÷ %.0f claims/s) | ≥ 0.8 | %s |\n", e.Ratio, e.PipelineRate, e.RelayRate, met(e.Ratio >= 0.8))
	}
	fmt.Fprintf(&t, "| pipeline ÷ relay, %s, %s ledger | %.2f | ≥ 0.5 with Kafka and PostgreSQL | %s |\n", r.Broker, r.Ledger, r.Ratio, met(pg && r.Ratio >= 0.5))
	fmt.Fprintf(&t, "| rules alone, per core | %.0f claims/s | ≥ 1,000,000 | %s |\n", r.RulesPerCore, met(r.RulesPerCore >= 1e6))
	fmt.Fprintf(&t, "| decode + rules, per core | %.0f claims/s | ≥ 300,000 | %s |\n", r.DecodeRulesPerCore, met(r.DecodeRulesPerCore >= 300000))
	fmt.Fprintf(&t, "| allocations per claim, decode + rules | %.1f | none on the common path | %s |\n", r.DecodeRulesAllocs, met(r.DecodeRulesAllocs < 1))
	fmt.Fprintf(&t, "| p50 / p99 end-to-end latency at %d claims/s offered | %.1f / %.1f ms | p99 < 50 ms | %s |\n", r.OfferedRate, r.LatencyP50ms, r.LatencyP99ms, met(r.LatencyP99ms < 50))
	if r.LedgerBytesPerClaim > 0 {
		fmt.Fprintf(&t, "| ledger bytes per claim on disk (table + indexes + TOAST, `pg_total_relation_size`) | %.0f | half of the JSON row's 2,302: ≤ 1,151 | %s |\n", r.LedgerBytesPerClaim, met(r.LedgerBytesPerClaim <= 1151))
	}
	if r.BaselineRate > 0 {
		fmt.Fprintf(&t, "| one-SQL-query-per-code baseline | %.0f claims/s; decode + rules is %.0f× faster | ≥ 50× | %s |\n", r.BaselineRate, r.BaselineMultiple, met(r.BaselineMultiple >= 50))
	} else {
		fmt.Fprintf(&t, "| one-SQL-query-per-code baseline | not run (no DATABASE_URL) | ≥ 50× | |\n")
	}
	if r.X12Claims > 0 {
		fmt.Fprintf(&t, "| (c) X12: %d interchanges, %d claims, %s ledger | %.0f claims/s, %.2f of (b), %.3f CPU s per 1,000 claims | ≥ the claim.v1 throughput (b) | %s |\n",
			r.X12Interchanges, r.X12Claims, r.Ledger, r.X12Rate, r.X12OverClaimV1, r.X12CPUSecondsPer1000, met(r.X12OverClaimV1 >= 1))
	}
	fmt.Fprintf(&t, "| heap held by the loaded code sets | %.1f MB | < 150 MB | %s |\n", r.HeapMB, met(r.HeapMB < 150))
	fmt.Fprintf(&t, "| peak RSS of the run | %.0f MB | — | |\n", r.PeakRSSMB)
	if r.ProfileTop != "" {
		fmt.Fprintf(&t, "\nThe top of the CPU profile of (b), claimscreen's process (`go tool pprof -top`):\n\n```\n%s\n```\n", r.ProfileTop)
	}
	fmt.Fprintf(&t, "\nHost %s. The JSON line of the run:\n\n```json\n%s\n```\n%s", host, mustMarshal(*r), end)
	doc = doc[:i] + t.String() + doc[j+len(end):]
	return os.WriteFile(path, []byte(doc), 0o644)
}

func mustMarshal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func inProcess(sc *screening.Screener, msgs [][]byte) (rules, decodeRules, allocs float64) {
	dec := claim.NewDecoder(claim.Limits{})
	now := time.Now()
	k := min(len(msgs), 20000)
	inputs := make([]screening.Input, 0, k)
	for _, m := range msgs[:k] {
		c, fs, err := dec.Decode(m, now)
		if err == nil {
			inputs = append(inputs, screening.Input{Claim: c, Findings: fs})
		}
	}
	measure := func(fn func(i int)) float64 {
		runtime.GC()
		n, start := 0, time.Now()
		for time.Since(start) < 2*time.Second {
			for i := 0; i < 1000; i++ {
				fn(n)
				n++
			}
		}
		return float64(n) / time.Since(start).Seconds()
	}
	rules = measure(func(i int) { sc.Screen(inputs[i%len(inputs)]) })
	one := func(i int) {
		c, fs, err := dec.Decode(msgs[i%k], now)
		if err == nil {
			sc.Screen(screening.Input{Claim: c, Findings: fs})
		}
	}
	decodeRules = measure(one)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for i := 0; i < k; i++ {
		one(i)
	}
	runtime.ReadMemStats(&m1)
	return rules, decodeRules, float64(m1.Mallocs-m0.Mallocs) / float64(k)
}

// Produce writes msgs to topic, keyed by their index, in chunks, each
// retried (a topic just created may not have its leaders known yet).
func Produce(ctx context.Context, sink pipeline.Sink, topic string, msgs [][]byte) error {
	const chunk = 5000
	for i := 0; i < len(msgs); i += chunk {
		var outs []pipeline.Output
		for j := i; j < min(i+chunk, len(msgs)); j++ {
			outs = append(outs, pipeline.Output{Topic: topic, Key: []byte(fmt.Sprint(j)), Value: msgs[j]})
		}
		if err := pipeline.Produce.Write(ctx, sink, outs); err != nil {
			return fmt.Errorf("produce: %w", err)
		}
	}
	return nil
}

// relay consumes topic in group, writes every message unchanged to out with
// the same writer settings, and commits: the limit of this client and
// broker on this machine.
func relay(ctx context.Context, conn *kafkaio.Conn, sink *kafkaio.Sink, topic, group, out string, n, batch int) (float64, error) {
	src := conn.NewSource(kafkaio.SourceConfig{Topic: topic, GroupID: group}, nil)
	defer src.Close()
	done := 0
	var start time.Time
	for done < n {
		msgs, err := src.Fetch(ctx, batch, 20*time.Millisecond)
		if err != nil {
			return 0, err
		}
		if start.IsZero() {
			start = time.Now()
		}
		outs := make([]pipeline.Output, len(msgs))
		for i, m := range msgs {
			outs[i] = pipeline.Output{Topic: out, Key: m.Key, Value: m.Value, Headers: m.Headers}
		}
		if err := pipeline.Produce.Write(ctx, sink, outs); err != nil {
			return 0, err
		}
		if err := src.Commit(ctx, msgs); err != nil {
			return 0, err
		}
		done += len(msgs)
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// CountingSource counts the messages committed through it, and notes when
// the first was fetched.
type CountingSource struct {
	pipeline.Source
	Total *atomic.Int64 // messages committed
	First *atomic.Int64 // Unix nanoseconds of the first fetch
}

func (c *CountingSource) Fetch(ctx context.Context, max int, wait time.Duration) ([]pipeline.Message, error) {
	m, err := c.Source.Fetch(ctx, max, wait)
	if len(m) > 0 {
		c.First.CompareAndSwap(0, time.Now().UnixNano())
	}
	return m, err
}

func (c *CountingSource) Commit(ctx context.Context, msgs []pipeline.Message) error {
	err := c.Source.Commit(ctx, msgs)
	if err == nil {
		c.Total.Add(int64(len(msgs)))
	}
	return err
}

// timingSink notes when each output key was acknowledged.
type timingSink struct {
	pipeline.Sink
	mu   sync.Mutex
	acks map[string]time.Time
}

func (t *timingSink) Write(ctx context.Context, outs []pipeline.Output) error {
	err := t.Sink.Write(ctx, outs)
	if err == nil {
		now := time.Now()
		t.mu.Lock()
		for _, o := range outs {
			if _, ok := t.acks[string(o.Key)]; !ok {
				t.acks[string(o.Key)] = now
			}
		}
		t.mu.Unlock()
	}
	return err
}

func runPipeline(ctx context.Context, workers int, conn *kafkaio.Conn, sink pipeline.Sink, ledger pipeline.Ledger, sc *screening.Screener, topics pipeline.Topics,
	topic, group string, n, batch int, started chan<- struct{}, intakes map[string]pipeline.Intake, orgs pipeline.Originators) (time.Duration, error) {
	var ptr atomic.Pointer[screening.Screener]
	ptr.Store(sc)
	var committed atomic.Int64
	var first atomic.Int64
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, workers)
	for w := 0; w < workers; w++ {
		// The service's default bound on a batch's bytes (--max-batch-bytes),
		// and its bound on claims: an interchange counts its claims.
		src := &CountingSource{Source: conn.NewSource(kafkaio.SourceConfig{Topic: topic, GroupID: group, MaxBatchBytes: pipeline.DefaultMaxBatchBytes,
			Weight: pipeline.Weigher(topics, intakes)}, nil), Total: &committed, First: &first}
		defer src.Close()
		p := pipeline.New(pipeline.Config{BatchSize: batch, BatchWait: 5 * time.Millisecond, Topics: topics, Intakes: intakes, Originators: orgs},
			src, sink, ledger, &ptr, claim.NewDecoder(claim.Limits{}), nil, nil)
		go func() { done <- p.Run(rctx) }()
	}
	if started != nil {
		close(started)
	}
	for committed.Load() < int64(n) {
		select {
		case err := <-done:
			return 0, fmt.Errorf("pipeline stopped: %v", err)
		case <-time.After(2 * time.Millisecond):
		}
	}
	took := time.Since(time.Unix(0, first.Load()))
	cancel()
	for w := 0; w < workers; w++ {
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			return 0, err
		}
	}
	return took, nil
}

// latency offers claims at rate (in 10 ms ticks) while one pipeline runs,
// and returns p50 and p99 of produce call to output acknowledged, in ms.
func latency(ctx context.Context, workers int, conn *kafkaio.Conn, sink *kafkaio.Sink, ledger pipeline.Ledger, sc *screening.Screener, topics pipeline.Topics,
	topic, group string, msgs [][]byte, rate, batch int) ([2]float64, error) {
	ts := &timingSink{Sink: sink, acks: map[string]time.Time{}}
	keys := make([]string, len(msgs))
	sent := make([]time.Time, len(msgs))
	var outKey []string
	for i, m := range msgs {
		var h struct {
			ClaimID      string `json:"claim_id"`
			OriginatorID string `json:"originator_id"`
		}
		json.Unmarshal(m, &h)
		keys[i] = fmt.Sprint("lat-", i)
		outKey = append(outKey, h.OriginatorID+"/"+h.ClaimID)
	}
	started := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		_, err := runPipeline(ctx, workers, conn, ts, ledger, sc, topics, topic, group, len(msgs), batch, started, nil, nil)
		errc <- err
	}()
	<-started
	time.Sleep(2 * time.Second) // let the group settle before the clock starts
	per := max(1, rate/100)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for i := 0; i < len(msgs); {
		<-tick.C
		var outs []pipeline.Output
		now := time.Now()
		for j := i; j < min(i+per, len(msgs)); j++ {
			outs = append(outs, pipeline.Output{Topic: topic, Key: []byte(keys[j]), Value: msgs[j]})
			sent[j] = now
		}
		if err := pipeline.Produce.Write(ctx, sink, outs); err != nil {
			return [2]float64{}, err
		}
		i += len(outs)
	}
	if err := <-errc; err != nil {
		return [2]float64{}, err
	}
	var lat []float64
	ts.mu.Lock()
	for i, k := range outKey {
		if at, ok := ts.acks[k]; ok && !sent[i].IsZero() {
			lat = append(lat, float64(at.Sub(sent[i]).Microseconds())/1000)
		}
	}
	ts.mu.Unlock()
	if len(lat) == 0 {
		return [2]float64{}, errors.New("no output was timed")
	}
	sort.Float64s(lat)
	return [2]float64{lat[len(lat)/2], lat[len(lat)*99/100]}, nil
}

// baseline screens claims the way a design often starts: every diagnosis,
// procedure and modifier looked up with its own SQL query against one code
// table (no chart lookups, which would only slow it further).
func baseline(ctx context.Context, pool *pgxpool.Pool, rels []*codeset.Release, msgs [][]byte) (float64, error) {
	if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS bench_code; CREATE TABLE bench_code (system text, code text, valid_from date, valid_to date, billable boolean);
		CREATE INDEX ON bench_code (system, code)`); err != nil {
		return 0, err
	}
	defer pool.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS bench_code")
	var rows [][]any
	for _, r := range rels {
		for _, c := range r.Codes {
			from, to := r.Coverage.From, r.Coverage.To
			if c.Valid.From > from {
				from = c.Valid.From
			}
			if c.Valid.To < to {
				to = c.Valid.To
			}
			rows = append(rows, []any{r.System, c.Code, pgDate(from), pgDate(to), c.Billable})
		}
	}
	if _, err := pool.CopyFrom(ctx, []string{"bench_code"}, []string{"system", "code", "valid_from", "valid_to", "billable"}, pgxCopyRows(rows)); err != nil {
		return 0, err
	}
	pool.Exec(ctx, "ANALYZE bench_code")
	dec := claim.NewDecoder(claim.Limits{})
	start := time.Now()
	q := `SELECT billable FROM bench_code WHERE system = $1 AND code = $2 AND (valid_from IS NULL OR valid_from <= $3) AND (valid_to IS NULL OR valid_to >= $3) LIMIT 1`
	for _, m := range msgs {
		c, _, err := dec.Decode(m, time.Now())
		if err != nil {
			continue
		}
		for li := range c.Lines {
			d, _ := c.LineDate(li)
			day := pgDate(d)
			look := func(sys, code string) {
				var b bool
				pool.QueryRow(ctx, q, sys, code, day).Scan(&b)
			}
			if li == 0 {
				for _, dx := range c.Diagnoses {
					look(dx.System, dx.Code)
				}
			}
			look(c.Lines[li].Procedure.System, c.Lines[li].Procedure.Code)
			for _, mod := range c.Lines[li].Procedure.Modifiers {
				look(claim.ModifierSystem(mod), mod)
			}
		}
	}
	return float64(len(msgs)) / time.Since(start).Seconds(), nil
}

func pgDate(d civil.Date) any {
	if d == civil.Min || d == civil.Max {
		return nil
	}
	y, m, day := d.YMD()
	return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC)
}

func pgxCopyRows(rows [][]any) pgx.CopyFromSource { return pgx.CopyFromRows(rows) }

// clearBenchRows deletes the ledger rows of the generated originators and
// rewrites the tables (VACUUM FULL), so that one run's dead rows neither
// slow the next nor hide its growth on disk.
func clearBenchRows(ctx context.Context, pool *pgxpool.Pool) error {
	// The generator's originators and the X12 run's trading partner: left
	// from an earlier run, the X12 run's rows made every claim of the next
	// one a resubmission (same seed, same claim ids), read back and decoded.
	const bench = "(originator_id LIKE 'ORIG-%' OR originator_id = '" + x12Originator + "')"
	if _, err := pool.Exec(ctx, "DELETE FROM decision WHERE "+bench+"; DELETE FROM decision_published WHERE "+bench); err != nil {
		return err
	}
	_, err := pool.Exec(ctx, "VACUUM FULL ANALYZE decision, decision_published")
	return err
}

// ledgerBytes is the ledger's size on disk: its tables (every partition)
// with their indexes and TOAST.
func ledgerBytes(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var n int64
	// pg_partition_tree lists a partitioned table and its partitions, and
	// nothing for a plain table: the tables themselves are named too.
	err := pool.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(relid)), 0)::bigint FROM
		(SELECT relid FROM pg_partition_tree('decision') UNION SELECT relid FROM pg_partition_tree('decision_published')
		 UNION SELECT 'decision'::regclass UNION SELECT 'decision_published'::regclass) t`).Scan(&n)
	return n, err
}

// x12Originator is the trading partner the generated interchanges come
// from (ISA06 CLEARING-1).
const x12Originator = "CLEARING-1"

// runX12 writes msgs as 837P interchanges of o.X12PerInterchange claims,
// produces them to the X12 topic and runs the pipeline with the X12 intake
// (validate, map, decide each claim, 999 and 277CA) until every
// interchange is committed.
func runX12(ctx context.Context, o Options, res *Result, conn *kafkaio.Conn, sink pipeline.Sink, ledger pipeline.Ledger, sc *screening.Screener,
	topics pipeline.Topics, prefix string, msgs [][]byte, w io.Writer) error {
	per := o.X12PerInterchange
	if per <= 0 {
		per = 1000
	}
	var ics [][]byte
	claims := 0
	for i := 0; i < len(msgs); i += per {
		ic := gen.Interchange(msgs[i:min(i+per, len(msgs))], fmt.Sprintf("%09d", 100000000+i/per))
		claims += bytes.Count(ic, []byte("\nCLM*"))
		ics = append(ics, ic)
	}
	if err := Produce(ctx, sink, prefix+".x12", ics); err != nil {
		return err
	}
	partners, err := originators.New([]originators.Entry{{ID: x12Originator, Active: true, X12Sender: "ZZ:" + x12Originator}})
	if err != nil {
		return err
	}
	intakes := map[string]pipeline.Intake{prefix + ".x12": &x12intake.Intake{Partners: partners}}
	var ru0, ru1 syscall.Rusage
	stopProfile, err := startProfile(o.X12CPUProfile)
	if err != nil {
		return err
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	took, err := runPipeline(ctx, o.Workers, conn, sink, ledger, sc, topics, prefix+".x12", prefix+".x12-group", len(ics), o.BatchSize, nil, intakes, partners)
	stopProfile()
	if err != nil {
		return err
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	res.X12Interchanges, res.X12Claims = len(ics), claims
	res.X12Rate = float64(claims) / took.Seconds()
	if res.PipelineRate > 0 {
		res.X12OverClaimV1 = res.X12Rate / res.PipelineRate
	}
	res.X12CPUSecondsPer1000 = (tv(ru1.Utime) + tv(ru1.Stime) - tv(ru0.Utime) - tv(ru0.Stime)) / float64(claims) * 1000
	fmt.Fprintf(w, "(c) X12: %d interchanges of up to %d claims (%d claims; validate, map, decide, 999 and 277CA, commit): %.0f claims/s, %.2f of claim.v1 (b), %.3f CPU s per 1,000 claims\n",
		len(ics), per, claims, res.X12Rate, res.X12OverClaimV1, res.X12CPUSecondsPer1000)
	return nil
}
