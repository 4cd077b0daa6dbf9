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
	}
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
