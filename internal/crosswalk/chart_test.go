package crosswalk

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimscreen/claimscreen/internal/civil"
	"github.com/claimscreen/claimscreen/internal/codeset"
)

const head = "system,code,internal_code,effective_from,effective_to,note\n"

func parse(t *testing.T, rows string) *Chart {
	t.Helper()
	c, err := Parse("chart-2025.csv", strings.NewReader(head+rows))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMostSpecificWins(t *testing.T) {
	c := parse(t, `ICD-10-CM,E11*,DX-E11,2015-10-01,,
ICD-10-CM,E1,DX-E1-EXACT,2015-10-01,,
ICD-10-CM,E116*,DX-E116,2015-10-01,,
ICD-10-CM,E11.9,DX-E119,2015-10-01,2024-09-30,
ICD-10-CM,E11.9,DX-E119-NEW,2024-10-01,,
ICD-10-CM,E1100-E1199,DX-RANGE,2015-10-01,,
ICD-10-CM,E1160-E1169,DX-NARROW,2015-10-01,,
HCPCS,G0438-G0439,SVC-AWV,2011-01-01,,
`)
	d := civil.FromYMD(2025, 1, 1)
	for code, want := range map[string]string{
		"E119":   "DX-E119-NEW", // exact beats all
		"E1165":  "DX-NARROW",   // narrowest range beats the wider one and prefixes
		"E1111":  "DX-RANGE",
		"E11621": "DX-E116", // longest prefix (no range of that length)
		"E118":   "DX-E11",
		"G0439":  "SVC-AWV",
	} {
		sys := "ICD-10-CM"
		if code[0] == 'G' {
			sys = "HCPCS"
		}
		r, ok := c.Lookup(sys, code, d)
		if !ok || r.Internal != want {
			t.Errorf("%s: %v %v, want %s", code, r, ok, want)
		}
	}
	if r, _ := c.Lookup("ICD-10-CM", "E119", civil.FromYMD(2020, 1, 1)); r.Internal != "DX-E119" {
		t.Errorf("dated row: %s", r.Internal)
	}
	if _, ok := c.Lookup("ICD-10-CM", "I10", d); ok {
		t.Error("I10 is not charted")
	}
	if _, ok := c.Lookup("HCPCS", "G0439", civil.FromYMD(2010, 1, 1)); ok {
		t.Error("row not yet in force")
	}
	if _, ok := c.Lookup("CPT", "E119", d); ok {
		t.Error("systems are apart")
	}
	if c.Version != "chart-2025" || len(c.SHA256) != 64 || c.Len() != 8 {
		t.Errorf("version %q sha %q rows %d", c.Version, c.SHA256, c.Len())
	}
}

func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		rows string
		line int
		msg  string
	}{
		{"LOINC,1234-5,X,2020-01-01,,\n", 2, "system"},
		{"CPT,99213,X,2020-13-01,,\n", 2, "effective_from"},
		{"CPT,99213,X,2020-01-01,2019-01-01,\n", 2, "before"},
		{"CPT,99213,X,2020-01-01,,\nCPT,99213,Y,2021-01-01,,\n", 3, "overlaps"},
		{"CPT,99*,X,2020-01-01,,\nCPT,99*,Y,2020-06-01,2020-07-01,\n", 3, "overlaps"},
		{"CPT,99200-99300,X,2020-01-01,,\nCPT,99250-99400,Y,2020-01-01,,\n", 3, "partly overlaps"},
		{"CPT,99300-99200,X,2020-01-01,,\n", 2, "backwards"},
		{"CPT,9920-99300,X,2020-01-01,,\n", 2, "same length"},
		{"CPT,99213,,2020-01-01,,\n", 2, "internal_code"},
		{"CPT,99213\n", 2, "fields"},
		{"CPT,9$213,X,2020-01-01,,\n", 2, "letters and digits"},
	} {
		_, err := Parse("c.csv", strings.NewReader(head+tc.rows))
		var le *codeset.LineError
		if !errors.As(err, &le) || le.Line != tc.line || le.File != "c.csv" || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: got %v, want c.csv:%d …%s", tc.rows, err, tc.line, tc.msg)
		}
	}
	if _, err := Parse("c.csv", strings.NewReader("a,b\n")); err == nil || !strings.Contains(err.Error(), "header") {
		t.Errorf("bad header: %v", err)
	}
	// Nested ranges and the same code in other dates are fine.
	parse(t, "CPT,99200-99300,X,2020-01-01,,\nCPT,99210-99220,Y,2020-01-01,,\nCPT,99213,Z,2020-01-01,2020-12-31,\nCPT,99213,W,2021-01-01,,\n")
}

func TestLoadFolderAndSample(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a-2025.csv"), []byte(head+"CPT,99213,X,2020-01-01,,\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b-2025.csv"), []byte(head+"CPT,99214,Y,2020-01-01,,\n"), 0o644)
	c, err := LoadFS(os.DirFS(dir), ".")
	if err != nil || c.Version != "a-2025+b-2025" || c.Len() != 2 {
		t.Fatalf("%v %v", c, err)
	}
	os.WriteFile(filepath.Join(dir, "c.csv"), []byte(head+"CPT,99213,Z,2024-01-01,,\n"), 0o644)
	if _, err := LoadFS(os.DirFS(dir), "."); err == nil || !strings.Contains(err.Error(), "c.csv:2") {
		t.Errorf("overlap across files: %v", err)
	}
	s, err := LoadFS(os.DirFS(filepath.Join("..", "..", "crosswalks")), "sample-2025-10.csv")
	if err != nil || s.Version != "sample-2025-10" {
		t.Fatalf("sample chart: %v", err)
	}
}
