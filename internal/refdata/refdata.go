// Package refdata loads the reference data a screener is built from: the
// code-set releases, the crosswalk chart and the rule policy. There is one
// loader with three sources: files on disk (claimscreen screen, serve
// --codesets), the bundled samples (the demo), and the active releases and
// chart in PostgreSQL (serve --database-url, reloaded on every
// activation). It is the edge where files are opened: the domain packages
// read through the fs.FS they are given.
package refdata

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/crosswalk"
	"github.com/claimscreen/claimscreen/internal/rule"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/screening"
)

// Reference is a screener and what it was built from.
type Reference struct {
	Screener *screening.Screener
	// Releases are the snapshot's releases (headers, no rows), in the
	// snapshot's order.
	Releases []*codeset.Release
	Chart    *crosswalk.Chart
	// Notes name the files skipped (companion files), for the operator.
	Notes []string
}

// Loader loads reference data. A service calls it at start and, when its
// source can change (PostgreSQL), again on every change.
type Loader func(ctx context.Context) (*Reference, error)

// Build makes the screener of releases, a chart (nil: none) and a policy
// (nil: the defaults).
func Build(rels []*codeset.Release, chart *crosswalk.Chart, policy *rule.Policy, notes []string) (*Reference, error) {
	snap, err := codeset.NewSnapshot(rels)
	if err != nil {
		return nil, fmt.Errorf("code-set snapshot: %w", err)
	}
	if chart == nil {
		chart = crosswalk.Empty()
	}
	return &Reference{Screener: screening.New(snap, chart, policy), Releases: snap.Releases(), Chart: chart, Notes: notes}, nil
}

// Files loads every code-set file of the folder codesets and the chart at
// chartPath (a CSV file or a folder of them; "" for none).
func Files(codesets, chartPath string, policy *rule.Policy) Loader {
	return func(context.Context) (*Reference, error) {
		rels, notes, err := ReadCodeSetFolder(codesets)
		if err != nil {
			return &Reference{Notes: notes}, err
		}
		var chart *crosswalk.Chart
		if chartPath != "" {
			if chart, err = ReadChart(chartPath); err != nil {
				return nil, err
			}
		}
		return Build(rels, chart, policy, notes)
	}
}

// Samples loads the bundled sample code sets and chart.
func Samples(policy *rule.Policy) Loader {
	return func(context.Context) (*Reference, error) {
		rels, err := samples.Releases()
		if err != nil {
			return nil, fmt.Errorf("sample code sets: %w", err)
		}
		chart, err := samples.Chart()
		if err != nil {
			return nil, fmt.Errorf("sample chart: %w", err)
		}
		return Build(rels, chart, policy, nil)
	}
}

// ReleaseStore keeps code-set releases (postgres.Releases).
type ReleaseStore interface {
	LoadActive(ctx context.Context) ([]*codeset.Release, error)
}

// ChartStore keeps crosswalk charts (postgres.Charts).
type ChartStore interface {
	LoadActiveChart(ctx context.Context) (*crosswalk.Chart, error)
}

// Active loads the active releases and chart of a store.
func Active(rels ReleaseStore, charts ChartStore, policy *rule.Policy) Loader {
	return func(ctx context.Context) (*Reference, error) {
		rs, err := rels.LoadActive(ctx)
		if err != nil {
			return nil, fmt.Errorf("active releases: %w", err)
		}
		chart, err := charts.LoadActiveChart(ctx)
		if err != nil {
			return nil, fmt.Errorf("active chart: %w", err)
		}
		return Build(rs, chart, policy, nil)
	}
}

// ReadCodeSets reads the code-set file at path (plain, .gz or .zip), or
// every code-set file of the folder path, as format ("" to recognise each
// by its name or header). Notes name the files skipped.
func ReadCodeSets(path, format string) ([]*codeset.Release, []string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("code-set folder: %w", err)
	}
	if st.IsDir() {
		return codeset.LoadFS(os.DirFS(path), ".")
	}
	fsys, name := split(path)
	return codeset.OpenFS(fsys, name, format)
}

// ReadCodeSetPaths reads every path in order (ReadCodeSets) into one
// snapshot, which refuses overlapping releases of a system; notes are
// passed to note as they come, the files skipped among them.
func ReadCodeSetPaths(paths []string, format string, note func(string)) (*codeset.Snapshot, error) {
	var rels []*codeset.Release
	for _, p := range paths {
		r, notes, err := ReadCodeSets(p, format)
		for _, n := range notes {
			note(n)
		}
		if err != nil {
			return nil, err
		}
		rels = append(rels, r...)
	}
	return codeset.NewSnapshot(rels)
}

// ReadCodeSetFolder is ReadCodeSets for a path that must be a folder.
func ReadCodeSetFolder(dir string) ([]*codeset.Release, []string, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, nil, fmt.Errorf("code-set folder: %w", err)
	} else if !st.IsDir() {
		return nil, nil, fmt.Errorf("code-set folder: %s is not a folder", dir)
	}
	return codeset.LoadFS(os.DirFS(dir), ".")
}

// ReadChart reads the chart file at path, or every CSV file of the folder
// path.
func ReadChart(path string) (*crosswalk.Chart, error) {
	fsys, name := split(path)
	return crosswalk.LoadFS(fsys, name)
}

// split gives the file system of path's folder and path's name in it.
func split(path string) (fs.FS, string) {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return os.DirFS(filepath.Dir(abs)), filepath.Base(abs)
}
