// Package testenv finds what tests need outside the repository: the real
// CMS files in ../shared/data, and (later) the Kafka and PostgreSQL services.
package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot returns the repository's top folder (the one holding go.mod).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// SharedData returns the folder of real CMS files, ../shared/data beside the
// repository, or CLAIMSCREEN_SHARED_DATA. Where it is absent the test is
// skipped, except under CI (CI=true), where it fails: CI always has it.
func SharedData(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CLAIMSCREEN_SHARED_DATA")
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), "..", "shared", "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "icd10cm")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("real CMS data not found at %s (set CLAIMSCREEN_SHARED_DATA)", dir)
		}
		t.Skipf("real CMS data not found at %s; set CLAIMSCREEN_SHARED_DATA to run this test", dir)
	}
	return dir
}

// SharedFS returns SharedData as a file system, for the readers that take
// one (codeset.OpenFS): names in it are like "icd10cm/icd10cm_order_2026.txt.gz".
func SharedFS(t testing.TB) fs.FS {
	t.Helper()
	return os.DirFS(SharedData(t))
}

// SharedFile returns the path of a file under SharedData.
func SharedFile(t testing.TB, rel string) string {
	t.Helper()
	return filepath.Join(SharedData(t), rel)
}
