package x12

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/testenv"
)

// x12valid is pyx12's validator (testenv.Oracle).
func x12valid(t *testing.T) string { return testenv.Oracle(t, "x12valid") }

// validate runs pyx12 on an X12 document and returns its verdict.
func validate(t *testing.T, _ string, doc []byte) (ok bool, out string) {
	return testenv.X12Valid(t, doc)
}

func acks(t *testing.T, data []byte) [][]byte {
	t.Helper()
	ics, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, ic := range ics {
		for _, g := range ic.Groups {
			rs, _ := Results(ic, g, func(s *Set) ([]Claim, error) { return Claims(ic, g, s, time.Time{}, "") })
			out = append(out, Ack999(ic, g, rs))
		}
	}
	return out
}

// Every 999 we write passes pyx12's validator; it accepts or rejects each
// set for the reasons we found, and a redelivery gets the same bytes.
func TestAck999(t *testing.T) {
	tool := x12valid(t)
	sample, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "internal", "samples", "x12", "837p-sample.txt"))
	if err != nil {
		t.Fatal(err)
	}
	fsys := testenv.SharedFS(t)
	refused, err := fs.ReadFile(fsys, "x12/imsweb_x12-parser/x12_valid.txt") // SE01 wrong, HL01 used twice
	if err != nil {
		t.Fatal(err)
	}
	institutional, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "internal", "samples", "x12", "837i-sample.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// The TR3's own example, written for 005010X223 (no addenda) and with
	// a five-digit billing provider ZIP code, which the addenda forbid.
	example, _ := fs.ReadFile(fsys, "x12/oopfactory_x12parser/837I_5010_Spec_3.1.2_TwoClaimsForTheSameProvider.txt")
	for _, tc := range []struct {
		name  string
		in    []byte
		wants []string
	}{
		{"accepted", sample, []string{"AK1*HC*77*005010X222A1~", "AK2*837*0001*005010X222A1~", "IK5*A~", "AK9*A*1*1*1~", "GS*FA*PAYER01*CLEARING-1*"}},
		{"rejected", refused, []string{"IK3*HL*25*2000*8~", `IK4*1*628*7*2~`, "IK5*R*4~", "AK9*R*1*1*0~"}},
		{"837I accepted", institutional, []string{"IK5*A~", "AK9*A*1*1*1~"}},
		{"837I example", example, []string{"IK3*N4*10*2010*8~", "IK4*3*116*I12*17111~", "IK3*CLM*19*2300*8~", "IK4*6*1073*I10~", "IK5*R*5~"}},
	} {
		docs := acks(t, tc.in)
		if len(docs) != 1 {
			t.Fatalf("%s: %d 999s", tc.name, len(docs))
		}
		for _, w := range tc.wants {
			if !bytes.Contains(docs[0], []byte(w)) {
				t.Errorf("%s: the 999 lacks %q:\n%s", tc.name, w, docs[0])
			}
		}
		if ok, out := validate(t, tool, docs[0]); !ok {
			t.Errorf("%s: pyx12 finds our 999 invalid:\n%s\n%s", tc.name, docs[0], out)
		}
		if again := acks(t, tc.in); !bytes.Equal(again[0], docs[0]) {
			t.Errorf("%s: a redelivery gets another 999", tc.name)
		}
	}
}

// The 277CA of an accepted set passes pyx12's validator, with accepted,
// held (accepted, pending) and rejected claims, a rejection of more than
// three statuses taking two STC segments.
func TestAck277CA(t *testing.T) {
	tool := x12valid(t)
	sample, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "internal", "samples", "x12", "837p-sample.txt"))
	if err != nil {
		t.Fatal(err)
	}
	ics, _ := Parse(sample)
	ic, g := ics[0], ics[0].Groups[0]
	s := g.Sets[0]
	cs, err := Claims(ic, g, s, time.Time{}, "")
	if err != nil || len(cs) != 2 {
		t.Fatal(cs, err)
	}
	processed := time.Date(2025, 11, 20, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		statuses []ClaimStatus
		wants    []string
	}{
		{"accepted and rejected", []ClaimStatus{
			{Claim: cs[0], Accepted: true, DecisionID: "d1"},
			{Claim: cs[1], Codes: []string{"A7:254", "A7:255", "A7:454", "A7:21"}, DecisionID: "d2"},
		}, []string{"TRN*2*X12-2001~", "STC*A2:20*20251120*WQ*270.00~", "TRN*2*X12-2002~", "STC*A7:254*20251120*U*95.00******A7:255*A7:454~", "STC*A7:21*20251120*U*95.00~",
			"QTY*90*1~", "QTY*AA*1~", "AMT*YU*270~", "AMT*YY*95~", "REF*1K*d2~", "DTP*472*D8*20251112~", "NM1*QC*1*ROE*ANNA****MI*M2002~"}},
		{"held", []ClaimStatus{
			{Claim: cs[0], Accepted: true, Pending: "no ICD-10-CM release covering 2025-11-12 is loaded", DecisionID: "d1"},
		}, []string{"STC*A2:20*20251120*WQ*270.00********no ICD-10-CM release covering 2025-11-12 is loaded~"}},
	} {
		doc := Ack277CA(ic, g, s, tc.statuses, processed)
		for _, w := range tc.wants {
			if !bytes.Contains(doc, []byte(w)) {
				t.Errorf("%s: the 277CA lacks %q:\n%s", tc.name, w, doc)
			}
		}
		if ok, out := validate(t, tool, doc); !ok {
			t.Errorf("%s: pyx12 finds our 277CA invalid:\n%s\n%s", tc.name, doc, out)
		}
		if again := Ack277CA(ic, g, s, tc.statuses, processed); !bytes.Equal(again, doc) {
			t.Errorf("%s: the same decisions give another 277CA", tc.name)
		}
	}
}

// A TA1 answers an interchange with envelope notes, and passes pyx12.
func TestTA1(t *testing.T) {
	tool := x12valid(t)
	good := interchange("000000201")
	bad := strings.Replace(good, "IEA*1*000000201", "IEA*1*000000299", 1)
	ics, _ := Parse([]byte(bad))
	if !TA1Due(ics[0]) {
		t.Fatal("no TA1 due for a control number mismatch")
	}
	doc := TA1(ics[0])
	if !bytes.Contains(doc, []byte("TA1*000000201*251120*0930*R*001~")) || !bytes.HasSuffix(doc, []byte("IEA*0*000000201~\n")) {
		t.Errorf("TA1:\n%s", doc)
	}
	if ok, out := validate(t, tool, doc); !ok {
		t.Errorf("pyx12 finds our TA1 invalid:\n%s\n%s", doc, out)
	}
	// A sound interchange that asks for one (ISA14 1) gets an accepting TA1.
	ics, _ = Parse([]byte(good))
	if !TA1Due(ics[0]) || !bytes.Contains(TA1(ics[0]), []byte("*A*000~")) {
		t.Errorf("accepting TA1: %s", TA1(ics[0]))
	}
	ics, _ = Parse([]byte(strings.Replace(good, "*000000201*1*P*", "*000000201*0*P*", 1)))
	if TA1Due(ics[0]) {
		t.Error("a TA1 is due for a sound interchange that asks for none")
	}
}
