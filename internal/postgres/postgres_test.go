package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/claimscreen/claimscreen/internal/civil"
	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/originators"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/testenv"
	"github.com/claimscreen/claimscreen/pipeline/pipelinetest"
)

func db(t *testing.T) *pgxpool.Pool {
	t.Helper()
	url := testenv.FreshDatabase(t, MigrateURL)
	pool, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func TestMigrateIsIdempotent(t *testing.T) {
	pool := db(t)
	applied, err := Migrate(context.Background(), pool)
	if err != nil || len(applied) != 0 {
		t.Fatalf("second migrate applied %v: %v", applied, err)
	}
}

func TestLedgerConformance(t *testing.T) {
	pipelinetest.TestLedger(t, NewLedger(db(t)))
}

func TestImportRealFiles(t *testing.T) {
	pool := db(t)
	reg := NewReleases(pool)
	ctx := context.Background()
	files := map[string][2]int{ // file: releases, rows of the first
		"icd10cm/icd10cm_order_2024.txt.gz":        {1, 97296},
		"icd10cm/icd10cm_order_2025.txt.gz":        {1, 97584},
		"icd10cm/icd10cm_order_2026.txt.gz":        {1, 98186},
		"hcpcs/HCPC2025_JAN_ANWEB_12172024.txt.gz": {2, 8259},
	}

	for f, want := range files {
		rels, _, err := codeset.OpenFS(testenv.SharedFS(t), f, "")
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		res, err := reg.ImportReleases(ctx, rels)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("imported %s in %v", f, time.Since(start))
		if len(res) != want[0] || res[0].Status != "imported" || res[0].Rows != want[1] {
			t.Errorf("%s: %+v", f, res)
		}
		again, err := reg.ImportReleases(ctx, rels)
		if err != nil || again[0].Status != "already imported" {
			t.Errorf("re-import of %s: %+v %v", f, again, err)
		}

	}
	var n int
	pool.QueryRow(ctx, "SELECT count(*) FROM codeset_code").Scan(&n)
	if n != 97296+97584+98186+8259+383 {
		t.Errorf("%d code rows", n)
	}
	// An import broken half-way leaves the previous state intact: the
	// second release of this file is bad, the first must not stay.
	good, _, _ := codeset.OpenFS(samples.CodeSets, "codesets/icd10cm_order_2025.txt", "")
	bad := *good[0]
	bad.Version = "FY2099"
	bad2 := bad
	bad2.Version = "FY2098"
	bad2.Codes = append([]codeset.Code{}, bad.Codes...)
	bad2.Codes[3].Code = strings.Repeat("\x00", 3) // PostgreSQL refuses a NUL in text
	if _, err := reg.ImportReleases(ctx, []*codeset.Release{&bad, &bad2}); err == nil {
		t.Fatal("a broken import succeeded")
	}
	list, _ := reg.ListReleases(ctx)
	for _, r := range list {
		if strings.HasPrefix(r.Version, "FY209") {
			t.Errorf("half-loaded release left behind: %+v", r)
		}
	}
	if len(list) != 5 {
		t.Errorf("%d releases listed", len(list))
	}
	// Another file for an imported release is refused.
	other := *good[0]
	other.Version, other.SHA256 = "FY2026", "0000000000000000000000000000000000000000000000000000000000000000"
	if _, err := reg.ImportReleases(ctx, []*codeset.Release{&other}); !errors.Is(err, ErrConflict) {
		t.Errorf("conflicting import: %v", err)
	}

	// Only active releases load; the snapshot answers as the files do.
	if rels, _ := reg.LoadActive(ctx); len(rels) != 0 {
		t.Fatalf("%d active before activation", len(rels))
	}
	for _, v := range [][2]string{{"ICD-10-CM", "FY2025"}, {"ICD-10-CM", "FY2026"}, {"HCPCS", "2025-Q1"}, {"HCPCS-MODIFIER", "2025-Q1"}} {
		if err := reg.SetReleaseActive(ctx, v[0], v[1], true); err != nil {
			t.Fatal(err)
		}
	}
	if err := reg.SetReleaseActive(ctx, "ICD-10-CM", "FY1999", true); err == nil {
		t.Error("activating a release never imported succeeded")
	}
	start := time.Now()
	rels, err := reg.LoadActive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := codeset.NewSnapshot(rels)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("snapshot of %d active releases rebuilt from PostgreSQL in %v", len(rels), time.Since(start))
	for _, tc := range []struct {
		sys, code string
		d         civil.Date
		want      codeset.Status
	}{
		{codeset.ICD10CM, "E7801", civil.FromYMD(2025, 6, 1), codeset.Valid},
		{codeset.ICD10CM, "E7801", civil.FromYMD(2025, 11, 1), codeset.Header},
		{codeset.ICD10CM, "S301XXA", civil.FromYMD(2025, 11, 1), codeset.NotEffective},
		{codeset.ICD10CM, "E119", civil.FromYMD(2024, 1, 1), codeset.NotLoaded}, // FY2024 imported, not active
		{codeset.HCPCS, "A9615", civil.FromYMD(2024, 12, 31), codeset.NotEffective},
		{codeset.HCPCSModifier, "JG", civil.FromYMD(2024, 12, 31), codeset.Valid},
	} {
		if r := snap.Lookup(tc.sys, tc.code, tc.d); r.Status != tc.want {
			t.Errorf("%s %s %s: %s, want %s", tc.sys, tc.code, tc.d, r.Status, tc.want)
		}
	}

}

func TestChartsAndOriginators(t *testing.T) {
	pool := db(t)
	reg, orgs := NewCharts(pool), NewOriginators(pool)
	ctx := context.Background()
	chart, err := samples.Chart()
	if err != nil {
		t.Fatal(err)
	}
	if st, err := reg.ImportChart(ctx, chart); err != nil || st != "imported" {
		t.Fatal(st, err)
	}
	if st, _ := reg.ImportChart(ctx, chart); st != "already imported" {
		t.Error(st)
	}
	if c, _ := reg.LoadActiveChart(ctx); c.Len() != 0 {
		t.Error("a chart is active before activation")
	}
	if err := reg.ActivateChart(ctx, chart.Version); err != nil {
		t.Fatal(err)
	}
	c, err := reg.LoadActiveChart(ctx)
	if err != nil || c.Version != chart.Version || c.Len() != chart.Len() {
		t.Fatalf("%v %v", c, err)
	}
	if r, ok := c.Lookup("HCPCS", "G0439", civil.FromYMD(2025, 1, 1)); !ok || r.Internal != "SVC-AWV" {
		t.Error("chart from the database does not map")
	}
	if o, _ := orgs.Load(ctx); o != nil {
		t.Error("an empty originator table is enforced")
	}
	orgs.AddOriginator(ctx, originators.Entry{ID: "LAB-0042"})
	orgs.AddOriginator(ctx, originators.Entry{ID: "CLINIC-1", NoticeTopic: "notices.clinic-1", X12Sender: "ZZ:CLINIC1"})
	if err := orgs.DisableOriginator(ctx, "CLINIC-1"); err != nil {
		t.Fatal(err)
	}
	if err := orgs.DisableOriginator(ctx, "NOPE"); err == nil {
		t.Error("disabling an unknown originator succeeded")
	}
	o, err := orgs.Load(ctx)
	if err != nil || o == nil {
		t.Fatal(err)
	}
	if _, ok := o.Lookup("CLINIC-1"); ok {
		t.Error("a disabled originator is active")
	}
	if _, ok := o.Lookup("LAB-0042"); !ok {
		t.Error("an added originator is not active")
	}
	// The trading-partner columns come back (CLINIC-1 is disabled, so no
	// sender identifies it).
	if list, _ := orgs.List(ctx); len(list) != 2 || list[0].X12Sender != "ZZ:CLINIC1" {
		t.Errorf("list: %+v", list)
	}
	if _, ok := o.Sender("ZZ", "CLINIC1", ""); ok {
		t.Error("a disabled originator's sender identifies it")
	}
}

func TestListenNotifies(t *testing.T) {
	pool := db(t)
	reg := NewReleases(pool)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	got := make(chan struct{}, 4)
	go Listen(ctx, pool, ready, func() { got <- struct{}{} }, nil)
	<-ready
	rels, _, _ := codeset.OpenFS(samples.CodeSets, "codesets/icd10cm_order_2026.txt", "")
	reg.ImportReleases(ctx, rels)
	if err := reg.SetReleaseActive(ctx, "ICD-10-CM", "FY2026", true); err != nil {
		t.Fatal(err)
	}
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no notification after an activation")
	}
}

// TestImportEditors: the MCE tables, the Tabular List and HCPCS coverage
// details go through PostgreSQL unchanged: the snapshot built from the
// active releases answers as the one built from the files.
func TestImportEditors(t *testing.T) {
	pool := db(t)
	reg := NewReleases(pool)
	ctx := context.Background()
	var fromFiles []*codeset.Release
	for _, f := range []string{"mce/mce_v44_icd10cm_dx_flags.csv", "mce/mce_v44_age_ranges.csv", "icd10cm/icd10cm_tabular_2026_april.xml.gz", "hcpcs/HCPC2025_JAN_ANWEB_12172024.txt.gz"} {
		rels, _, err := codeset.OpenFS(testenv.SharedFS(t), f, "")
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		res, err := reg.ImportReleases(ctx, rels)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("imported %s in %v", f, time.Since(start).Round(time.Millisecond))
		if res[0].Status != "imported" {
			t.Errorf("%s: %+v", f, res)
		}
		if again, err := reg.ImportReleases(ctx, rels); err != nil || again[0].Status != "already imported" {
			t.Errorf("re-import of %s: %+v %v", f, again, err)
		}
		for _, r := range rels {
			if err := reg.SetReleaseActive(ctx, r.System, r.Version, true); err != nil {
				t.Fatal(err)
			}
		}
		fromFiles = append(fromFiles, rels...)
	}
	a, err := codeset.NewSnapshot(fromFiles)
	if err != nil {
		t.Fatal(err)
	}
	rels, err := reg.LoadActive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := codeset.NewSnapshot(rels)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []civil.Date{civil.FromYMD(2024, 9, 30), civil.FromYMD(2026, 3, 31), civil.FromYMD(2026, 5, 1)} {
		for _, code := range []string{"W19XXXA", "A1816", "O80", "F0781", "E119", "D630", "A33", "S52521S", "Z0000"} {
			fa, ra := a.MCEFlags(code, d)
			fb, rb := b.MCEFlags(code, d)
			if fa != fb || (ra == nil) != (rb == nil) {
				t.Errorf("MCE flags of %s on %s: files %b, PostgreSQL %b", code, d, fa, fb)
			}
		}
		for _, f := range []codeset.MCEFlags{codeset.FlagNewborn, codeset.FlagPediatric, codeset.FlagMaternity, codeset.FlagAdult} {
			x, _, okx := a.MCEAge(f, d)
			y, _, oky := b.MCEAge(f, d)
			if x != y || okx != oky {
				t.Errorf("age range of %s on %s: %+v %+v", codeset.FlagName(f), d, x, y)
			}
		}
	}
	ta, _ := a.TabularOn(civil.FromYMD(2026, 5, 1))
	tb, rel := b.TabularOn(civil.FromYMD(2026, 5, 1))
	if tb == nil || rel.Version != "FY2026-APR" || tb.Len() != ta.Len() || len(tb.Excludes1) != len(ta.Excludes1) || len(tb.SevenChr) != len(ta.SevenChr) {
		t.Fatalf("Tabular from PostgreSQL: %v", rel)
	}
	for _, p := range [][2]string{{"J209", "J40"}, {"A0500", "T620X1A"}, {"A310", "A150"}, {"S52521A", "S62001A"}} {
		na, oka := ta.Excludes1Of(p[0], p[1])
		nb, okb := tb.Excludes1Of(p[0], p[1])
		if oka != okb || na.Note != nb.Note || na.Source != nb.Source {
			t.Errorf("Excludes1 %v: files %v %q, PostgreSQL %v %q", p, oka, na.Note, okb, nb.Note)
		}
	}
	if fmt.Sprint(ta.SevenChars("S52501")) != fmt.Sprint(tb.SevenChars("S52501")) {
		t.Error("7th characters differ")
	}
	for _, code := range []string{"A4252", "A0888", "A0021", "C9014", "G0439"} {
		ra, rb := a.Lookup(codeset.HCPCS, code, civil.FromYMD(2025, 1, 15)), b.Lookup(codeset.HCPCS, code, civil.FromYMD(2025, 1, 15))
		ia, _ := codeset.HCPCSInfoOf(ra.Release, code)
		ib, _ := codeset.HCPCSInfoOf(rb.Release, code)
		if ia != ib {
			t.Errorf("HCPCS %s: files %+v, PostgreSQL %+v", code, ia, ib)
		}
	}
}
