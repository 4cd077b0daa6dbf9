package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/claimscreen/claimscreen/internal/testenv"
	"github.com/claimscreen/claimscreen/internal/x12"
)

// The committed guides are what pyx12's maps (of the pyx12 make oracles
// installs) say, and each reads.
func TestGuidesAreCurrent(t *testing.T) {
	root := testenv.RepoRoot(t)
	maps, _ := filepath.Glob(filepath.Join(root, "bin", "oracles", "lib", "python3*", "site-packages", "pyx12", "map"))
	if len(maps) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("pyx12's maps not found under bin/oracles (make oracles installs them)")
		}
		t.Skip("pyx12's maps not found under bin/oracles; run make oracles (make test does)")
	}
	for _, g := range guides {
		want, err := Generate(maps[0], g.version, g.form, g.mapFile)
		if err != nil {
			t.Fatal(err)
		}
		have, err := os.ReadFile(filepath.Join(root, "internal", "x12", "guides", g.version+".guide"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(have, want) {
			t.Errorf("internal/x12/guides/%s.guide is not what pyx12's %s says: run go run ./internal/x12/guidegen -maps %s", g.version, g.mapFile, maps[0])
		}
		if _, err := x12.ParseGuide(have); err != nil {
			t.Errorf("%s: %v", g.version, err)
		}
	}
}
