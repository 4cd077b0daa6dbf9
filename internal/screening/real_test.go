package screening_test

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/rule"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/internal/testenv"
)

// realScreener loads the real ICD-10-CM FY2024-2026 and HCPCS 2025-Q1 files
// from shared/data, and the sample generic list (CPT, CPT modifiers, POS).
func realScreener(t testing.TB, overrides map[string]string) *screening.Screener {
	t.Helper()
	var rels []*codeset.Release
	for _, f := range []string{"icd10cm/icd10cm_order_2024.txt.gz", "icd10cm/icd10cm_order_2025.txt.gz", "icd10cm/icd10cm_order_2026.txt.gz", "hcpcs/HCPC2025_JAN_ANWEB_12172024.txt.gz"} {
		r, _, err := codeset.OpenFS(testenv.SharedFS(t), f, "")
		if err != nil {
			t.Fatal(err)
		}
		rels = append(rels, r...)
	}
	r, _, err := codeset.OpenFS(samples.CodeSets, "codesets/cpt-modifiers-pos-sample.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := codeset.NewSnapshot(append(rels, r...))
	if err != nil {
		t.Fatal(err)
	}
	chart, err := samples.Chart()
	if err != nil {
		t.Fatal(err)
	}
	p, err := rule.NewPolicy(overrides)
	if err != nil {
		t.Fatal(err)
	}
	return screening.New(snap, chart, p)
}

func claimJSON(id string, dx []string, proc string, mods []string, date, received string) string {
	var ds []map[string]string
	var ptr []int
	for i, d := range dx {
		ds = append(ds, map[string]string{"code": d})
		if i < 4 {
			ptr = append(ptr, i+1)
		}
	}
	line := map[string]any{"number": 1, "procedure": map[string]any{"code": proc}, "service_date": date, "units": 1, "charge": "10.00", "diagnosis_pointers": ptr}
	if len(mods) > 0 {
		line["procedure"].(map[string]any)["modifiers"] = mods
	}
	b, _ := json.Marshal(map[string]any{"claim_id": id, "originator_id": "REAL-1", "form": "professional", "received_at": received,
		"diagnoses": ds, "lines": []any{line}})
	return string(b)
}

func TestRealCodeChanges(t *testing.T) {
	sc := realScreener(t, map[string]string{"XWALK_MISSING": "off"})
	for _, tc := range []struct {
		name  string
		dx    []string
		proc  string
		mods  []string
		date  string
		want  rule.ID // "" for accepted
		where string
	}{
		{"E78.01 billable in FY2025", []string{"E78.01"}, "G0439", nil, "2025-03-10", "", ""},
		{"E78.01 a header in FY2026", []string{"E78.01"}, "99213", nil, "2025-11-03", rule.DxNotBillable, "diagnoses[0].code"},
		{"E11.A new in FY2026", []string{"E11.A"}, "99213", nil, "2025-11-03", "", ""},
		{"E11.A not yet in FY2025", []string{"E11.A"}, "G0439", nil, "2025-03-10", rule.DxNotEffective, "diagnoses[0].code"},
		{"S30.1XXA in FY2025", []string{"S30.1XXA"}, "G0439", nil, "2025-03-10", "", ""},
		{"S30.1XXA deleted in FY2026", []string{"S30.1XXA"}, "99213", nil, "2025-11-03", rule.DxNotEffective, "diagnoses[0].code"},
		{"A9615 added 2025-01-01", []string{"I10"}, "A9615", nil, "2025-01-02", "", ""},
		{"A9615 before it was added", []string{"I10"}, "A9615", nil, "2024-12-31", rule.PxNotEffective, "lines[0].procedure.code"},
		{"JG until 2024-12-31", []string{"I10"}, "J1100", []string{"JG"}, "2024-12-31", "", ""},
		{"JG ended", []string{"I10"}, "J1100", []string{"JG"}, "2025-01-01", rule.ModifierInvalid, "lines[0].procedure.modifiers[0]"},
		{"HCPCS 2025-Q1 does not cover April", []string{"I10"}, "G0439", nil, "2025-04-01", rule.CodesetNotLoaded, "lines[0].procedure.code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := screen(t, sc, claimJSON("R", tc.dx, tc.proc, tc.mods, tc.date, "2025-12-01T00:00:00Z"), false)
			if tc.want == "" {
				if d.Outcome != screening.Accepted || len(d.Findings) != 0 {
					t.Fatalf("%s %+v", d.Outcome, d.Findings)
				}
				return
			}
			if len(d.Findings) != 1 || d.Findings[0].Rule != tc.want || d.Findings[0].Path != tc.where {
				t.Fatalf("%s %+v; want one %s at %s", d.Outcome, d.Findings, tc.want, tc.where)
			}
		})
	}
}

// billableFY reads an order file independently of the codeset readers.
func billableFY(t *testing.T, rel string) (billable, header map[string]bool) {
	f, err := os.Open(testenv.SharedFile(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	billable, header = map[string]bool{}, map[string]bool{}
	s := bufio.NewScanner(zr)
	for s.Scan() {
		l := s.Text()
		code := strings.TrimSpace(l[6:13])
		if l[14] == '1' {
			billable[code] = true
		} else {
			header[code] = true
		}
	}
	return billable, header
}

// TestRealSyntheticClaims screens the diagnosis codes of every Synthea
// carrier claim line in shared/data. On their own dates (2015-2021) no
// loaded ICD-10-CM release covers them: every claim is held, none
// rejected for its codes (claims dated before 2015-10-01, which Synthea
// codes in ICD-10-CM, get DX_WRONG_REVISION). Moved to 2025-02-15, each diagnosis is accepted exactly when
// the FY2025 order file lists it as billable.
func TestRealSyntheticClaims(t *testing.T) {
	sc := realScreener(t, map[string]string{"XWALK_MISSING": "off"})
	billable, header := billableFY(t, "icd10cm/icd10cm_order_2025.txt.gz")
	f, err := os.Open(filepath.Join(testenv.SharedData(t), "synthetic_claims", "bfd_rif_synthea", "carrier.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.Comma = '|'
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	head, err := cr.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	var n, held, early, dxChecked, dxRejected int
	for {
		rec, err := cr.Read()
		if err != nil {
			break
		}
		var dx []string
		for _, name := range append([]string{"PRNCPAL_DGNS_CD"}, func() []string {
			var s []string
			for i := 1; i <= 12; i++ {
				s = append(s, fmt.Sprintf("ICD_DGNS_CD%d", i))
			}
			return s
		}()...) {
			if v := strings.TrimSpace(rec[col[name]]); v != "" && !contains(dx, v) {
				dx = append(dx, v)
			}
		}
		if len(dx) == 0 {
			continue
		}
		n++
		from, err := time.Parse("02-Jan-2006", rec[col["CLM_FROM_DT"]])
		if err != nil {
			t.Fatal(err)
		}
		own := screen(t, sc, claimJSON(rec[col["CLM_ID"]], dx, "G0439", nil, from.Format("2006-01-02"), "2022-01-01T00:00:00Z"), false)
		switch {
		case from.Before(time.Date(2015, 10, 1, 0, 0, 0, 0, time.UTC)):
			// Synthea codes these early claims in ICD-10-CM, which was not
			// in use before 2015-10-01.
			if own.Outcome != screening.Rejected || own.Findings[0].Rule != rule.DxWrongRevision {
				t.Errorf("claim %s of %s: %s %+v; want DX_WRONG_REVISION", rec[col["CLM_ID"]], from.Format("2006-01-02"), own.Outcome, own.Findings)
			}
			early++
		case own.Outcome == screening.Held:
			held++
		default:
			t.Errorf("claim %s on its own date %s: %s %+v; want held", rec[col["CLM_ID"]], from.Format("2006-01-02"), own.Outcome, own.Findings)
		}
		moved := screen(t, sc, claimJSON(rec[col["CLM_ID"]], dx, "G0439", nil, "2025-02-15", "2025-03-01T00:00:00Z"), false)
		got := map[string]rule.ID{}
		for _, fd := range moved.Findings {
			got[fd.Path] = fd.Rule
		}
		for i, code := range dx {
			dxChecked++
			path := claim.DxCodePath(i)
			switch {
			case billable[code]:
				if got[path] != "" {
					t.Errorf("%s billable in FY2025 but got %s", code, got[path])
				}
			case header[code]:
				if got[path] != rule.DxNotBillable {
					t.Errorf("%s is a FY2025 header, got %q", code, got[path])
				}
				dxRejected++
			default:
				if got[path] != rule.DxUnknown && got[path] != rule.DxNotEffective {
					t.Errorf("%s not in FY2025, got %q", code, got[path])
				}
				dxRejected++
			}
		}
	}
	if n < 200 || held+early != n || held == 0 {
		t.Errorf("%d claims, %d held and %d early on their own dates; want every one of at least 200", n, held, early)
	}
	if dxRejected == 0 || dxRejected == dxChecked {
		t.Errorf("%d of %d diagnoses rejected: the data should have both", dxRejected, dxChecked)
	}
	t.Logf("%d synthetic claims (%d held, %d before ICD-10), %d diagnoses checked, %d not billable in FY2025", n, held, early, dxChecked, dxRejected)
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
