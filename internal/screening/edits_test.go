package screening_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/rule"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/internal/testenv"
)

// editorFiles are the real files the editors' rules read, beside the code
// sets of realScreener.
var editorFiles = []string{"mce/mce_v44_icd10cm_dx_flags.csv", "mce/mce_v44_age_ranges.csv", "icd10cm/icd10cm_tabular_2026_april.xml.gz"}

var (
	editorsOnce sync.Once
	editorsRels []*codeset.Release
	editorsErr  error
)

// editorReleases loads (once) ICD-10-CM FY2024-2026, HCPCS 2025-Q1, the
// sample CPT/POS list, and the MCE and Tabular files.
func editorReleases(t testing.TB) []*codeset.Release {
	t.Helper()
	fsys := testenv.SharedFS(t)
	editorsOnce.Do(func() {
		files := append([]string{"icd10cm/icd10cm_order_2024.txt.gz", "icd10cm/icd10cm_order_2025.txt.gz", "icd10cm/icd10cm_order_2026.txt.gz",
			"hcpcs/HCPC2025_JAN_ANWEB_12172024.txt.gz"}, editorFiles...)
		for _, f := range files {
			r, _, err := codeset.OpenFS(fsys, f, "")
			if err != nil {
				editorsErr = err
				return
			}
			editorsRels = append(editorsRels, r...)
		}
		r, _, err := codeset.OpenFS(samples.CodeSets, "codesets/cpt-modifiers-pos-sample.csv", "")
		editorsErr = err
		editorsRels = append(editorsRels, r...)
	})
	if editorsErr != nil {
		t.Fatal(editorsErr)
	}
	return editorsRels
}

// editorsScreener screens with the editors' tables (with: true) or
// without them; the crosswalk is off, so that no claim is held for it.
func editorsScreener(t testing.TB, with bool) *screening.Screener {
	t.Helper()
	var rels []*codeset.Release
	for _, r := range editorReleases(t) {
		if with || (r.System != codeset.MCE && r.System != codeset.ICD10CMTabular) {
			rels = append(rels, r)
		}
	}
	snap, err := codeset.NewSnapshot(rels)
	if err != nil {
		t.Fatal(err)
	}
	p, err := rule.NewPolicy(map[string]string{"XWALK_MISSING": "off"})
	if err != nil {
		t.Fatal(err)
	}
	return screening.New(snap, nil, p)
}

// editClaim is a claim for the editors' tests.
type editClaim struct {
	institutional bool
	billType      string
	birth, sex    string
	date          string
	dx            []string
	proc          string // default 99213
}

func (e editClaim) json() []byte {
	var dxs []map[string]string
	for _, d := range e.dx {
		dxs = append(dxs, map[string]string{"code": d})
	}
	proc := e.proc
	if proc == "" {
		proc = "99213"
	}
	c := map[string]any{
		"claim_id": "EDIT-1", "originator_id": "LAB-1", "form": "professional", "received_at": "2026-11-30T00:00:00Z",
		"place_of_service": "11", "diagnoses": dxs,
		"lines": []map[string]any{{"number": 1, "procedure": map[string]any{"code": proc}, "service_date": e.date, "units": 1, "charge": "10.00", "diagnosis_pointers": []int{1}}},
	}
	if e.institutional {
		c["form"] = "institutional"
		delete(c, "place_of_service")
		c["statement_period"] = map[string]string{"from": e.date, "through": e.date}
		if e.billType != "" {
			c["bill_type"] = e.billType
		}
	}
	if e.birth != "" || e.sex != "" {
		p := map[string]string{"member_id": "M1"}
		if e.birth != "" {
			p["birth_date"] = e.birth
		}
		if e.sex != "" {
			p["sex"] = e.sex
		}
		c["patient"] = p
	}
	b, _ := json.Marshal(c)
	return b
}

func screenEdit(t *testing.T, sc *screening.Screener, e editClaim) screening.Decision {
	t.Helper()
	c, fs, err := claim.Decode(e.json(), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return sc.Screen(screening.Input{Claim: c, Findings: fs})
}

func findingOf(d screening.Decision, id rule.ID) (rule.Finding, bool) {
	for _, f := range d.Findings {
		if f.Rule == id {
			return f, true
		}
	}
	return rule.Finding{}, false
}

// Each rule on real codes, on both sides of each boundary.
func TestEditorsRules(t *testing.T) {
	sc := editorsScreener(t, true)
	const fy26, april, fy24end, fy25start = "2025-11-12", "2026-05-12", "2024-09-30", "2024-10-01"
	for _, tc := range []struct {
		name string
		c    editClaim
		id   rule.ID
		want bool
	}{
		{"external cause first", editClaim{date: fy26, dx: []string{"W19.XXXA", "S52.521A"}}, rule.DxExternalCauseFirst, true},
		{"external cause second", editClaim{date: fy26, dx: []string{"S52.521A", "W19.XXXA"}}, rule.DxExternalCauseFirst, false},
		{"manifestation first", editClaim{date: fy26, dx: []string{"D63.0", "C18.0"}}, rule.DxManifestationFirst, true},
		{"manifestation second", editClaim{date: fy26, dx: []string{"C18.0", "D63.0"}}, rule.DxManifestationFirst, false},
		{"sequela first", editClaim{date: april, dx: []string{"S52.521S", "M84.431A"}}, rule.DxSequelaFirst, true},
		{"sequela second", editClaim{date: april, dx: []string{"M84.431A", "S52.521S"}}, rule.DxSequelaFirst, false},
		{"sequela first, no Tabular in force", editClaim{date: fy26, dx: []string{"S52.521S"}}, rule.DxSequelaFirst, false},
		{"pediatric at 17", editClaim{date: fy26, birth: "2008-11-12", dx: []string{"A48.51"}}, rule.DxAgeConflict, false},
		{"pediatric at 18", editClaim{date: fy26, birth: "2007-11-12", dx: []string{"A48.51"}}, rule.DxAgeConflict, true},
		{"pediatric a day before 18", editClaim{date: fy26, birth: "2007-11-13", dx: []string{"A48.51"}}, rule.DxAgeConflict, false},
		{"maternity at 8", editClaim{date: fy26, birth: "2017-11-12", sex: "F", dx: []string{"O80"}}, rule.DxAgeConflict, true},
		{"maternity at 9", editClaim{date: fy26, birth: "2016-11-12", sex: "F", dx: []string{"O80"}}, rule.DxAgeConflict, false},
		{"maternity at 64", editClaim{date: fy26, birth: "1961-11-12", sex: "F", dx: []string{"O80"}}, rule.DxAgeConflict, false},
		{"maternity at 65", editClaim{date: fy26, birth: "1960-11-12", sex: "F", dx: []string{"O80"}}, rule.DxAgeConflict, true},
		{"maternity at 75", editClaim{date: fy26, birth: "1950-01-01", sex: "F", dx: []string{"O80"}}, rule.DxAgeConflict, true},
		{"adult at 14", editClaim{date: fy26, birth: "2011-11-12", dx: []string{"C91.50"}}, rule.DxAgeConflict, true},
		{"adult at 15", editClaim{date: fy26, birth: "2010-11-12", dx: []string{"C91.50"}}, rule.DxAgeConflict, false},
		{"newborn at 0", editClaim{date: fy26, birth: "2025-06-01", dx: []string{"A33"}}, rule.DxAgeConflict, false},
		{"newborn at 1", editClaim{date: fy26, birth: "2024-06-01", dx: []string{"A33"}}, rule.DxAgeConflict, true},
		{"age without a birth date", editClaim{date: fy26, sex: "F", dx: []string{"A48.51"}}, rule.DxAgeConflict, false},
		{"age on an institutional claim's statement date", editClaim{institutional: true, billType: "131", date: fy26, birth: "2007-11-12", dx: []string{"A48.51"}}, rule.DxAgeConflict, true},
		{"female flag on 2024-09-30, male patient", editClaim{date: fy24end, sex: "M", dx: []string{"A18.16"}}, rule.DxSexConflict, true},
		{"female flag ended 2024-10-01", editClaim{date: fy25start, sex: "M", dx: []string{"A18.16"}}, rule.DxSexConflict, false},
		{"female flag, female patient", editClaim{date: fy24end, sex: "F", dx: []string{"A18.16"}}, rule.DxSexConflict, false},
		{"female flag, sex U", editClaim{date: fy24end, sex: "U", dx: []string{"A18.16"}}, rule.DxSexConflict, false},
		{"Excludes1, a code and a category range", editClaim{date: april, dx: []string{"A05.0", "T62.0X1A"}}, rule.DxExcludes1, true},
		{"Excludes1, the other order", editClaim{date: april, dx: []string{"T62.0X1A", "A05.0"}}, rule.DxExcludes1, true},
		{"Excludes1, a code range", editClaim{date: april, dx: []string{"A05.0", "A04.1"}}, rule.DxExcludes1, true},
		{"Excludes2 (S52: fracture at wrist, S62.-)", editClaim{date: april, dx: []string{"S52.521A", "S62.001A"}}, rule.DxExcludes1, false},
		{"Excludes2 (A31: tuberculosis, A15-A19)", editClaim{date: april, dx: []string{"A31.0", "A15.0"}}, rule.DxExcludes1, false},
		{"Excludes1 without a Tabular in force", editClaim{date: fy26, dx: []string{"A05.0", "A04.1"}}, rule.DxExcludes1, false},
		{"duplicate", editClaim{date: fy26, dx: []string{"E11.9", "I10", "e119"}}, rule.DxDuplicate, true},
		{"no duplicate", editClaim{date: fy26, dx: []string{"E11.9", "I10"}}, rule.DxDuplicate, false},
		{"unacceptable principal, inpatient, 2026-03-31", editClaim{institutional: true, billType: "111", date: "2026-03-31", dx: []string{"F07.81"}}, rule.DxUnacceptablePrincipal, true},
		{"unacceptable ended 2026-04-01", editClaim{institutional: true, billType: "111", date: "2026-04-01", dx: []string{"F07.81"}}, rule.DxUnacceptablePrincipal, false},
		{"unacceptable, outpatient", editClaim{institutional: true, billType: "131", date: "2026-03-31", dx: []string{"F07.81"}}, rule.DxUnacceptablePrincipal, false},
		{"unacceptable, professional", editClaim{date: "2026-03-31", dx: []string{"F07.81"}}, rule.DxUnacceptablePrincipal, false},
		{"questionable admission, inpatient", editClaim{institutional: true, billType: "111", date: fy26, dx: []string{"E11.9"}}, rule.DxQuestionableAdmission, true},
		{"questionable admission, outpatient", editClaim{institutional: true, billType: "131", date: fy26, dx: []string{"E11.9"}}, rule.DxQuestionableAdmission, false},
		{"questionable admission not principal", editClaim{institutional: true, billType: "111", date: fy26, dx: []string{"J18.9", "E11.9"}}, rule.DxQuestionableAdmission, false},
		{"HCPCS statute exclusion", editClaim{date: "2025-01-15", dx: []string{"E11.9"}, proc: "A4252"}, rule.PxNotCovered, true},
		{"HCPCS not covered", editClaim{date: "2025-01-15", dx: []string{"E11.9"}, proc: "A0888"}, rule.PxNotCovered, true},
		{"HCPCS carrier judgement", editClaim{date: "2025-01-15", dx: []string{"E11.9"}, proc: "G0439"}, rule.PxNotCovered, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := screenEdit(t, sc, tc.c)
			f, got := findingOf(d, tc.id)
			if got != tc.want {
				t.Fatalf("%s fired %v, want %v: %+v", tc.id, got, tc.want, d.Findings)
			}
			if got && (f.Message == "" || f.CARC == "" || !strings.Contains(f.Message, f.Code[:3])) {
				t.Errorf("finding lacks what a billing office acts on: %+v", f)
			}
			if d.Outcome == screening.Held {
				t.Errorf("held: %+v", d.Findings)
			}
		})
	}
}

// Severities, messages and the releases a decision names.
func TestEditorsFindings(t *testing.T) {
	sc := editorsScreener(t, true)
	d := screenEdit(t, sc, editClaim{date: "2026-05-12", birth: "1950-01-01", sex: "F", dx: []string{"W19.XXXA", "O80"}})
	if d.Outcome != screening.Rejected {
		t.Errorf("outcome %s", d.Outcome)
	}
	f, _ := findingOf(d, rule.DxExternalCauseFirst)
	if f.Severity != rule.Reject || f.X12 != "A7:254" || f.Path != "diagnoses[0].code" ||
		f.Message != "W19.XXXA is an external cause code and cannot be the first-listed diagnosis; list the injury or condition first and the external cause after it" {
		t.Errorf("%+v", f)
	}
	a, _ := findingOf(d, rule.DxAgeConflict)
	if a.CARC != "9" || a.X12 != "A7:255" || !strings.Contains(a.Message, "O80 is a maternity diagnosis (ages 9 to 64); the patient is 76 on 2026-05-12") {
		t.Errorf("%+v", a)
	}
	seen := map[string]string{}
	for _, v := range d.Codesets {
		seen[v.System] = v.Version
	}
	if seen["MCE"] != "v44" || seen["ICD-10-CM-TABULAR"] != "FY2026-APR" || seen["ICD-10-CM"] != "FY2026" {
		t.Errorf("codesets %+v", d.Codesets)
	}
	// Coverage code I: an informational finding; the claim is accepted.
	i := screenEdit(t, sc, editClaim{date: "2025-01-15", dx: []string{"E11.9"}, proc: "A0021"})
	if f, ok := findingOf(i, rule.PxNotCovered); !ok || f.Severity != rule.Info || i.Outcome != screening.Accepted {
		t.Errorf("coverage I: %s %+v", i.Outcome, i.Findings)
	}
	s := screenEdit(t, sc, editClaim{date: "2025-01-15", dx: []string{"E11.9"}, proc: "A4252"})
	if f, _ := findingOf(s, rule.PxNotCovered); f.Severity != rule.Flag || !strings.Contains(f.Message, "by statute (1861(n))") || s.Outcome != screening.Accepted {
		t.Errorf("coverage S: %s %+v", s.Outcome, f)
	}
	// A terminated HCPCS code names the code CMS cross-references it to.
	x := screenEdit(t, sc, editClaim{date: "2025-01-15", dx: []string{"E11.9"}, proc: "C9014"})
	if f, _ := findingOf(x, rule.PxNotEffective); !strings.Contains(f.Message, "CMS cross-references it to J0567") {
		t.Errorf("terminated code: %+v", f)
	}
	// A code missing its 7th character says which ones it takes.
	m := screenEdit(t, sc, editClaim{date: "2026-05-12", dx: []string{"S52.521"}})
	if f, _ := findingOf(m, rule.DxNotBillable); !strings.Contains(f.Message, "it needs a 7th character (A, D, G, K, P, S)") {
		t.Errorf("7th character: %+v", f)
	}
	m = screenEdit(t, sc, editClaim{date: "2026-05-12", dx: []string{"T07"}})
	if f, _ := findingOf(m, rule.DxNotBillable); !strings.Contains(f.Message, "with the placeholder X in the positions before it (T07.XXXA)") {
		t.Errorf("placeholder: %+v", f)
	}
}

// Without the MCE and Tabular releases the rules do not fire, nothing is
// held, and the decision names no such release.
func TestEditorsWithoutTables(t *testing.T) {
	sc := editorsScreener(t, false)
	d := screenEdit(t, sc, editClaim{date: "2025-11-12", birth: "1950-01-01", sex: "M", dx: []string{"W19.XXXA", "O80", "O80"}})
	for _, id := range []rule.ID{rule.DxExternalCauseFirst, rule.DxAgeConflict, rule.DxSexConflict} {
		if _, ok := findingOf(d, id); ok {
			t.Errorf("%s fired without its table", id)
		}
	}
	if _, ok := findingOf(d, rule.DxDuplicate); !ok {
		t.Error("DX_DUPLICATE needs no table and did not fire")
	}
	for _, v := range d.Codesets {
		if v.System == codeset.MCE || v.System == codeset.ICD10CMTabular {
			t.Errorf("the decision names %s", v.System)
		}
	}
	if d.Outcome == screening.Held {
		t.Errorf("held: %+v", d.Findings)
	}
}
