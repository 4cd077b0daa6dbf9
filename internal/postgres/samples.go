package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/samples"
)

// ImportSamples imports and activates the bundled sample code sets (all
// but the files named in skip) and the sample chart: a database to try the
// service on, and the one the tests and the fault suite use.
func ImportSamples(ctx context.Context, pool *pgxpool.Pool, skip ...string) error {
	rels, charts := NewReleases(pool), NewCharts(pool)
	ents, err := samples.CodeSets.ReadDir("codesets")
	if err != nil {
		return err
	}
	for _, e := range ents {
		if slices.Contains(skip, e.Name()) {
			continue
		}
		rs, _, err := codeset.OpenFS(samples.CodeSets, "codesets/"+e.Name(), "")
		if err != nil {
			return err
		}
		if _, err := rels.ImportReleases(ctx, rs); err != nil {
			return fmt.Errorf("import %s: %w", e.Name(), err)
		}
		for _, r := range rs {
			if err := rels.SetReleaseActive(ctx, r.System, r.Version, true); err != nil {
				return err
			}
		}
	}
	chart, err := samples.Chart()
	if err != nil {
		return err
	}
	if _, err := charts.ImportChart(ctx, chart); err != nil {
		return err
	}
	return charts.ActivateChart(ctx, chart.Version)
}
