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
			_, err = tx.CopyFrom(ctx, pgx.Identifier{"codeset_code"}, []string{"release_id", "code", "valid_from", "valid_to", "billable", "coverage", "statute", "xref"},
				pgx.CopyFromSlice(len(rel.Codes), func(i int) ([]any, error) {
					c := rel.Codes[i]
					var cov, statute, xref any
					if info, ok := rel.HCPCS[c.Code]; ok {
						cov, statute, xref = nullable(string(rune(info.Coverage))), nullable(info.Statute), nullable(info.XRef)
						if info.Coverage == 0 {
							cov = nil
						}
					}
					return []any{id, c.Code, toDate(c.Valid.From), toDate(c.Valid.To), c.Billable, cov, statute, xref}, nil
				}))
		case len(rel.DxFlags) > 0:
			_, err = tx.CopyFrom(ctx, pgx.Identifier{"codeset_mce_flag"}, []string{"release_id", "code", "valid_from", "valid_to", "flags"},
				pgx.CopyFromSlice(len(rel.DxFlags), func(i int) ([]any, error) {
					f := rel.DxFlags[i]
					return []any{id, f.Code, toDate(f.Valid.From), toDate(f.Valid.To), rel.FlagNamesOf(f.Flags)}, nil
				}))
		case len(rel.AgeRanges) > 0:
			_, err = tx.CopyFrom(ctx, pgx.Identifier{"codeset_mce_age"}, []string{"release_id", "flag", "min_age", "max_age", "valid_from", "valid_to"},
				pgx.CopyFromSlice(len(rel.AgeRanges), func(i int) ([]any, error) {
					a := rel.AgeRanges[i]
					return []any{id, codeset.FlagName(a.Flag), a.Min, a.Max, toDate(a.Valid.From), toDate(a.Valid.To)}, nil
				}))
		case rel.Tabular != nil:
			err = copyTabular(ctx, tx, id, rel.Tabular)
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

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// copyTabular copies a Tabular List's codes, 7th characters and Excludes1
// notes.
func copyTabular(ctx context.Context, tx pgx.Tx, id int64, t *codeset.Tabular) error {
	codes := make([][]any, 0, t.Len())
	for c, tc := range t.Codes() {
		codes = append(codes, []any{id, c, int16(tc.Chapter), tc.Manifestation})
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"codeset_tabular_code"}, []string{"release_id", "code", "chapter", "manifestation"}, pgx.CopyFromRows(codes)); err != nil {
		return err
	}
	var seventh [][]any
	for c, defs := range t.SevenChr {
		for _, d := range defs {
			seventh = append(seventh, []any{id, c, string(rune(d.Char)), d.Text})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"codeset_tabular_seventh"}, []string{"release_id", "code", "chr", "definition"}, pgx.CopyFromRows(seventh)); err != nil {
		return err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"codeset_tabular_excludes1"}, []string{"release_id", "ord", "source", "note", "targets"},
		pgx.CopyFromSlice(len(t.Excludes1), func(i int) ([]any, error) {
			n := t.Excludes1[i]
			spans := make([]string, len(n.Targets))
			for j, sp := range n.Targets {
				spans[j] = sp.From + "-" + sp.To
			}
			return []any{id, i, n.Source, n.Note, spans}, nil
		}))
	return err
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
	codes, err := r.pool.Query(ctx, `SELECT release_id, code, valid_from, valid_to, billable, coalesce(coverage, ''), coalesce(statute, ''), coalesce(xref, '')
		FROM codeset_code WHERE release_id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	for codes.Next() {
		var id int64
		var c codeset.Code
		var from, to pgtype.Date
		var cov string
		var info codeset.HCPCSInfo
		if err := codes.Scan(&id, &c.Code, &from, &to, &c.Billable, &cov, &info.Statute, &info.XRef); err != nil {
			codes.Close()
			return nil, err
		}
		c.Valid = civil.Range{From: fromDate(from, civil.Min), To: fromDate(to, civil.Max)}
		rel := byID[id]
		rel.Codes = append(rel.Codes, c)
		if cov != "" {
			info.Coverage = cov[0]
		}
		if info != (codeset.HCPCSInfo{}) {
			if rel.HCPCS == nil {
				rel.HCPCS = map[string]codeset.HCPCSInfo{}
			}
			rel.HCPCS[c.Code] = info
		}
	}
	codes.Close()
	if err := codes.Err(); err != nil {
		return nil, fmt.Errorf("read codes: %w", err)
	}
	if err := loadEditors(ctx, r.pool, ids, byID); err != nil {
		return nil, err
	}
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
	if err := ptp.Err(); err != nil {
		return nil, fmt.Errorf("read PTP edits: %w", err)
	}
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

// loadEditors reads the MCE and Tabular rows of the releases ids.
func loadEditors(ctx context.Context, pool *pgxpool.Pool, ids []int64, byID map[int64]*codeset.Release) error {
	rows, err := pool.Query(ctx, `SELECT release_id, code, valid_from, valid_to, flags FROM codeset_mce_flag WHERE release_id = ANY($1)`, ids)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var f codeset.DxFlagRow
		var from, to pgtype.Date
		var names []string
		if err := rows.Scan(&id, &f.Code, &from, &to, &names); err != nil {
			rows.Close()
			return err
		}
		rel := byID[id]
		f.Valid = civil.Range{From: fromDate(from, civil.Min), To: fromDate(to, civil.Max)}
		if f.Flags, err = rel.FlagsOf(names); err != nil {
			rows.Close()
			return fmt.Errorf("%s: %w", rel.Key(), err)
		}
		rel.DxFlags = append(rel.DxFlags, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = pool.Query(ctx, `SELECT release_id, flag, min_age, max_age, valid_from, valid_to FROM codeset_mce_age WHERE release_id = ANY($1)`, ids)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var a codeset.AgeRange
		var flag string
		var from, to pgtype.Date
		if err := rows.Scan(&id, &flag, &a.Min, &a.Max, &from, &to); err != nil {
			rows.Close()
			return err
		}
		a.Flag, _ = codeset.AgeFlagNamed(flag)
		a.Valid = civil.Range{From: fromDate(from, civil.Min), To: fromDate(to, civil.Max)}
		byID[id].AgeRanges = append(byID[id].AgeRanges, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	tab := func(id int64) *codeset.Tabular {
		rel := byID[id]
		if rel.Tabular == nil {
			rel.Tabular = codeset.NewTabular()
		}
		return rel.Tabular
	}
	rows, err = pool.Query(ctx, `SELECT release_id, code, chapter, manifestation FROM codeset_tabular_code WHERE release_id = ANY($1)`, ids)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var code string
		var ch int16
		var m bool
		if err := rows.Scan(&id, &code, &ch, &m); err != nil {
			rows.Close()
			return err
		}
		tab(id).SetCode(code, codeset.TabCode{Chapter: uint8(ch), Manifestation: m})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = pool.Query(ctx, `SELECT release_id, code, chr, definition FROM codeset_tabular_seventh WHERE release_id = ANY($1) ORDER BY release_id, code, chr`, ids)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var code, chr, def string
		if err := rows.Scan(&id, &code, &chr, &def); err != nil {
			rows.Close()
			return err
		}
		t := tab(id)
		t.SevenChr[code] = append(t.SevenChr[code], codeset.SevenChrDef{Char: chr[0], Text: def})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = pool.Query(ctx, `SELECT release_id, source, note, targets FROM codeset_tabular_excludes1 WHERE release_id = ANY($1) ORDER BY release_id, ord`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n codeset.Excludes1Note
		var spans []string
		if err := rows.Scan(&id, &n.Source, &n.Note, &spans); err != nil {
			return err
		}
		for _, sp := range spans {
			from, to, _ := strings.Cut(sp, "-")
			n.Targets = append(n.Targets, codeset.CodeSpan{From: from, To: to})
		}
		t := tab(id)
		t.Excludes1 = append(t.Excludes1, n)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, rel := range byID {
		if rel.Tabular != nil {
			rel.Tabular.Index()
		}
	}
	return nil
}
