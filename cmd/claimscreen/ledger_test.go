package main

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/postgres"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/internal/testenv"
	"github.com/claimscreen/claimscreen/pipeline"
)

// `claimscreen ledger` prints the stored (compressed) rows with the claim
// and the decision as JSON, filtered like replay; bad flags are usage
// errors.
func TestLedgerCommand(t *testing.T) {
	url := testenv.FreshDatabase(t, postgres.MigrateURL)
	ctx := context.Background()
	pool, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	at := time.Date(2025, 11, 20, 10, 0, 0, 0, time.UTC)
	var subs []pipeline.Submission
	for i, o := range []screening.Outcome{screening.Accepted, screening.Rejected, screening.Held} {
		id := []string{"C-1", "C-2", "C-3"}[i]
		subs = append(subs, pipeline.Submission{OriginatorID: "ORG-A", ClaimID: id, Hash: strings.Repeat(string(rune('a'+i)), 64), Frequency: "1",
			Claim:    []byte(`{"claim_id":"` + id + `","originator_id":"ORG-A"}`),
			Decision: screening.Decision{ClaimID: id, OriginatorID: "ORG-A", Outcome: o, Codesets: screening.Versions{{System: "ICD-10-CM", Version: "FY2026"}}},
			Source:   pipeline.Position{Topic: "claims.submitted", Partition: 3, Offset: int64(10 + i)}, DecidedAt: at.Add(time.Duration(i) * time.Hour)})
	}
	l := postgres.NewLedger(pool)
	if _, err := l.Record(ctx, subs); err != nil {
		t.Fatal(err)
	}
	if err := l.MarkPublished(ctx, subs[:1], at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	env := func(k string) (string, bool) { return url, k == "DATABASE_URL" }
	cli := func(args ...string) (int, []map[string]any, string) {
		var out, errb strings.Builder
		code := run(ctx, append([]string{"ledger"}, args...), strings.NewReader(""), &out, &errb, env)
		var rows []map[string]any
		sc := bufio.NewScanner(strings.NewReader(out.String()))
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("not NDJSON: %q", sc.Text())
			}
			rows = append(rows, m)
		}
		return code, rows, errb.String()
	}
	code, rows, errOut := cli()
	if code != 0 || len(rows) != 3 {
		t.Fatalf("exit %d, %d rows: %s", code, len(rows), errOut)
	}
	first := rows[0]
	claim, _ := first["claim"].(map[string]any)
	decision, _ := first["decision"].(map[string]any)
	src, _ := first["source"].(map[string]any)
	if first["claim_id"] != "C-1" || first["content_hash"] != strings.Repeat("a", 64) || first["outcome"] != "accepted" || first["published_at"] == nil ||
		claim["claim_id"] != "C-1" || decision["outcome"] != "accepted" || src["offset"] != 10.0 {
		t.Errorf("first row: %v", first)
	}
	if rows[1]["published_at"] != nil {
		t.Errorf("unpublished row has a publication time: %v", rows[1])
	}
	if code, rows, _ = cli("--outcome", "held"); code != 0 || len(rows) != 1 || rows[0]["claim_id"] != "C-3" {
		t.Errorf("--outcome held: exit %d, %v", code, rows)
	}
	if code, rows, _ = cli("--limit", "2", "--from", "2025-11-20"); code != 0 || len(rows) != 2 {
		t.Errorf("--limit 2: exit %d, %d rows", code, len(rows))
	}
	if code, _, errOut = cli("--from", "20-11-2025"); code != 2 || !strings.Contains(errOut, "want YYYY-MM-DD") {
		t.Errorf("bad date: exit %d: %s", code, errOut)
	}
}

// A wrong command line of a database command is told before any database
// is needed: no DATABASE_URL here.
func TestDatabaseCommandUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"codesets", "activate", "ICD-10-CM"}, "codesets activate SYSTEM VERSION"},
		{[]string{"codesets", "retire", "a", "b", "c"}, "codesets retire SYSTEM VERSION"},
		{[]string{"codesets", "import"}, "codesets import FILE..."},
		{[]string{"codesets", "frobnicate"}, "codesets list|import|activate|retire"},
		{[]string{"crosswalk", "import"}, "crosswalk import FILE|DIR"},
		{[]string{"crosswalk", "activate", "a", "b"}, "crosswalk activate VERSION"},
		{[]string{"crosswalk", "drop"}, "crosswalk import|list|activate"},
		{[]string{"ledger", "extra"}, "ledger [--outcome"},
		{[]string{"ledger", "--outcome", "maybe"}, `--outcome "maybe"`},
		{[]string{"ledger", "--from", "yesterday"}, `date "yesterday"`},
		{[]string{"ledger"}, "set DATABASE_URL"},
		{[]string{"codesets", "list"}, "set DATABASE_URL"},
		{[]string{"crosswalk", "list"}, "set DATABASE_URL"},
	} {
		code, _, errOut := runCmd(t, "", tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errOut, tc.msg)
		}
	}
}

// The reference-data commands on PostgreSQL, as docs/operations.md's
// runbook runs them: migrate, import, list, activate, for code sets and a
// crosswalk chart.
func TestReferenceDataCommands(t *testing.T) {
	env := map[string]string{"DATABASE_URL": testenv.FreshDatabase(t, postgres.MigrateURL)}
	cli := func(args ...string) (int, string, string) {
		var out, errb strings.Builder
		code := run(context.Background(), args, strings.NewReader(""), &out, &errb, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		return code, out.String(), errb.String()
	}
	must := func(want string, args ...string) string {
		t.Helper()
		code, out, errOut := cli(args...)
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("claimscreen %s: exit %d, %q %q; want %q", strings.Join(args, " "), code, out, errOut, want)
		}
		return out
	}
	order := repo(t, "internal/samples/codesets/icd10cm_order_2026.txt")
	must("database is up to date", "migrate")
	must("imported (", "codesets", "import", order)
	must("already imported", "codesets", "import", order)
	if out := must("ICD-10-CM", "codesets", "list"); !strings.Contains(out, "imported") || strings.Contains(out, "active") {
		t.Errorf("before activation: %s", out)
	}
	version := ""
	for _, l := range strings.Split(must("ICD-10-CM", "codesets", "list"), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "ICD-10-CM" {
			version = f[1]
		}
	}
	must("activated; running services reload", "codesets", "activate", "ICD-10-CM", version)
	if out := must("ICD-10-CM", "codesets", "list"); !strings.Contains(out, "active") {
		t.Errorf("after activation: %s", out)
	}
	if code, _, errOut := cli("codesets", "import", repo(t, "internal/samples/claims.ndjson")); code != 1 || !strings.Contains(errOut, "claims.ndjson") {
		t.Errorf("a file that is no code set: exit %d, %q", code, errOut)
	}
	chart := must("activate it with", "crosswalk", "import", repo(t, "crosswalks/sample-2025-10.csv"))
	v, _, _ := strings.Cut(strings.TrimPrefix(chart, "chart "), ":")
	must("activated", "crosswalk", "activate", v)
	if out := must(v, "crosswalk", "list"); !strings.Contains(out, "active") {
		t.Errorf("crosswalk list: %s", out)
	}
}
