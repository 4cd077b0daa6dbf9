package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Oracle is the path of a program of the test oracles' virtual
// environment (make oracles installs msdrg and pyx12 there): in the folder
// of CLAIMSCREEN_ORACLE_PYTHON (make test sets it), else bin/oracles/bin.
// Without it the test is skipped, except under CI, where it fails.
func Oracle(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "bin", "oracles", "bin")
	if p := os.Getenv("CLAIMSCREEN_ORACLE_PYTHON"); p != "" {
		dir = filepath.Dir(p)
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found at %s (make oracles installs it)", name, p)
		}
		t.Skipf("%s not found at %s; run make oracles (make test does)", name, p)
	}
	return p
}

// X12Valid runs pyx12's validator on an X12 document and returns its
// verdict and what it printed. x12valid's exit status is 1 whatever it
// finds: its verdict is the "FILE: OK" or "FILE: Failure" line.
func X12Valid(t testing.TB, doc []byte) (ok bool, out string) {
	t.Helper()
	tool := Oracle(t, "x12valid")
	f := filepath.Join(t.TempDir(), "doc.x12")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	b, _ := exec.Command(tool, f).CombinedOutput()
	return strings.Contains(string(b), f+": OK") && !strings.Contains(string(b), "Failure"), string(b)
}
