package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/claimscreen/claimscreen/internal/bench"
	"github.com/claimscreen/claimscreen/internal/postgres"
	"github.com/claimscreen/claimscreen/internal/testenv"
)

// TestBenchCommand runs a small `claimscreen bench` on the embedded broker
// and checks that it reports every figure; it asserts no speed.
func TestBenchCommand(t *testing.T) {
	md := filepath.Join(t.TempDir(), "b.md")
	os.WriteFile(md, []byte("# x\n<!-- bench:start -->\nold\n<!-- bench:end -->\ntail\n"), 0o644)
	code, out, errOut := runCmd(t, "", "bench", "--claims", "2000", "--latency-claims", "300", "--rate", "2000", "--markdown", md,
		"--x12", "--x12-claims-per-interchange", "500")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	r := benchResult(t, out)
	if r.Claims != 2000 || r.RelayRate <= 0 || r.PipelineRate <= 0 || r.Ratio <= 0 || r.LatencyP99ms <= 0 || r.RulesPerCore <= 0 ||
		r.DecodeRulesPerCore <= 0 || r.CPUSecondsPer1000 <= 0 || r.PeakRSSMB <= 0 ||
		r.X12Interchanges != 4 || r.X12Claims < 1900 || r.X12Rate <= 0 || r.X12CPUSecondsPer1000 <= 0 {
		t.Errorf("a figure is missing: %+v", r)
	}
	b, _ := os.ReadFile(md)
	if !strings.Contains(string(b), "| pipeline ÷ relay, embedded (kfake), memory ledger |") || !strings.Contains(string(b), "| (c) X12: 4 interchanges") || strings.Contains(string(b), "old") || !strings.HasSuffix(string(b), "tail\n") {
		t.Errorf("markdown section not rewritten:\n%s", b)
	}
	if code, _, errOut := runCmd(t, "", "bench", "--claims", "5"); code != 2 || !strings.Contains(errOut, "--claims at least 1000") {
		t.Errorf("bad flag: %d %s", code, errOut)
	}
}

// On Kafka and PostgreSQL with --embedded and --cpuprofile, as make bench
// runs it: the ledger's bytes and PostgreSQL's CPU per claim, the embedded
// run beside, and the profile's top in the Markdown; no speed asserted.
func TestBenchCommandOnKafkaAndPostgres(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	url := testenv.FreshDatabase(t, postgres.MigrateURL)
	dir := t.TempDir()
	md := filepath.Join(dir, "b.md")
	os.WriteFile(md, []byte("<!-- bench:start -->\n<!-- bench:end -->\n"), 0o644)
	code, out, errOut := runCmd(t, "", "bench", "--claims", "2000", "--latency-claims", "300", "--rate", "2000", "--markdown", md,
		"--brokers", strings.Join(brokers, ","), "--database-url", url, "--embedded", "--cpuprofile", filepath.Join(dir, "cpu.pprof"))
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	r := benchResult(t, out)
	if r.Ledger != "postgresql" || r.LedgerBytesPerClaim <= 0 || r.Embedded == nil || r.Embedded.Ratio <= 0 || r.Embedded.Ledger != "memory" ||
		r.DecodeRulesAllocs <= 0 || r.BaselineRate <= 0 {
		t.Errorf("a figure is missing: %+v", r)
	}
	b, _ := os.ReadFile(md)
	for _, want := range []string{"| ledger bytes per claim on disk", "| pipeline ÷ relay, embedded broker, memory ledger |", "| claimscreen CPU per claim", "flat%"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b)
		}
	}
}

// benchResult is the JSON line a bench run ends with.
func benchResult(t *testing.T, out string) bench.Result {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var r bench.Result
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("last line is not the JSON result: %v\n%s", err, out)
	}
	return r
}

// TestBenchX12RunsOnFreshRows: --x12-cpuprofile writes the X12 run's
// profile, and the bench clears the X12 run's rows as it
// clears the generator's, so that the next run on the same database screens
// its X12 claims afresh. The X12 run's rows (trading partner CLEARING-1)
// were once left behind, and the next run's claims, the same ids from the
// same seed, were all resubmissions read back from the ledger.
func TestBenchX12RunsOnFreshRows(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	url := testenv.FreshDatabase(t, postgres.MigrateURL)
	prof := filepath.Join(t.TempDir(), "x12.pprof")
	code, out, errOut := runCmd(t, "", "bench", "--claims", "1000", "--latency-claims", "200", "--rate", "2000", "--x12",
		"--x12-cpuprofile", prof, "--brokers", strings.Join(brokers, ","), "--database-url", url)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if fi, err := os.Stat(prof); err != nil || fi.Size() == 0 {
		t.Errorf("--x12-cpuprofile wrote no profile: %v", err)
	}
	if r := benchResult(t, out); r.X12Claims != 1000 {
		t.Fatalf("X12 claims: %d", r.X12Claims)
	}
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM decision WHERE originator_id = 'CLEARING-1'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the X12 run left %d rows in the ledger: the next run would find its claims there", n)
	}
}
