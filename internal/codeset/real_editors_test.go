package codeset

import (
	"strings"
	"testing"

	"github.com/claimscreen/claimscreen/internal/civil"
)

// The MCE v44 tables as the shared README measures them.
func TestRealMCETables(t *testing.T) {
	fl := openOne(t, "mce/mce_v44_icd10cm_dx_flags.csv")[0]
	ag := openOne(t, "mce/mce_v44_age_ranges.csv")[0]
	if fl.Key() != "MCE v44 dx-flags" || fl.Rows != 85122 || fl.Format != FormatMCEDxFlags ||
		fl.Coverage != (civil.Range{From: civil.FromYMD(2015, 10, 1), To: civil.FromYMD(2027, 3, 31)}) {
		t.Errorf("flags release: %s rows %d format %s covers %s", fl.Key(), fl.Rows, fl.Format, fl.Coverage)
	}
	codes := map[string]bool{}
	for _, r := range fl.DxFlags {
		codes[r.Code] = true
	}
	if len(codes) != 75909 {
		t.Errorf("%d codes, want 75,909", len(codes))
	}
	if ag.Key() != "MCE v44 age-ranges" || ag.Rows != 5 {
		t.Errorf("age release: %s rows %d", ag.Key(), ag.Rows)
	}
	// Flags in force on a date, per kind (sex flags all end 2024-09-30).
	inForce := func(d civil.Date) map[string]int {
		n := map[string]int{}
		for _, r := range fl.DxFlags {
			if !r.Valid.Contains(d) {
				continue
			}
			for i, name := range fl.FlagNames {
				if r.Flags&(1<<i) != 0 {
					n[name]++
				}
			}
		}
		return n
	}
	for _, tc := range []struct {
		d    civil.Date
		want map[string]int
	}{
		{civil.FromYMD(2025, 2, 10), map[string]int{"ecodepdx": 7441, "manifestation": 422, "unacceptable": 2608, "qadm": 30, "newborn": 42, "pediatric": 125, "maternity": 2543, "adult": 856, "female": 0, "male": 0}},
		{civil.FromYMD(2026, 2, 10), map[string]int{"ecodepdx": 7461, "manifestation": 422, "unacceptable": 2657, "qadm": 30, "newborn": 42, "pediatric": 125, "maternity": 2543, "adult": 856, "female": 0, "male": 0}},
	} {
		got := inForce(tc.d)
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s on %s: %d rows, want %d", k, tc.d, got[k], v)
			}
		}
	}
	var lastSex civil.Date = civil.Min
	sexRows := 0
	for _, r := range fl.DxFlags {
		if r.Flags&(FlagFemale|FlagMale) != 0 {
			sexRows++
			lastSex = max(lastSex, r.Valid.To)
		}
	}
	if sexRows != 3597+535 || lastSex != civil.FromYMD(2024, 9, 30) {
		t.Errorf("%d sex-flag rows ending last on %s; want 4,132 ending 2024-09-30", sexRows, lastSex)
	}
	snap, err := NewSnapshot([]*Release{fl, ag})
	if err != nil {
		t.Fatal(err)
	}
	if f, rel := snap.MCEFlags("F0781", civil.FromYMD(2026, 3, 31)); f&FlagUnacceptable == 0 || rel == nil || rel.Version != "v44" {
		t.Errorf("F07.81 on 2026-03-31: flags %b", f)
	}
	if f, _ := snap.MCEFlags("F0781", civil.FromYMD(2026, 4, 1)); f&FlagUnacceptable != 0 {
		t.Error("F07.81's unacceptable flag is in force after 2026-03-31")
	}
	if f, rel := snap.MCEFlags("A1816", civil.FromYMD(2014, 1, 1)); f != 0 || rel != nil {
		t.Error("an MCE release covers 2014")
	}
	// Every code's flags, through the snapshot's index (the dense table of
	// codes flagged the whole release long, or the dated slots), equal the
	// table's own rows on each row's first and last day and the days
	// around them.
	byCode := map[string][]DxFlagRow{}
	for _, r := range fl.DxFlags {
		byCode[r.Code] = append(byCode[r.Code], r)
	}
	checked := 0
	for code, rows := range byCode {
		for _, r := range rows {
			for _, d := range []civil.Date{r.Valid.From - 1, r.Valid.From, r.Valid.To, r.Valid.To + 1} {
				if !fl.Coverage.Contains(d) {
					continue
				}
				var want MCEFlags
				for _, o := range rows {
					if o.Valid.Contains(d) {
						want = o.Flags
						break
					}
				}
				if got, _ := snap.MCEFlags(code, d); got != want {
					t.Fatalf("%s on %s: flags %b, the table's rows say %b", code, d, got, want)
				}
				checked++
			}
		}
	}
	if checked < 10000 {
		t.Errorf("only %d code-days checked", checked)
	}
	for _, tc := range []struct {
		flag     MCEFlags
		d        civil.Date
		min, max int
	}{
		{FlagNewborn, civil.FromYMD(2025, 1, 1), 0, 0},
		{FlagPediatric, civil.FromYMD(2025, 1, 1), 0, 17},
		{FlagAdult, civil.FromYMD(2025, 1, 1), 15, 124},
		{FlagMaternity, civil.FromYMD(2019, 9, 30), 12, 55},
		{FlagMaternity, civil.FromYMD(2019, 10, 1), 9, 64},
	} {
		a, _, ok := snap.MCEAge(tc.flag, tc.d)
		if !ok || a.Min != tc.min || a.Max != tc.max {
			t.Errorf("%s on %s: %+v %v", FlagName(tc.flag), tc.d, a, ok)
		}
	}
}

// The April 2026 Tabular List as the shared README measures it.
func TestRealTabular(t *testing.T) {
	r := openOne(t, "icd10cm/icd10cm_tabular_2026_april.xml.gz")[0]
	if r.Key() != "ICD-10-CM-TABULAR FY2026-APR" || r.Coverage != (civil.Range{From: civil.FromYMD(2026, 4, 1), To: civil.FromYMD(2026, 9, 30)}) || r.Format != FormatTabular {
		t.Errorf("%s covers %s format %s", r.Key(), r.Coverage, r.Format)
	}
	tb := r.Tabular
	resolving := 0
	for _, n := range tb.Excludes1 {
		if len(n.Targets) > 0 {
			resolving++
		}
	}
	manif := 0
	for _, c := range tb.Codes() {
		if c.Manifestation {
			manif++
		}
	}
	// 5,253 notes under codes and categories (154 more stand under
	// chapters and sections, which the rule does not read). 5,061 name codes
	// or ranges: the shared README's 5,058, and three written X00.0-X00.2-
	// (a range whose end carries the dash). 214 titles hold "in diseases
	// classified elsewhere" (the README says 223; the file and the FY2026
	// order file both have 214).
	if len(tb.Excludes1) != 5253 || resolving != 5061 || manif != 214 || len(tb.SevenChr) != 508 {
		t.Errorf("excludes1 %d (%d resolving), manifestation titles %d, 7th-character definitions %d", len(tb.Excludes1), resolving, manif, len(tb.SevenChr))
	}
	// 7th characters come from the nearest definition: S52.52 (torus
	// fractures, closed only) has its own; S52.50 takes the category's 16.
	chars := func(code string) string {
		var b strings.Builder
		for _, d := range tb.SevenChars(code) {
			b.WriteByte(d.Char)
		}
		return b.String()
	}
	if got := chars("S52521"); got != "ADGKPS" {
		t.Errorf("S52.521 takes %s", got)
	}
	if got := chars("S52501"); got != "ABCDEFGHJKMNPQRS" {
		t.Errorf("S52.501 takes %s", got)
	}
	if c, ok := tb.Code("W19XXXA"); !ok || c.Chapter != 20 {
		t.Errorf("W19 chapter %d %v", c.Chapter, ok)
	}
	if !tb.Manifestation("G63") || tb.Manifestation("E119") {
		t.Error("manifestation titles")
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"J209", "J40", true},         // J20: bronchitis NOS (J40)
		{"J40", "J209", true},         // either order
		{"A040", "A050", true},        // A04: bacterial foodborne intoxications, NEC (A05.-)
		{"A050", "A041", true},        // A05: Escherichia coli infection (A04.0-A04.4), a range
		{"A050", "A045", true},        // A04.5 is under A04, whose note names A05.-
		{"A0500", "T620X1A", true},    // A05: toxic effect of noxious foodstuffs (T61-T62), a category range
		{"A310", "A150", false},       // A31: tuberculosis (A15-A19) is an Excludes2 note
		{"S52521A", "S62001A", false}, // S52's Excludes2: fracture at wrist (S62.-)
		{"E119", "I10", false},
		{"A050", "B20", false},
	} {
		if _, got := tb.Excludes1Of(tc.a, tc.b); got != tc.want {
			t.Errorf("Excludes1(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
}

func TestCodeSpan(t *testing.T) {
	for _, tc := range []struct {
		span CodeSpan
		code string
		want bool
	}{
		{CodeSpan{"A05", "A05"}, "A050", true},
		{CodeSpan{"A05", "A05"}, "A06", false},
		{CodeSpan{"E08", "E13"}, "E119", true},
		{CodeSpan{"E08", "E13"}, "E14", false},
		{CodeSpan{"E08", "E13"}, "E0700", false},
		{CodeSpan{"S720", "S722"}, "S72143A", true},
		{CodeSpan{"S720", "S722"}, "S723", false},
		{CodeSpan{"J209", "J209"}, "J20", false},
	} {
		if got := tc.span.Contains(tc.code); got != tc.want {
			t.Errorf("%s contains %s = %v", tc.span, tc.code, got)
		}
	}
	if got := noteTargets("nerve root compression (due to) (in) spondylosis (M47.0-, M47.2.-)"); len(got) != 2 || got[0].From != "M470" || got[1].From != "M472" {
		t.Errorf("targets %v", got)
	}
	if got := noteTargets("diabetic mononeuropathy (E08-E13 with .41)"); len(got) != 0 {
		t.Errorf("a group with words names %v", got)
	}
}
