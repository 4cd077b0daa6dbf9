package service

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap/zaptest"

	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/originators"
	"github.com/claimscreen/claimscreen/internal/postgres"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/testenv"
	"github.com/claimscreen/claimscreen/pipeline"
)

// importSamples imports and activates the sample code sets (all but the
// files named in skip) and chart.
func importSamples(t *testing.T, pool *pgxpool.Pool, skip ...string) {
	t.Helper()
	if err := postgres.ImportSamples(context.Background(), pool, skip...); err != nil {
		t.Fatal(err)
	}
}

func simpleClaim(id string) []byte {
	return []byte(fmt.Sprintf(`{"claim_id":%q,"originator_id":"ORG-A","form":"professional","received_at":"2025-11-20T00:00:00Z","place_of_service":"11",
"diagnoses":[{"code":"E11.9"},{"code":"I10"}],"lines":[{"number":1,"procedure":{"code":"99213"},"service_date":"2025-11-12","units":1,"charge":"95.00","diagnosis_pointers":[1,2]}]}`, id))
}

func ledgerCount(t *testing.T, pool *pgxpool.Pool, where string) int {
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM ledger WHERE "+where).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestHotReloadAndReplay: claims for FY2026 are held while only FY2025 is
// active; FY2026 is imported and activated while the service runs; claims
// after the swap are screened with it; replay then decides the held ones.
func TestHotReloadAndReplay(t *testing.T) {
	url := testenv.FreshDatabase(t, postgres.MigrateURL)
	e := newE2E(t, []string{"ORG-A"}, "--database-url", url)
	pool, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	importSamples(t, pool, "icd10cm_order_2026.txt")
	svc, stop := e.startSvc(context.Background(), true)
	defer stop()

	var before [][]byte
	for i := 0; i < 40; i++ {
		before = append(before, simpleClaim(fmt.Sprintf("H-%03d", i)))
	}
	e.produce(before)
	for _, m := range e.drain(e.cfg.Topics.Held, 40) {
		if !strings.Contains(string(m.Value), "no ICD-10-CM release covering 2025-11-12") {
			t.Fatalf("held for another reason: %s", m.Value)
		}
	}
	old := svc.screener.Load()
	rels, _, _ := codeset.OpenFS(samples.CodeSets, "codesets/icd10cm_order_2026.txt", "")
	reg := postgres.NewReleases(pool)
	if _, err := reg.ImportReleases(context.Background(), rels); err != nil {
		t.Fatal(err)
	}
	if err := reg.SetReleaseActive(context.Background(), "ICD-10-CM", "FY2026", true); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for svc.screener.Load() == old {
		if time.Now().After(deadline) {
			t.Fatal("the service did not reload after the activation")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var after [][]byte
	for i := 0; i < 40; i++ {
		after = append(after, simpleClaim(fmt.Sprintf("A-%03d", i)))
	}
	e.produce(after)
	for _, m := range e.drain(e.cfg.Topics.Review, 40) {
		if !strings.Contains(string(m.Value), `"ICD-10-CM":"FY2026"`) {
			t.Errorf("decided after the swap without FY2026: %s", m.Value)
		}
	}
	for ledgerCount(t, pool, "published_at IS NOT NULL") < 80 && time.Now().Before(deadline.Add(20*time.Second)) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := ledgerCount(t, pool, "true"); n != 80 {
		t.Fatalf("%d ledger rows for 80 submissions", n)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// Replay the held claims with FY2026 active.
	var buf bytes.Buffer
	if err := Replay(context.Background(), e.admin("--database-url", url), postgres.Filter{Outcome: "held"}, false, &buf, zaptest.NewLogger(t)); err != nil {
		t.Fatalf("replay: %v\n%s", err, buf.String())
	}
	out := buf.String()
	if !strings.Contains(out, "replayed 40 claims: 0 unchanged, 40 changed (40 accepted, 0 rejected, 0 held)") {
		t.Errorf("replay said: %s", out)
	}
	if got := e.drain(e.cfg.Topics.Review, 80); len(got) != 80 {
		t.Errorf("%d review messages after replay", len(got))
	}
	var hist int
	pool.QueryRow(context.Background(), "SELECT count(*) FROM decision_history WHERE reason LIKE 'replay with %held -> accepted'").Scan(&hist)
	if hist != 40 || ledgerCount(t, pool, "outcome = 'held'") != 0 || ledgerCount(t, pool, "published_at IS NULL") != 0 {
		t.Errorf("history %d, held left %d, unpublished %d", hist, ledgerCount(t, pool, "outcome = 'held'"), ledgerCount(t, pool, "published_at IS NULL"))
	}
	// A second replay finds nothing to do.
	buf.Reset()
	if err := Replay(context.Background(), e.admin("--database-url", url), postgres.Filter{Outcome: "held"}, false, &buf, zaptest.NewLogger(t)); err != nil {
		t.Fatal(err)
	}
	out = buf.String()
	if !strings.Contains(out, "replayed 0 claims") {
		t.Errorf("second replay: %s", out)
	}
}

// TestTwoInstancesSameSubmissions: every submission produced twice (to
// different partitions), two instances in one group on one ledger: one
// ledger row and at most one published output per submission.
func TestTwoInstancesSameSubmissions(t *testing.T) {
	url := testenv.FreshDatabase(t, postgres.MigrateURL)
	orgs := []string{"ORG-A", "ORG-B", "ORG-C"}
	e := newE2E(t, orgs, "--database-url", url)
	pool, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	importSamples(t, pool)
	_, stopA := e.startSvc(context.Background(), true)
	_, stopB := e.startSvc(context.Background(), true)
	defer stopA()
	defer stopB()
	values := genClaims(t, 200, orgs)
	twice := append(append([][]byte(nil), values...), values...)
	e.produce(twice) // keys in-0..in-399: the two copies land apart
	deadline := time.Now().Add(60 * time.Second)
	for ledgerCount(t, pool, "published_at IS NOT NULL") < 200 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := ledgerCount(t, pool, "true"); n != 200 {
		t.Fatalf("%d ledger rows for 200 submissions", n)
	}
	// Read everything published.
	outputs := map[string]int{}
	topics := []string{e.cfg.Topics.Review, e.cfg.Topics.Held}
	for _, o := range orgs {
		topics = append(topics, e.prefix+".notices."+o)
	}
	total := 0
	for _, topic := range topics {
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		msgs, _ := e.conn.Drain(ctx, topic, 1000)
		cancel()
		for _, m := range msgs {
			outputs[string(m.Key)]++
			total++
		}
	}
	for k, n := range outputs {
		if n > 1 {
			t.Errorf("%s published %d times", k, n)
		}
	}
	if len(outputs) != 200 {
		t.Errorf("%d submissions published, want 200", len(outputs))
	}
	t.Logf("400 messages, 200 submissions, %d outputs", total)

}

// TestOriginatorTableReload: the originator table is the registry; an
// originator added while the service runs is allowed at once (NOTIFY), one
// disabled is refused at once.
func TestOriginatorTableReload(t *testing.T) {
	url := testenv.FreshDatabase(t, postgres.MigrateURL)
	e := newE2E(t, []string{"ORG-A", "ORG-B"}, "--database-url", url)
	pool, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	reg := postgres.NewOriginators(pool)
	if err := reg.AddOriginator(context.Background(), originators.Entry{ID: "ORG-B"}); err != nil {
		t.Fatal(err)
	}
	svc, stop := e.startSvc(context.Background(), false)
	defer stop()
	orgA := func(id string) []byte { return simpleClaim(id) } // simpleClaim is ORG-A's
	e.produce([][]byte{orgA("O-1")})
	if m := e.drain(e.cfg.Topics.DeadLetter, 1)[0]; hdr(m, pipeline.HeaderReason) != pipeline.ReasonUnknownOriginator {
		t.Fatalf("an unregistered originator's claim: %s", hdr(m, pipeline.HeaderReason))
	}
	wait := func(want bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			if _, ok := svc.originators.Lookup("ORG-A"); ok == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the service did not take the originator table's change (ORG-A allowed: %v)", !want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if err := reg.AddOriginator(context.Background(), originators.Entry{ID: "ORG-A"}); err != nil {
		t.Fatal(err)
	}
	wait(true)
	e.produce([][]byte{orgA("O-2")})
	if n := len(e.drain(e.cfg.Topics.Review, 1)); n != 1 {
		t.Fatalf("%d reviews after ORG-A was added", n)
	}
	if err := reg.DisableOriginator(context.Background(), "ORG-A"); err != nil {
		t.Fatal(err)
	}
	wait(false)
	e.produce([][]byte{orgA("O-3")})
	if n := len(e.drain(e.cfg.Topics.DeadLetter, 2)); n != 2 {
		t.Fatalf("%d dead letters after ORG-A was disabled", n)
	}
}
