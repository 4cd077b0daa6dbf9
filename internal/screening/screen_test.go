package screening_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/rule"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/screening"
)

const base = `{"claim_id":"PCN-1","originator_id":"CLINIC-1","form":"professional","received_at":"2025-11-20T09:30:00Z",
"place_of_service":"11","diagnoses":[{"code":"E11.9"},{"code":"I10"}],
"lines":[{"number":1,"procedure":{"code":"G0439"},"service_date":"2025-11-12","units":1,"charge":"175.00","diagnosis_pointers":[1,2]},
{"number":2,"procedure":{"code":"99213","modifiers":["25"]},"service_date":"2025-11-12","units":1,"charge":"95.00","diagnosis_pointers":[1]}],
"total_charge":"270.00"}`

type edit struct{ old, new string }

func mutate(t *testing.T, edits ...edit) string {
	t.Helper()
	s := base
	for _, e := range edits {
		if !strings.Contains(s, e.old) {
			t.Fatalf("base claim has no %q", e.old)
		}
		s = strings.Replace(s, e.old, e.new, 1)
	}
	return s
}

func screen(t *testing.T, sc *screening.Screener, msg string, prior bool) screening.Decision {
	t.Helper()
	c, fs, err := claim.Decode([]byte(msg), time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return sc.Screen(screening.Input{Claim: c, Findings: fs, PriorDifferent: prior})
}

func sampleScreener(t *testing.T, overrides map[string]string) *screening.Screener {
	t.Helper()
	p, err := rule.NewPolicy(overrides)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := samples.Screener(p)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// want is one expected finding: rule, path and, when set, x12 and rarc.
type want struct {
	rule      rule.ID
	path      string
	x12, rarc string
	severity  rule.Severity
}

func TestRules(t *testing.T) {
	sc := sampleScreener(t, nil)
	for _, tc := range []struct {
		name    string
		edits   []edit
		prior   bool
		outcome screening.Outcome
		want    []want
	}{
		{"clean claim", nil, false, screening.Accepted, nil},
		{"MISSING_FIELD", []edit{{`"form":"professional",`, ``}}, false, screening.Rejected,
			[]want{{rule: rule.MissingField, path: "form", x12: "A6:21", rarc: "MA130"}}},
		{"INVALID_FIELD", []edit{{`"charge":"175.00"`, `"charge":175`}}, false, screening.Rejected,
			[]want{{rule: rule.InvalidField, path: "lines[0].charge", x12: "A7:21", rarc: "MA130"}}},
		{"DATE_INVALID future", []edit{{`"service_date":"2025-11-12"`, `"service_date":"2025-11-21"`}}, false, screening.Rejected,
			[]want{{rule: rule.DateInvalid, path: "lines[0].service_date", x12: "A7:187"}}},
		{"TOTAL_MISMATCH", []edit{{`"total_charge":"270.00"`, `"total_charge":"270.01"`}}, false, screening.Rejected,
			[]want{{rule: rule.TotalMismatch, path: "total_charge", x12: "A7:400"}}},
		{"DX_UNKNOWN principal", []edit{{`"E11.9"`, `"Q99.99"`}}, false, screening.Rejected,
			[]want{{rule: rule.DxUnknown, path: "diagnoses[0].code", x12: "A7:254", rarc: "M76"}}},
		{"DX_UNKNOWN other", []edit{{`"I10"`, `"Q99.99"`}}, false, screening.Rejected,
			[]want{{rule: rule.DxUnknown, path: "diagnoses[1].code", x12: "A7:255", rarc: "M64"}}},
		{"DX_NOT_BILLABLE", []edit{{`"E11.9"`, `"E11"`}}, false, screening.Rejected,
			[]want{{rule: rule.DxNotBillable, path: "diagnoses[0].code", x12: "A7:254", rarc: "M81"}}},
		{"DX_NOT_EFFECTIVE deleted code", []edit{{`"I10"`, `"S30.1XXA"`}}, false, screening.Rejected,
			[]want{{rule: rule.DxNotEffective, path: "diagnoses[1].code", x12: "A7:255"}}},
		{"DX_NOT_EFFECTIVE new code used early", []edit{{`"E11.9"`, `"E11.A"`}, {`"2025-11-12"`, `"2025-09-30"`}, {`"2025-11-12"`, `"2025-09-30"`}}, false, screening.Rejected,
			[]want{{rule: rule.DxNotEffective, path: "diagnoses[0].code", x12: "A7:254"}}},
		{"DX_WRONG_REVISION", []edit{{`{"code":"I10"}`, `{"code":"401.9","system":"ICD-9-CM"}`}}, false, screening.Rejected,
			[]want{{rule: rule.DxWrongRevision, path: "diagnoses"}}},
		{"PX_UNKNOWN", []edit{{`"G0439"`, `"12345"`}}, false, screening.Rejected,
			[]want{{rule: rule.PxUnknown, path: "lines[0].procedure.code", x12: "A7:454", rarc: "M51"}}},
		{"PX_NOT_EFFECTIVE", []edit{{`"G0439"`, `"G9999"`}}, false, screening.Rejected,
			[]want{{rule: rule.PxNotEffective, path: "lines[0].procedure.code", x12: "A7:454"}}},
		{"MODIFIER_INVALID ended", []edit{{`["25"]`, `["25","JG"]`}}, false, screening.Rejected,
			[]want{{rule: rule.ModifierInvalid, path: "lines[1].procedure.modifiers[1]", x12: "A7:453", rarc: "N519"}}},
		{"MODIFIER_INVALID unknown", []edit{{`["25"]`, `["25","ZZ"]`}}, false, screening.Rejected,
			[]want{{rule: rule.ModifierInvalid, path: "lines[1].procedure.modifiers[1]"}}},
		{"POS_INVALID once for the claim", []edit{{`"place_of_service":"11"`, `"place_of_service":"99"`}}, false, screening.Rejected,
			[]want{{rule: rule.PosInvalid, path: "place_of_service", x12: "A7:249", rarc: "M77"}}},
		{"POINTER_INVALID", []edit{{`"diagnosis_pointers":[1,2]`, `"diagnosis_pointers":[1,3,1,2,2]`}}, false, screening.Rejected,
			[]want{{rule: rule.PointerInvalid, path: "lines[0].diagnosis_pointers"}, {rule: rule.PointerInvalid, path: "lines[0].diagnosis_pointers[1]"}, {rule: rule.PointerInvalid, path: "lines[0].diagnosis_pointers[2]"}}},
		{"XWALK_MISSING", []edit{{`"I10"`, `"M54.50"`}}, false, screening.Rejected,
			[]want{{rule: rule.XwalkMissing, path: "diagnoses[1].code", x12: "A7:255", rarc: "N56"}}},
		{"XWALK_MISSING procedure", []edit{{`"99213"`, `"1111F"`}}, false, screening.Rejected,
			[]want{{rule: rule.XwalkMissing, path: "lines[1].procedure.code", x12: "A7:454"}}},
		{"NCCI_PTP without modifier", []edit{{`,"modifiers":["25"]`, ``}}, false, screening.Accepted,
			[]want{{rule: rule.NcciPTP, path: "lines[1].procedure.code", severity: rule.Flag, rarc: "M15"}}},
		{"MUE_EXCEEDED", []edit{{`"units":1,"charge":"175.00"`, `"units":2,"charge":"175.00"`}}, false, screening.Accepted,
			[]want{{rule: rule.MueExceeded, path: "lines[0].units", severity: rule.Flag}}},
		{"DUPLICATE", nil, true, screening.Accepted, []want{{rule: rule.Duplicate, path: "claim_id", severity: rule.Flag}}},
		{"DUPLICATE not for a replacement", []edit{{`"form"`, `"frequency":"7","form"`}}, true, screening.Accepted, nil},
		{"CODESET_NOT_LOADED", []edit{{`"2025-11-20T09:30:00Z"`, `"2026-10-10T00:00:00Z"`}, {`"2025-11-12"`, `"2026-10-05"`}, {`"2025-11-12"`, `"2026-10-05"`}}, false, screening.Held,
			[]want{{rule: rule.CodesetNotLoaded, path: "diagnoses[0].code", severity: rule.Hold}, {rule: rule.CodesetNotLoaded, path: "lines[0].procedure.code", severity: rule.Hold}}},
		{"stage 1 stops code lookups", []edit{{`"total_charge":"270.00"`, `"total_charge":"1.00"`}, {`"E11.9"`, `"Q99.99"`}}, false, screening.Rejected,
			[]want{{rule: rule.TotalMismatch, path: "total_charge"}}},
		{"stage 1 before hold", []edit{{`"total_charge":"270.00"`, `"total_charge":"1.00"`}, {`"2025-11-12"`, `"2026-10-05"`}}, false, screening.Rejected,
			[]want{{rule: rule.TotalMismatch, path: "total_charge"}, {rule: rule.DateInvalid, path: "lines[0].service_date"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := screen(t, sc, mutate(t, tc.edits...), tc.prior)
			if d.Outcome != tc.outcome {
				t.Errorf("outcome %s, want %s; findings %+v", d.Outcome, tc.outcome, d.Findings)
			}
			if tc.want == nil && len(d.Findings) != 0 {
				t.Errorf("unexpected findings %+v", d.Findings)
			}
			if tc.want != nil && len(d.Findings) != len(tc.want) {
				t.Errorf("got %d findings, want %d: %+v", len(d.Findings), len(tc.want), d.Findings)
			}
			for _, w := range tc.want {
				found := false
				for _, f := range d.Findings {
					if f.Rule != w.rule || f.Path != w.path {
						continue
					}
					found = true
					if w.x12 != "" && f.X12 != w.x12 || w.rarc != "" && f.RARC != w.rarc {
						t.Errorf("%s at %s: x12 %s rarc %s, want %s %s", f.Rule, f.Path, f.X12, f.RARC, w.x12, w.rarc)
					}
					sev := w.severity
					if sev == "" {
						sev = rule.Reject
					}
					if f.Severity != sev {
						t.Errorf("%s severity %s, want %s", f.Rule, f.Severity, sev)
					}
					spec, _ := rule.Lookup(f.Rule)
					if f.Message == "" || f.CARC != spec.CARC {
						t.Errorf("%s: message %q carc %q", f.Rule, f.Message, f.CARC)
					}
				}
				if !found {
					t.Errorf("no %s at %s in %+v", w.rule, w.path, d.Findings)
				}
			}
		})
	}
}

func TestAcceptedDecisionContent(t *testing.T) {
	d := screen(t, sampleScreener(t, nil), base, false)
	want := map[string]string{"diagnoses[0].code": "DX-DIAB-T2-NC", "diagnoses[1].code": "DX-HTN", "lines[0].procedure.code": "SVC-AWV", "lines[1].procedure.code": "SVC-EM-EST"}
	if len(d.InternalCodes) != len(want) {
		t.Fatalf("internal codes %+v", d.InternalCodes)
	}
	for _, ic := range d.InternalCodes {
		if want[ic.Path] != ic.Internal {
			t.Errorf("%s -> %s, want %s", ic.Path, ic.Internal, want[ic.Path])
		}
	}
	for sys, v := range map[string]string{"ICD-10-CM": "FY2026", "HCPCS": "2025-Q4", "CPT": "cpt-modifiers-pos-sample", "crosswalk": "sample-2025-10", "NCCI-PTP": "v313r0"} {
		if d.Codesets.Get(sys) != v {
			t.Errorf("codesets[%s] = %q, want %q (%v)", sys, d.Codesets.Get(sys), v, d.Codesets)
		}
	}
}

func TestDatesAcrossReleases(t *testing.T) {
	// Two lines either side of 1 October: each diagnosis is checked in the
	// release in force on the date of the lines that point to it.
	msg := mutate(t, edit{`"service_date":"2025-11-12"`, `"service_date":"2025-09-30"`})
	d := screen(t, sampleScreener(t, nil), msg, false)
	if d.Outcome != screening.Accepted || d.Codesets.Get("ICD-10-CM") != "FY2025+FY2026" && d.Codesets.Get("ICD-10-CM") != "FY2026+FY2025" {
		t.Fatalf("%s %v %+v", d.Outcome, d.Codesets, d.Findings)
	}
	// E78.01 is billable in FY2025 and a header in FY2026.
	msg = mutate(t, edit{`"E11.9"`, `"E78.01"`}, edit{`"diagnosis_pointers":[1]`, `"diagnosis_pointers":[2]`})
	d = screen(t, sampleScreener(t, nil), msg, false)
	if len(d.Findings) != 1 || d.Findings[0].Rule != rule.DxNotBillable {
		t.Fatalf("%+v", d.Findings)
	}
	msg = mutate(t, edit{`"E11.9"`, `"E78.01"`}, edit{`"2025-11-12"`, `"2025-09-12"`}, edit{`"2025-11-12"`, `"2025-09-12"`})
	if d := screen(t, sampleScreener(t, nil), msg, false); d.Outcome != screening.Accepted {
		t.Fatalf("E78.01 in FY2025: %+v", d.Findings)
	}
}

func TestInstitutionalUsesThroughDate(t *testing.T) {
	msg := `{"claim_id":"UB-1","originator_id":"HOSP-7","form":"institutional","received_at":"2025-11-20T00:00:00Z",
"statement_period":{"from":"2025-09-28","through":"2025-10-02"},"diagnoses":[{"code":"E11.A"}],
"lines":[{"procedure":{"code":"80053"},"service_date":"2025-09-28","charge":"40.00"}]}`
	d := screen(t, sampleScreener(t, nil), msg, false)
	if d.Outcome != screening.Accepted || d.Codesets.Get("ICD-10-CM") != "FY2026" {
		t.Fatalf("%s %v %+v", d.Outcome, d.Codesets, d.Findings)
	}
}

func TestPolicyOverrides(t *testing.T) {
	sc := sampleScreener(t, map[string]string{"XWALK_MISSING": "hold", "NCCI_PTP": "off", "TOTAL_MISMATCH": "info"})
	d := screen(t, sc, mutate(t, edit{`"I10"`, `"M54.50"`}), false)
	if d.Outcome != screening.Held || d.Findings[0].Severity != rule.Hold {
		t.Errorf("XWALK_MISSING as hold: %s %+v", d.Outcome, d.Findings)
	}
	d = screen(t, sc, mutate(t, edit{`,"modifiers":["25"]`, ``}, edit{`"270.00"`, `"1.00"`}), false)
	if d.Outcome != screening.Accepted || len(d.Findings) != 1 || d.Findings[0].Rule != rule.TotalMismatch || d.Findings[0].Severity != rule.Info {
		t.Errorf("NCCI off, TOTAL_MISMATCH info: %s %+v", d.Outcome, d.Findings)
	}
	if _, err := rule.NewPolicy(map[string]string{"NOPE": "off", "DX_UNKNOWN": "maybe"}); err == nil ||
		!strings.Contains(err.Error(), "NOPE") || !strings.Contains(err.Error(), "maybe") {
		t.Errorf("policy errors not all reported: %v", err)
	}
}

func TestNCCIAndMUE(t *testing.T) {
	sc := sampleScreener(t, nil)
	lines := func(ls string) string {
		return `{"claim_id":"L","originator_id":"LAB-1","form":"professional","received_at":"2025-11-20T00:00:00Z","place_of_service":"81",
"diagnoses":[{"code":"E11.9"}],"lines":[` + ls + `]}`
	}
	line := func(n int, code, mods string, units int) string {
		return `{"number":` + itoa(n) + `,"procedure":{"code":"` + code + `"` + mods + `},"service_date":"2025-11-12","units":` + itoa(units) + `,"charge":"1.00","diagnosis_pointers":[1]}`
	}
	for _, tc := range []struct {
		name string
		msg  string
		want []rule.ID
	}{
		{"indicator 0 ignores modifiers", lines(line(1, "93000", "", 1) + "," + line(2, "36415", `,"modifiers":["59"]`, 1)), []rule.ID{rule.NcciPTP}},
		{"indicator 9 is no edit", lines(line(1, "99214", "", 1) + "," + line(2, "36415", "", 1)), nil},
		{"deleted edit", lines(line(1, "80053", "", 1) + "," + line(2, "85025", "", 1)), nil},
		{"MAI 2 sums lines on a date", lines(line(1, "36415", "", 1) + "," + line(2, "36415", "", 2)), []rule.ID{rule.MueExceeded}},
		{"MAI 2 within limit", lines(line(1, "36415", "", 1) + "," + line(2, "36415", "", 1)), nil},
		{"MAI 1 per line", lines(line(1, "85025", "", 1) + "," + line(2, "85025", "", 1)), nil},
		{"MAI 1 over on a line", lines(line(1, "85025", "", 2)), []rule.ID{rule.MueExceeded}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := screen(t, sc, tc.msg, false)
			var got []rule.ID
			for _, f := range d.Findings {
				got = append(got, f.Rule)
			}
			if strings.Join(ids(got), ",") != strings.Join(ids(tc.want), ",") {
				t.Errorf("got %v, want %v: %+v", got, tc.want, d.Findings)
			}
		})
	}
}

func ids(xs []rule.ID) []string {
	var s []string
	for _, x := range xs {
		s = append(s, string(x))
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestNoChartHolds(t *testing.T) {
	snap, err := samples.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	d := screen(t, screening.New(snap, nil, nil), base, false)
	if d.Outcome != screening.Held {
		t.Fatalf("without a chart: %s %+v", d.Outcome, d.Findings)
	}
	p, _ := rule.NewPolicy(map[string]string{"XWALK_MISSING": "off"})
	if d := screen(t, screening.New(snap, nil, p), base, false); d.Outcome != screening.Accepted || len(d.InternalCodes) != 0 {
		t.Fatalf("without a chart, XWALK_MISSING off: %s %+v", d.Outcome, d.Findings)
	}
}
