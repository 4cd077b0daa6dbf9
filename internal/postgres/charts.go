package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/claimscreen/claimscreen/internal/civil"
	"github.com/claimscreen/claimscreen/internal/crosswalk"
)

// Charts is the crosswalk chart registry: versions imported, one active.
type Charts struct{ pool *pgxpool.Pool }

// NewCharts returns the chart registry on pool.
func NewCharts(pool *pgxpool.Pool) *Charts { return &Charts{pool: pool} }

// ImportChart loads a chart version; the same content again is a no-op.
func (r *Charts) ImportChart(ctx context.Context, c *crosswalk.Chart) (string, error) {
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback(ctx)
	var sha string
	err = tx.QueryRow(ctx, `SELECT sha256 FROM crosswalk_version WHERE version = $1`, c.Version).Scan(&sha)
	switch {
	case err == nil && sha == c.SHA256:
		return "already imported", nil
	case err == nil:
		return "", fmt.Errorf("chart %s: %w", c.Version, ErrConflict)
	case !errors.Is(err, pgx.ErrNoRows):
		return "", err
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO crosswalk_version (version, sources, sha256, rows) VALUES ($1, $2, $3, $4) RETURNING id`,
		c.Version, strings.Join(c.Sources, ","), c.SHA256, c.Len()).Scan(&id); err != nil {
		return "", err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"crosswalk_row"}, []string{"version_id", "system", "code", "internal_code", "valid_from", "valid_to", "note", "file", "line"},
		pgx.CopyFromSlice(len(c.Rows), func(i int) ([]any, error) {
			row := c.Rows[i]
			return []any{id, row.System, row.Code, row.Internal, toDate(row.Valid.From), toDate(row.Valid.To), row.Note, row.File, row.Line}, nil
		})); err != nil {
		return "", fmt.Errorf("import chart: %w", err)
	}
	return "imported", tx.Commit(ctx)
}

// ChartInfo is a chart version row.
type ChartInfo struct {
	Version, Sources, SHA256 string
	Rows                     int
	ImportedAt               time.Time
	ActivatedAt, RetiredAt   *time.Time
}

// ListCharts returns every chart version.
func (r *Charts) ListCharts(ctx context.Context) ([]ChartInfo, error) {
	rows, err := r.pool.Query(ctx, `SELECT version, sources, sha256, rows, imported_at, activated_at, retired_at FROM crosswalk_version ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ChartInfo
	for rows.Next() {
		var ci ChartInfo
		if err := rows.Scan(&ci.Version, &ci.Sources, &ci.SHA256, &ci.Rows, &ci.ImportedAt, &ci.ActivatedAt, &ci.RetiredAt); err != nil {
			return nil, err
		}
		out = append(out, ci)
	}
	return out, rows.Err()
}

// ActivateChart makes version the one chart in use and notifies.
func (r *Charts) ActivateChart(ctx context.Context, version string) error {
	return change(ctx, r.pool, `UPDATE crosswalk_version SET activated_at = CASE WHEN version = $1 THEN now() ELSE activated_at END,
		retired_at = CASE WHEN version = $1 THEN NULL ELSE coalesce(retired_at, CASE WHEN activated_at IS NOT NULL THEN now() END) END
		WHERE EXISTS (SELECT 1 FROM crosswalk_version WHERE version = $1)`, "no chart "+version+" is imported", version)
}

// LoadActiveChart reads the chart in use, or an empty chart.
func (r *Charts) LoadActiveChart(ctx context.Context) (*crosswalk.Chart, error) {
	var id int64
	var version, sources, sha string
	err := r.pool.QueryRow(ctx, `SELECT id, version, sources, sha256 FROM crosswalk_version WHERE activated_at IS NOT NULL AND retired_at IS NULL
		ORDER BY activated_at DESC LIMIT 1`).Scan(&id, &version, &sources, &sha)
	if errors.Is(err, pgx.ErrNoRows) {
		return crosswalk.Empty(), nil
	}
	if err != nil {
		return nil, err
	}
	rows, err := r.pool.Query(ctx, `SELECT system, code, internal_code, valid_from, valid_to, note, file, line FROM crosswalk_row WHERE version_id = $1`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []crosswalk.Row
	for rows.Next() {
		var sys, code, internal, note, file string
		var line int
		var from, to pgtype.Date
		if err := rows.Scan(&sys, &code, &internal, &from, &to, &note, &file, &line); err != nil {
			return nil, err
		}
		toText := ""
		if to.Valid {
			toText = fromDate(to, civil.Max).String()
		}
		row, err := crosswalk.ParseRow([]string{sys, code, internal, fromDate(from, civil.Min).String(), toText, note})
		if err != nil {
			return nil, fmt.Errorf("chart %s row from %s:%d: %w", version, file, line, err)
		}
		row.File, row.Line = file, line
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return crosswalk.Build(version, strings.Split(sources, ","), sha, out)
}
