package x12

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/testenv"
)

// x12valid is pyx12's validator: CLAIMSCREEN_ORACLE_PYTHON's folder (make
// test sets it to bin/oracles), else bin/oracles. Without it the test is
// skipped, except under CI, where it fails.
func x12valid(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(testenv.RepoRoot(t), "bin", "oracles", "bin")
	if p := os.Getenv("CLAIMSCREEN_ORACLE_PYTHON"); p != "" {
		dir = filepath.Dir(p)
	}
	p := filepath.Join(dir, "x12valid")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("pyx12 not found at %s (make oracles installs it)", p)
		}
		t.Skipf("pyx12 not found at %s; run make oracles (make test does)", p)
	}
	return p
}

// validate runs pyx12 on an X12 document and returns its verdict.
func validate(t *testing.T, tool string, doc []byte) (ok bool, out string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "doc.x12")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	// x12valid's exit status is 1 whatever it finds: its verdict is the
	// "FILE: OK" or "FILE: Failure" line.
	b, _ := exec.Command(tool, f).CombinedOutput()
	return strings.Contains(string(b), f+": OK") && !strings.Contains(string(b), "Failure"), string(b)
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
			rs, _ := Results(ic, g, func(s *Set) ([]Claim, error) { return Claims(ic, g, s, time.Time{}) })
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
	institutional, _ := fs.ReadFile(fsys, "x12/oopfactory_x12parser/837I_5010_Spec_3.1.2_TwoClaimsForTheSameProvider.txt")
	for _, tc := range []struct {
		name  string
		in    []byte
		wants []string
	}{
		{"accepted", sample, []string{"AK1*HC*77*005010X222A1~", "AK2*837*0001*005010X222A1~", "IK5*A~", "AK9*A*1*1*1~", "GS*FA*PAYER01*CLEARING-1*"}},
		{"rejected", refused, []string{"IK3*HL*25**8~", `IK4*1*628*7*2~`, "IK5*R*4~", "AK9*R*1*1*0~"}},
		{"837I accepted", institutional, []string{"IK5*A~", "AK9*A*1*1*1~"}},
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
