package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/claimscreen/claimscreen/internal/civil"
	"github.com/claimscreen/claimscreen/internal/codeset"
)

// Releases is the code-set release registry: releases imported with COPY,
// activated and retired; the running services screen with the active ones.
type Releases struct{ pool *pgxpool.Pool }

// NewReleases returns the release registry on pool.
func NewReleases(pool *pgxpool.Pool) *Releases { return &Releases{pool: pool} }

// ImportResult says what an import did with one release.
type ImportResult struct {
	Key    string
	Status string // "imported", "already imported"
	Rows   int
}

// ErrConflict is returned when a release of the same system and version was
// imported from another file.
var ErrConflict = errors.New("a different file of the same release is already imported")

// ImportReleases loads the releases read from one file in one transaction:
// all of them, or none. A release already imported from the same content
// (same SHA-256) is a no-op that says so.
func (r *Releases) ImportReleases(ctx context.Context, rels []*codeset.Release) ([]ImportResult, error) {
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	var out []ImportResult
	for _, rel := range rels {
		var id int64
		var sha string
		err := tx.QueryRow(ctx, `SELECT id, sha256 FROM codeset_release WHERE system = $1 AND version = $2 AND part = $3`, rel.System, rel.Version, rel.Part).Scan(&id, &sha)
		switch {
		case err == nil && sha == rel.SHA256:
			out = append(out, ImportResult{rel.Key(), "already imported", rel.Rows})
			continue
		case err == nil:
			return nil, fmt.Errorf("%s from %s: %w (SHA-256 %s…); retire and delete it first", rel.Key(), rel.Source, ErrConflict, sha[:12])
		case !errors.Is(err, pgx.ErrNoRows):
			return nil, err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO codeset_release (system, version, part, coverage_from, coverage_to, source, format, sha256, rows)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			rel.System, rel.Version, rel.Part, toDate(rel.Coverage.From), toDate(rel.Coverage.To), rel.Source, rel.Format, rel.SHA256, rel.Rows).Scan(&id); err != nil {
			return nil, fmt.Errorf("import %s: %w", rel.Key(), err)
		}
		switch {
		case len(rel.Codes) > 0:
			_, err = tx.CopyFrom(ctx, pgx.Identifier{"codeset_code"}, []string{"release_id", "code", "valid_from", "valid_to", "billable"},
				pgx.CopyFromSlice(len(rel.Codes), func(i int) ([]any, error) {
					c := rel.Codes[i]
					return []any{id, c.Code, toDate(c.Valid.From), toDate(c.Valid.To), c.Billable}, nil
				}))
		case len(rel.Edits) > 0:
			_, err = tx.CopyFrom(ctx, pgx.Identifier{"codeset_ptp"}, []string{"release_id", "column1", "column2", "valid_from", "valid_to", "modifier", "rationale"},
				pgx.CopyFromSlice(len(rel.Edits), func(i int) ([]any, error) {
					e := rel.Edits[i]
					return []any{id, e.Column1, e.Column2, toDate(e.Valid.From), toDate(e.Valid.To), string(e.Modifier), e.Rationale}, nil
				}))
		case len(rel.MUEs) > 0:
			_, err = tx.CopyFrom(ctx, pgx.Identifier{"codeset_mue"}, []string{"release_id", "code", "value", "mai", "rationale"},
				pgx.CopyFromSlice(len(rel.MUEs), func(i int) ([]any, error) {
					m := rel.MUEs[i]
					return []any{id, m.Code, m.Value, m.MAI, m.Rationale}, nil
				}))
		}
		if err != nil {
			return nil, fmt.Errorf("import %s: copy: %w", rel.Key(), err)
		}
		out = append(out, ImportResult{rel.Key(), "imported", rel.Rows})
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	return out, nil
}

// ReleaseInfo is a release row.
type ReleaseInfo struct {
	System, Version, Part, Source, Format, SHA256 string
	Coverage                                      civil.Range
	Rows                                          int
	ImportedAt                                    time.Time
	ActivatedAt, RetiredAt                        *time.Time
}

// ListReleases returns every release, by system and version.
func (r *Releases) ListReleases(ctx context.Context) ([]ReleaseInfo, error) {
	rows, err := r.pool.Query(ctx, `SELECT system, version, part, source, format, sha256, coverage_from, coverage_to, rows, imported_at, activated_at, retired_at
		FROM codeset_release ORDER BY system, version, part`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReleaseInfo
	for rows.Next() {
		var ri ReleaseInfo
		var from, to pgtype.Date
		if err := rows.Scan(&ri.System, &ri.Version, &ri.Part, &ri.Source, &ri.Format, &ri.SHA256, &from, &to, &ri.Rows, &ri.ImportedAt, &ri.ActivatedAt, &ri.RetiredAt); err != nil {
			return nil, err
		}
		ri.Coverage = civil.Range{From: fromDate(from, civil.Min), To: fromDate(to, civil.Max)}
		out = append(out, ri)
	}
	return out, rows.Err()
}

// SetReleaseActive activates (or retires) every part of a release and
// notifies the running services.
func (r *Releases) SetReleaseActive(ctx context.Context, system, version string, active bool) error {
	q := `UPDATE codeset_release SET activated_at = now(), retired_at = NULL WHERE system = $1 AND version = $2`
	if !active {
		q = `UPDATE codeset_release SET retired_at = now() WHERE system = $1 AND version = $2`
	}
	return change(ctx, r.pool, q, fmt.Sprintf("no release %s %s is imported", system, version), system, version)
}

// change runs one statement that must change a row, and notifies the
// running services (LISTEN) in the same transaction.
func change(ctx context.Context, pool *pgxpool.Pool, q, missing string, args ...any) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, q, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return errors.New(missing)
	}
	if _, err := tx.Exec(ctx, "SELECT pg_notify($1, 'changed')", Channel); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// LoadActive reads every active release with its rows.
func (r *Releases) LoadActive(ctx context.Context) ([]*codeset.Release, error) {
	rows, err := r.pool.Query(ctx, `SELECT id, system, version, part, source, format, sha256, coverage_from, coverage_to, rows
		FROM codeset_release WHERE activated_at IS NOT NULL AND retired_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*codeset.Release{}
	var rels []*codeset.Release
	var ids []int64
	for rows.Next() {
		rel := &codeset.Release{}
		var id int64
		var from, to pgtype.Date
		if err := rows.Scan(&id, &rel.System, &rel.Version, &rel.Part, &rel.Source, &rel.Format, &rel.SHA256, &from, &to, &rel.Rows); err != nil {
			rows.Close()
			return nil, err
		}
		rel.Coverage = civil.Range{From: fromDate(from, civil.Min), To: fromDate(to, civil.Max)}
		byID[id] = rel
		rels = append(rels, rel)
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	codes, err := r.pool.Query(ctx, `SELECT release_id, code, valid_from, valid_to, billable FROM codeset_code WHERE release_id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	for codes.Next() {
		var id int64
		var c codeset.Code
		var from, to pgtype.Date
		if err := codes.Scan(&id, &c.Code, &from, &to, &c.Billable); err != nil {
			codes.Close()
			return nil, err
		}
		c.Valid = civil.Range{From: fromDate(from, civil.Min), To: fromDate(to, civil.Max)}
		byID[id].Codes = append(byID[id].Codes, c)
	}
	codes.Close()
	ptp, err := r.pool.Query(ctx, `SELECT release_id, column1, column2, valid_from, valid_to, modifier, rationale FROM codeset_ptp WHERE release_id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	for ptp.Next() {
		var id int64
		var e codeset.PTPEdit
		var from, to pgtype.Date
		var mod string
		if err := ptp.Scan(&id, &e.Column1, &e.Column2, &from, &to, &mod, &e.Rationale); err != nil {
			ptp.Close()
			return nil, err
		}
		e.Valid = civil.Range{From: fromDate(from, civil.Min), To: fromDate(to, civil.Max)}
		e.Modifier = mod[0]
		byID[id].Edits = append(byID[id].Edits, e)
	}
	ptp.Close()
	mue, err := r.pool.Query(ctx, `SELECT release_id, code, value, mai, rationale FROM codeset_mue WHERE release_id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	defer mue.Close()
	for mue.Next() {
		var id int64
		var m codeset.MUERow
		if err := mue.Scan(&id, &m.Code, &m.Value, &m.MAI, &m.Rationale); err != nil {
			return nil, err
		}
		byID[id].MUEs = append(byID[id].MUEs, m)
	}
	return rels, mue.Err()
}
