package refdata

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadCodeSetPaths(t *testing.T) {
	dir := "../samples/codesets"
	var notes []string
	snap, err := ReadCodeSetPaths([]string{filepath.Join(dir, "icd10cm_order_2025.txt"), filepath.Join(dir, "icd10cm_order_2026.txt")}, "", func(n string) { notes = append(notes, n) })
	if err != nil {
		t.Fatal(err)
	}
	if got := len(snap.Releases()); got != 2 {
		t.Errorf("%d releases from two order files, want 2", got)
	}
	// The same release twice overlaps itself: the snapshot refuses it.
	one := filepath.Join(dir, "icd10cm_order_2026.txt")
	if _, err := ReadCodeSetPaths([]string{one, one}, "", func(string) {}); err == nil {
		t.Error("the same release twice: no error")
	}
	// A folder's stray file is a note, not a failure.
	stray := t.TempDir()
	b, err := os.ReadFile(one)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(stray, "icd10cm_order_2026.txt"), b, 0o644)
	os.WriteFile(filepath.Join(stray, "notes.md"), []byte("# not a code set\n"), 0o644)
	notes = nil
	if _, err := ReadCodeSetPaths([]string{stray}, "", func(n string) { notes = append(notes, n) }); err != nil {
		t.Fatal(err)
	}
	if len(notes) == 0 || !strings.Contains(strings.Join(notes, "\n"), "notes.md") {
		t.Errorf("notes %q, want the skipped notes.md named", notes)
	}
	if _, err := ReadCodeSetPaths([]string{filepath.Join(stray, "missing")}, "", func(string) {}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("a missing path: %v", err)
	}
}
