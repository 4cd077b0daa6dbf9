package postgres

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/pipeline"
)

// Ledger is the decision ledger in PostgreSQL. Writes are one statement a
// batch (arrays unnested), so a batch costs a round trip, not a row's.
type Ledger struct{ pool *pgxpool.Pool }

// NewLedger returns the ledger on pool.
func NewLedger(pool *pgxpool.Pool) *Ledger { return &Ledger{pool: pool} }

var _ pipeline.Redecider = (*Ledger)(nil)

// ledgerCols are the columns of a submission, read from the decision
// table (d) joined with its publication time (p).
const ledgerCols = `d.originator_id, d.claim_id, d.content_hash, d.frequency, coalesce(d.replaces_hash, ''::bytea), d.claim, d.decision,
	d.source_topic, d.source_partition, d.source_offset, d.decided_at, p.published_at`

// Prior implements pipeline.Ledger.
func (l *Ledger) Prior(ctx context.Context, keys []string) (map[string][]pipeline.Submission, error) {
	orgs, ids := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		orgs[i], ids[i], _ = strings.Cut(k, "/")
	}
	// One index lookup per key, whatever the statistics say: OFFSET 0 keeps
	// the planner from flattening the lookups into a join it would plan
	// from the table's last statistics (after the table was emptied, a scan
	// of the whole ledger per batch).
	rows, err := l.pool.Query(ctx, `SELECT `+ledgerCols+`
		FROM unnest($1::text[], $2::text[]) AS k(o, c)
		CROSS JOIN LATERAL (SELECT * FROM decision d WHERE d.originator_id = k.o AND d.claim_id = k.c OFFSET 0) d
		LEFT JOIN LATERAL (SELECT p.published_at FROM decision_published p
			WHERE p.originator_id = d.originator_id AND p.claim_id = d.claim_id AND p.content_hash = d.content_hash OFFSET 0) p ON true`, orgs, ids)
	if err != nil {
		return nil, fmt.Errorf("ledger prior: %w", err)
	}
	defer rows.Close()
	out := map[string][]pipeline.Submission{}
	for rows.Next() {
		s, err := scanSubmission(rows.Scan)
		if err != nil {
			return nil, err
		}
		out[s.Key()] = append(out[s.Key()], s)
	}
	return out, rows.Err()
}

func scanSubmission(scan func(...any) error) (pipeline.Submission, error) {
	var s pipeline.Submission
	var hash, replaces, claimZ, decisionZ []byte
	var published *time.Time
	if err := scan(&s.OriginatorID, &s.ClaimID, &hash, &s.Frequency, &replaces, &claimZ, &decisionZ,
		&s.Source.Topic, &s.Source.Partition, &s.Source.Offset, &s.DecidedAt, &published); err != nil {
		return s, fmt.Errorf("ledger read: %w", err)
	}
	s.Hash, s.Replaces = hex.EncodeToString(hash), hex.EncodeToString(replaces)
	var err error
	if s.Claim, err = unpack(claimZ); err != nil {
		return s, fmt.Errorf("ledger read claim: %w", err)
	}
	dj, err := unpack(decisionZ)
	if err != nil {
		return s, fmt.Errorf("ledger read decision: %w", err)
	}
	if err := json.Unmarshal(dj, &s.Decision); err != nil {
		return s, fmt.Errorf("ledger read decision: %w", err)
	}
	if published != nil {
		s.Published, s.PublishedAt = true, *published
	}
	return s, nil
}

// hashBytes is a content hash (hex, as the pipeline keeps it) as the
// ledger stores it.
func hashBytes(h string) ([]byte, error) {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("ledger: content hash %q is not 32 bytes in hex", h)
	}
	return b, nil
}

var recordCols = []string{"originator_id", "claim_id", "content_hash", "frequency", "replaces_hash", "claim", "decision", "outcome",
	"source_topic", "source_partition", "source_offset", "decided_at"}

// recordRows are the COPY rows of a batch of submissions: the claim and
// the decision compressed (compact.go), the hashes as bytes. The batch is
// split over the cores, each part with a packer of its own.
func recordRows(subs []pipeline.Submission) ([][]any, error) {
	rows := make([][]any, len(subs))
	parts := min(runtime.GOMAXPROCS(0), max(len(subs)/64, 1))
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for w := range parts {
		wg.Go(func() {
			p := packer{chunk: 64 << 10}
			for i := w; i < len(subs); i += parts {
				if rows[i], errs[w] = recordRow(&p, &subs[i]); errs[w] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return rows, errors.Join(errs...)
}

func recordRow(p *packer, s *pipeline.Submission) ([]any, error) {
	d := s.DecisionJSON
	if d == nil {
		var err error
		if d, err = json.Marshal(s.Decision); err != nil {
			return nil, err
		}
	}
	hash, err := hashBytes(s.Hash)
	if err != nil {
		return nil, err
	}
	var repl []byte
	if s.Replaces != "" {
		if repl, err = hashBytes(s.Replaces); err != nil {
			return nil, err
		}
	}
	return []any{s.OriginatorID, s.ClaimID, hash, s.Frequency, repl, p.pack(s.Claim), p.pack(d), string(s.Decision.Outcome),
		s.Source.Topic, int32(s.Source.Partition), s.Source.Offset, s.DecidedAt}, nil
}

// Record implements pipeline.Ledger. The pipeline records only what Prior
// did not find, so the batch is first copied (COPY, binary) straight into
// the ledger: one statement, all or nothing. Only when that meets a row
// another instance recorded meanwhile (a unique violation) is the batch
// copied into a temporary table and inserted from there with ON CONFLICT
// DO NOTHING; the rows that returns are the ones inserted.
func (l *Ledger) Record(ctx context.Context, subs []pipeline.Submission) ([]bool, error) {
	rows, err := recordRows(subs)
	if err != nil {
		return nil, fmt.Errorf("ledger record: %w", err)
	}
	_, err = l.pool.CopyFrom(ctx, pgx.Identifier{"decision"}, recordCols, pgx.CopyFromRows(rows))
	if err == nil {
		inserted := make([]bool, len(subs))
		for i := range inserted {
			inserted[i] = true
		}
		return inserted, nil
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" {
		return nil, fmt.Errorf("ledger record: copy: %w", err)
	}
	return l.recordConflicting(ctx, subs, rows)
}

func (l *Ledger) recordConflicting(ctx context.Context, subs []pipeline.Submission, copyRows [][]any) ([]bool, error) {
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger record: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE decision_in (LIKE decision INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
		return nil, fmt.Errorf("ledger record: %w", err)
	}
	if _, err = tx.CopyFrom(ctx, pgx.Identifier{"decision_in"}, recordCols, pgx.CopyFromRows(copyRows)); err != nil {
		return nil, fmt.Errorf("ledger record: copy: %w", err)
	}
	rows, err := tx.Query(ctx, `INSERT INTO decision SELECT * FROM decision_in ON CONFLICT DO NOTHING RETURNING originator_id, claim_id, content_hash`)
	if err != nil {
		return nil, fmt.Errorf("ledger record: %w", err)
	}
	got := map[[3]string]bool{}
	for rows.Next() {
		var k [3]string
		var hash []byte
		if err := rows.Scan(&k[0], &k[1], &hash); err != nil {
			rows.Close()
			return nil, err
		}
		k[2] = hex.EncodeToString(hash)
		got[k] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger record: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("ledger record: %w", err)
	}
	inserted := make([]bool, len(subs))
	for i, s := range subs {
		k := [3]string{s.OriginatorID, s.ClaimID, s.Hash}
		inserted[i] = got[k]
		delete(got, k) // a submission twice in one call is inserted once
	}
	return inserted, nil
}

// MarkPublished implements pipeline.Ledger: it inserts narrow rows into
// decision_published (the first publication time is kept).
func (l *Ledger) MarkPublished(ctx context.Context, subs []pipeline.Submission, at time.Time) error {
	n := len(subs)
	orgs, ids, hashes := make([]string, n), make([]string, n), make([][]byte, n)
	for i, s := range subs {
		h, err := hashBytes(s.Hash)
		if err != nil {
			return fmt.Errorf("ledger mark published: %w", err)
		}
		orgs[i], ids[i], hashes[i] = s.OriginatorID, s.ClaimID, h
	}
	_, err := l.pool.Exec(ctx, `INSERT INTO decision_published
		SELECT o, c, h, $4 FROM unnest($1::text[], $2::text[], $3::bytea[]) AS k(o, c, h) ON CONFLICT DO NOTHING`,
		orgs, ids, hashes, at)
	if err != nil {
		return fmt.Errorf("ledger mark published: %w", err)
	}
	return nil
}

// Filter selects ledger rows for replay.
type Filter struct {
	Outcome    string     // "" for any
	From, To   *time.Time // decided_at range, inclusive
	Originator string
}

// Select returns the submissions matching f, oldest first.
func (l *Ledger) Select(ctx context.Context, f Filter) ([]pipeline.Submission, error) {
	var out []pipeline.Submission
	err := l.Each(ctx, f, func(s pipeline.Submission) error {
		out = append(out, s)
		return nil
	})
	return out, err
}

// Each calls fn with each submission matching f, oldest first, as the rows
// arrive (the ledger is not held in memory); an error from fn stops it.
func (l *Ledger) Each(ctx context.Context, f Filter, fn func(pipeline.Submission) error) error {
	q := `SELECT ` + ledgerCols + ` FROM decision d LEFT JOIN decision_published p USING (originator_id, claim_id, content_hash) WHERE true`
	var args []any
	if f.Outcome != "" {
		args = append(args, f.Outcome)
		q += fmt.Sprintf(" AND d.outcome = $%d", len(args))
	}
	if f.Originator != "" {
		args = append(args, f.Originator)
		q += fmt.Sprintf(" AND d.originator_id = $%d", len(args))
	}
	if f.From != nil {
		args = append(args, *f.From)
		q += fmt.Sprintf(" AND d.decided_at >= $%d", len(args))
	}
	if f.To != nil {
		args = append(args, *f.To)
		q += fmt.Sprintf(" AND d.decided_at <= $%d", len(args))
	}
	rows, err := l.pool.Query(ctx, q+" ORDER BY d.decided_at, d.originator_id, d.claim_id", args...)
	if err != nil {
		return fmt.Errorf("ledger select: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		s, err := scanSubmission(rows.Scan)
		if err != nil {
			return err
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("ledger select: %w", err)
	}
	return nil
}

// Redecide replaces a submission's decision and keeps the old one in the
// history with the reason.
func (l *Ledger) Redecide(ctx context.Context, s pipeline.Submission, d screening.Decision, at time.Time, reason string) error {
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	old, _ := json.Marshal(s.Decision)
	nd, _ := json.Marshal(d)
	hash, err := hashBytes(s.Hash)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO decision_history (originator_id, claim_id, content_hash, old_decision, new_decision, reason)
		VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6)`, s.OriginatorID, s.ClaimID, s.Hash, string(old), string(nd), reason); err != nil {
		return fmt.Errorf("ledger history: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE decision SET decision = $4, outcome = $5, decided_at = $6
		WHERE originator_id = $1 AND claim_id = $2 AND content_hash = $3`, s.OriginatorID, s.ClaimID, hash, pack(nd), string(d.Outcome), at); err != nil {
		return fmt.Errorf("ledger redecide: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM decision_published WHERE originator_id = $1 AND claim_id = $2 AND content_hash = $3`,
		s.OriginatorID, s.ClaimID, hash); err != nil {
		return fmt.Errorf("ledger redecide: %w", err)
	}
	return tx.Commit(ctx)
}
