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
	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/crosswalk"
)

// Registry is the code-set, crosswalk and originator registry.
type Registry struct{ pool *pgxpool.Pool }

// NewRegistry returns the registry on pool.
func NewRegistry(pool *pgxpool.Pool) *Registry { return &Registry{pool: pool} }

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
func (r *Registry) ImportReleases(ctx context.Context, rels []*codeset.Release) ([]ImportResult, error) {
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
func (r *Registry) ListReleases(ctx context.Context) ([]ReleaseInfo, error) {
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
func (r *Registry) SetReleaseActive(ctx context.Context, system, version string, active bool) error {
	q := `UPDATE codeset_release SET activated_at = now(), retired_at = NULL WHERE system = $1 AND version = $2`
	if !active {
		q = `UPDATE codeset_release SET retired_at = now() WHERE system = $1 AND version = $2`
	}
	return r.change(ctx, q, fmt.Sprintf("no release %s %s is imported", system, version), system, version)
}

func (r *Registry) change(ctx context.Context, q, missing string, args ...any) error {
	tx, err := r.pool.Begin(ctx)
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
func (r *Registry) LoadActive(ctx context.Context) ([]*codeset.Release, error) {
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

// ImportChart loads a chart version; the same content again is a no-op.
func (r *Registry) ImportChart(ctx context.Context, c *crosswalk.Chart) (string, error) {
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
func (r *Registry) ListCharts(ctx context.Context) ([]ChartInfo, error) {
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
func (r *Registry) ActivateChart(ctx context.Context, version string) error {
	return r.change(ctx, `UPDATE crosswalk_version SET activated_at = CASE WHEN version = $1 THEN now() ELSE activated_at END,
		retired_at = CASE WHEN version = $1 THEN NULL ELSE coalesce(retired_at, CASE WHEN activated_at IS NOT NULL THEN now() END) END
		WHERE EXISTS (SELECT 1 FROM crosswalk_version WHERE version = $1)`, "no chart "+version+" is imported", version)
}

// LoadActiveChart reads the chart in use, or an empty chart.
func (r *Registry) LoadActiveChart(ctx context.Context) (*crosswalk.Chart, error) {
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

// AddOriginator registers (or re-activates) an originator; running
// services are told (NOTIFY) and take it at once.
func (r *Registry) AddOriginator(ctx context.Context, id, topic string) error {
	return r.change(ctx, `INSERT INTO originator (originator_id, notice_topic) VALUES ($1, $2)
		ON CONFLICT (originator_id) DO UPDATE SET notice_topic = excluded.notice_topic, active = true, updated_at = now()`, "", id, topic)
}

// DisableOriginator marks an originator inactive; running services are
// told (NOTIFY).
func (r *Registry) DisableOriginator(ctx context.Context, id string) error {
	return r.change(ctx, `UPDATE originator SET active = false, updated_at = now() WHERE originator_id = $1`,
		fmt.Sprintf("originator %s is not registered", id), id)
}

// Originator is a registered originator.
type Originator struct {
	ID, NoticeTopic string
	Active          bool
}

// Originators lists every registered originator.
func (r *Registry) Originators(ctx context.Context) ([]Originator, error) {
	rows, err := r.pool.Query(ctx, `SELECT originator_id, notice_topic, active FROM originator ORDER BY originator_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Originator
	for rows.Next() {
		var o Originator
		if err := rows.Scan(&o.ID, &o.NoticeTopic, &o.Active); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// OriginatorRegistry is a snapshot of the originator table that implements
// pipeline.Registry.
type OriginatorRegistry map[string]string

// Lookup implements pipeline.Registry.
func (o OriginatorRegistry) Lookup(id string) (string, bool) { t, ok := o[id]; return t, ok }

// Originators implements pipeline.Registry.
func (o OriginatorRegistry) Originators() map[string]string { return o }

// LoadOriginators reads the active originators; ok is false when the table
// is empty (no registry configured).
func (r *Registry) LoadOriginators(ctx context.Context) (OriginatorRegistry, bool, error) {
	all, err := r.Originators(ctx)
	if err != nil || len(all) == 0 {
		return nil, false, err
	}
	reg := OriginatorRegistry{}
	for _, o := range all {
		if o.Active {
			reg[o.ID] = o.NoticeTopic
		}
	}
	return reg, true, nil
}

// Listen calls fn after every NOTIFY on Channel until ctx is done. It holds
// one connection of the pool, reconnects after a failure (reporting it to
// onErr) and then calls fn, since a notification may have been missed.
// ready, if not nil, is closed once listening.
func (r *Registry) Listen(ctx context.Context, ready chan<- struct{}, fn func(), onErr func(error)) error {
	for ctx.Err() == nil {
		if err := r.listenOnce(ctx, ready, fn); err != nil && ctx.Err() == nil && onErr != nil {
			onErr(err)
		}
		ready = nil
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
		}
	}
	return nil
}

func (r *Registry) listenOnce(ctx context.Context, ready chan<- struct{}, fn func()) error {
	conn, err := r.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	if ready != nil {
		close(ready)
	} else {
		fn() // a reconnect may have missed a notification
	}
	for {
		if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
			conn.Conn().Close(context.Background())
			return err
		}
		fn()
	}
}
