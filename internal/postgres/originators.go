package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/claimscreen/claimscreen/internal/originators"
)

// Originators is the originator table (migration 0001): who may submit,
// and where their notices go.
type Originators struct{ pool *pgxpool.Pool }

// NewOriginators returns the originator table on pool.
func NewOriginators(pool *pgxpool.Pool) *Originators { return &Originators{pool: pool} }

// AddOriginator registers (or re-activates) an originator; running
// services are told (NOTIFY) and take it at once.
func (r *Originators) AddOriginator(ctx context.Context, id, topic string) error {
	return change(ctx, r.pool, `INSERT INTO originator (originator_id, notice_topic) VALUES ($1, $2)
		ON CONFLICT (originator_id) DO UPDATE SET notice_topic = excluded.notice_topic, active = true, updated_at = now()`, "", id, topic)
}

// DisableOriginator marks an originator inactive; running services are
// told (NOTIFY).
func (r *Originators) DisableOriginator(ctx context.Context, id string) error {
	return change(ctx, r.pool, `UPDATE originator SET active = false, updated_at = now() WHERE originator_id = $1`,
		fmt.Sprintf("originator %s is not registered", id), id)
}

// Originator is a registered originator.
type Originator struct {
	ID, NoticeTopic string
	Active          bool
}

// List lists every registered originator.
func (r *Originators) List(ctx context.Context) ([]Originator, error) {
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

// Load reads the table as an originators.Table; nil when the table is
// empty (no originator table in use: every valid originator may submit).
func (r *Originators) Load(ctx context.Context) (*originators.Table, error) {
	all, err := r.List(ctx)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	entries := make([]originators.Entry, len(all))
	for i, o := range all {
		entries[i] = originators.Entry{ID: o.ID, NoticeTopic: o.NoticeTopic, Active: o.Active}
	}
	return originators.New(entries)
}
