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
