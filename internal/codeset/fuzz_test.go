package codeset

import (
	"strings"
	"testing"

	"github.com/claimscreen/claimscreen/internal/civil"
)

// fuzzRead reads s as the named file and, if it loads, indexes and
// queries it: nothing may panic.
func fuzzRead(t *testing.T, name, s string) {
	rels, err := Read(name, strings.NewReader(s), "")
	if err != nil {
		return
	}
	snap, err := NewSnapshot(rels)
	if err != nil {
		return
	}
	for _, r := range rels {
		for _, c := range r.Codes {
			snap.Lookup(r.System, c.Code, c.Valid.From)
			snap.Lookup(r.System, c.Code, civil.Max)
		}
		for _, e := range r.Edits {
			snap.PTP(r.System, e.Column1, e.Column2, e.Valid.From)
		}
		for _, m := range r.MUEs {
			snap.MUE(r.System, m.Code, r.Coverage.From)
		}
		for _, fl := range r.DxFlags {
			snap.MCEFlags(fl.Code, fl.Valid.From)
		}
		for _, a := range r.AgeRanges {
			snap.MCEAge(a.Flag, a.Valid.To)
		}
		if r.Tabular != nil {
			tab, _ := snap.TabularOn(r.Coverage.From)
			for code := range r.Tabular.Codes() {
				tab.SevenChars(code)
				tab.Manifestation(code)
				tab.Excludes1Of(code, "A000")
			}
		}
	}
}

func FuzzMCEDxFlags(f *testing.F) {
	f.Add("code,effective_from,effective_to,flags\nA000,2015-10-01,2027-03-31,\nW19XXXA,2015-10-01,2027-03-31,ecodepdx\nO80,2015-10-01,2024-09-30,female maternity\n")
	f.Fuzz(func(t *testing.T, s string) { fuzzRead(t, "mce_v44_icd10cm_dx_flags.csv", s) })
}

func FuzzMCEAges(f *testing.F) {
	f.Add("flag,min_age,max_age,effective_from,effective_to\nmaternity,12,55,1984-03-01,2019-09-30\nmaternity,9,64,2019-10-01,2027-03-31\n")
	f.Fuzz(func(t *testing.T, s string) { fuzzRead(t, "mce_v44_age_ranges.csv", s) })
}

func FuzzTabular(f *testing.F) {
	f.Add(`<?xml version="1.0"?><ICD10CM.tabular><version>2026</version><chapter><name>19</name><desc>Injury</desc>` +
		`<section id="S50-S59"><diag><name>S52</name><desc>Fracture of forearm</desc><excludes1><note>traumatic amputation (S58.-)</note><note>x (A00-A09, B20.1)</note></excludes1>` +
		`<sevenChrDef><extension char="A">initial</extension><extension char="S">sequela</extension></sevenChrDef>` +
		`<diag><name>S52.5</name><desc>Fracture of lower end of radius in diseases classified elsewhere</desc></diag></diag></section></chapter></ICD10CM.tabular>`)
	f.Fuzz(func(t *testing.T, s string) { fuzzRead(t, "icd10cm_tabular_2026.xml", s) })
}

func FuzzICD10Order(f *testing.F) {
	f.Add(icdSample)
	f.Add("00001 A00     0 Cholera\n")
	f.Fuzz(func(t *testing.T, s string) { fuzzRead(t, "icd10cm_order_2026.txt", s) })
}

func FuzzHCPCSText(f *testing.F) {
	f.Add(hcpcsRecord("A1234", "3", "20200101", "") + hcpcsRecord("   JG", "7", "20180101", "20241231"))
	f.Fuzz(func(t *testing.T, s string) { fuzzRead(t, "HCPC2025_JAN_ANWEB.txt", s) })
}

func FuzzHCPCSCSV(f *testing.F) {
	f.Add("HCPC,SEQNUM,RECID,ADD DT,TERM DT\nA1234,1,3,20200101,\n   JG,1,7,20180101,20241231\n")
	f.Fuzz(func(t *testing.T, s string) { fuzzRead(t, "HCPC2025_JAN_ANWEB.csv", s) })
}

func FuzzGenericList(f *testing.F) {
	f.Add("system,code,effective_from,effective_to\nCPT,99213,2000-01-01,\nPOS,02,2003-01-01,2016-12-31\n")
	f.Fuzz(func(t *testing.T, s string) { fuzzRead(t, "list.csv", s) })
}

func FuzzNCCIPTP(f *testing.F) {
	f.Add(strings.Repeat("h\r\n", 6) + "G0439\t99213\t\t20110101\t*\t1\tx\r\n93000\t36415\t*\t19960101\t20200101\t0\ty\r\n")
	f.Fuzz(func(t *testing.T, s string) { fuzzRead(t, "ccipra-v313r0-f1.txt", s) })
}

func FuzzMUE(f *testing.F) {
	f.Add("\"pre\"\r\n\"HCPCS/\r\nCPT Code\",\"v\",\"mai\",\"r\"\r\n36415,2,\"2 Date of Service Edit: Policy\",r\r\n")
	f.Fuzz(func(t *testing.T, s string) { fuzzRead(t, "MCR_MUE_PractitionerServices_Eff_10-01-2025.csv", s) })
}
