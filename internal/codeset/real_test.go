package codeset

import (
	"testing"

	"github.com/claimscreen/claimscreen/internal/civil"
	"github.com/claimscreen/claimscreen/internal/testenv"
)

func openOne(t *testing.T, rel string) []*Release {
	t.Helper()
	rels, _, err := OpenFS(testenv.SharedFS(t), rel, "")
	if err != nil {
		t.Fatal(err)
	}
	return rels
}

func count(r *Release) (rows, billable int) {
	for _, c := range r.Codes {
		if c.Billable {
			billable++
		}
	}
	return r.Rows, billable
}

func TestRealICD10OrderFiles(t *testing.T) {
	for _, tc := range []struct {
		file           string
		version        string
		rows, billable int
		from, to       civil.Date
	}{
		{"icd10cm/icd10cm_order_2024.txt.gz", "FY2024", 97296, 74044, civil.FromYMD(2023, 10, 1), civil.FromYMD(2024, 9, 30)},
		{"icd10cm/icd10cm_order_2025.txt.gz", "FY2025", 97584, 74260, civil.FromYMD(2024, 10, 1), civil.FromYMD(2025, 9, 30)},
		{"icd10cm/icd10cm_order_2026.txt.gz", "FY2026", 98186, 74719, civil.FromYMD(2025, 10, 1), civil.FromYMD(2026, 9, 30)},
	} {
		rels := openOne(t, tc.file)
		if len(rels) != 1 {
			t.Fatalf("%s: %d releases", tc.file, len(rels))
		}
		r := rels[0]
		rows, billable := count(r)
		if r.System != ICD10CM || r.Version != tc.version || rows != tc.rows || billable != tc.billable {
			t.Errorf("%s: got %s %s rows %d billable %d; want %s rows %d billable %d", tc.file, r.System, r.Version, rows, billable, tc.version, tc.rows, tc.billable)
		}
		if r.Coverage.From != tc.from || r.Coverage.To != tc.to {
			t.Errorf("%s: coverage %s", tc.file, r.Coverage)
		}
		if len(r.SHA256) != 64 || r.Source != "icd10cm_order_"+tc.version[2:]+".txt" || r.Format != FormatICD10Order {
			t.Errorf("%s: provenance %q %q %q", tc.file, r.SHA256, r.Source, r.Format)
		}
	}
}

func realSnapshot(t testing.TB) *Snapshot {
	t.Helper()
	var all []*Release
	for _, f := range []string{"icd10cm/icd10cm_order_2024.txt.gz", "icd10cm/icd10cm_order_2025.txt.gz", "icd10cm/icd10cm_order_2026.txt.gz", "hcpcs/HCPC2025_JAN_ANWEB_12172024.txt.gz"} {
		rels, _, err := OpenFS(testenv.SharedFS(t), f, "")
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rels...)
	}
	s, err := NewSnapshot(all)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRealICD10Changes(t *testing.T) {
	s := realSnapshot(t)
	fy25 := civil.FromYMD(2025, 6, 1)
	fy26 := civil.FromYMD(2025, 11, 1)
	for _, tc := range []struct {
		code    string
		d       civil.Date
		want    Status
		version string
	}{
		{"E7801", fy25, Valid, "FY2025"},
		{"E7801", fy26, Header, "FY2026"},
		{"E11A", fy25, NotEffective, "FY2025"},
		{"E11A", fy26, Valid, "FY2026"},
		{"S301XXA", fy25, Valid, "FY2025"},
		{"S301XXA", fy26, NotEffective, "FY2026"},
		{"E11", fy26, Header, "FY2026"},
		{"E119", civil.FromYMD(2023, 10, 1), Valid, "FY2024"},
		{"Q99999", fy26, Unknown, "FY2026"},
		{"E119", civil.FromYMD(2026, 10, 1), NotLoaded, ""},
		{"E119", civil.FromYMD(2023, 9, 30), NotLoaded, ""},
	} {
		r := s.Lookup(ICD10CM, tc.code, tc.d)
		v := ""
		if r.Release != nil {
			v = r.Release.Version
		}
		if r.Status != tc.want || v != tc.version {
			t.Errorf("%s on %s: %s in %q; want %s in %q", tc.code, tc.d, r.Status, v, tc.want, tc.version)
		}
	}
}

func TestRealHCPCS(t *testing.T) {
	text := openOne(t, "hcpcs/HCPC2025_JAN_ANWEB_12172024.txt.gz")
	csv := openOne(t, "hcpcs/HCPC2025_JAN_ANWEB.csv")
	for _, rels := range [][]*Release{text, csv} {
		if len(rels) != 2 || rels[0].System != HCPCS || rels[1].System != HCPCSModifier {
			t.Fatalf("releases %v", rels)
		}
		if rels[0].Rows != 8259 || rels[1].Rows != 383 || rels[0].Version != "2025-Q1" {
			t.Errorf("%s: %d procedures, %d modifiers, version %s; want 8259, 383, 2025-Q1", rels[0].Source, rels[0].Rows, rels[1].Rows, rels[0].Version)
		}
		if rels[0].Coverage.To != civil.FromYMD(2025, 3, 31) {
			t.Errorf("coverage %s", rels[0].Coverage)
		}
	}
	// The text and CSV forms hold the same codes with the same dates.
	for i := range text {
		if len(text[i].Codes) != len(csv[i].Codes) {
			t.Fatalf("text and csv differ in size")
		}
		for j := range text[i].Codes {
			if text[i].Codes[j] != csv[i].Codes[j] {
				t.Fatalf("row %d: text %+v csv %+v", j, text[i].Codes[j], csv[i].Codes[j])
			}
		}
	}
	s := realSnapshot(t)
	for _, tc := range []struct {
		sys, code string
		d         civil.Date
		want      Status
	}{
		{HCPCS, "A9615", civil.FromYMD(2025, 1, 1), Valid},
		{HCPCS, "A9615", civil.FromYMD(2024, 12, 31), NotEffective},
		{HCPCSModifier, "JG", civil.FromYMD(2024, 12, 31), Valid},
		{HCPCSModifier, "JG", civil.FromYMD(2025, 1, 1), NotEffective},
		{HCPCSModifier, "LT", civil.FromYMD(2025, 2, 1), Valid},
		{HCPCS, "G0438", civil.FromYMD(2025, 2, 1), Valid},
		{HCPCS, "Z9999", civil.FromYMD(2025, 2, 1), Unknown},
		{HCPCS, "G0438", civil.FromYMD(2025, 4, 1), NotLoaded},
	} {
		if r := s.Lookup(tc.sys, tc.code, tc.d); r.Status != tc.want {
			t.Errorf("%s %s on %s: %s, want %s", tc.sys, tc.code, tc.d, r.Status, tc.want)
		}
	}
}
