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
func (r *Originators) AddOriginator(ctx context.Context, e originators.Entry) error {
	if err := e.Check(); err != nil {
		return err
	}
	return change(ctx, r.pool, `INSERT INTO originator (originator_id, notice_topic, x12_sender, x12_group_sender) VALUES ($1, $2, $3, $4)
		ON CONFLICT (originator_id) DO UPDATE SET notice_topic = excluded.notice_topic, x12_sender = excluded.x12_sender,
			x12_group_sender = excluded.x12_group_sender, active = true, updated_at = now()`, "", e.ID, e.NoticeTopic, e.X12Sender, e.X12GroupSender)
}

// DisableOriginator marks an originator inactive; running services are
// told (NOTIFY).
func (r *Originators) DisableOriginator(ctx context.Context, id string) error {
	return change(ctx, r.pool, `UPDATE originator SET active = false, updated_at = now() WHERE originator_id = $1`,
		fmt.Sprintf("originator %s is not registered", id), id)
}

// Originator is a registered originator.
type Originator struct {
	ID, NoticeTopic           string
	Active                    bool
	X12Sender, X12GroupSender string
}

// List lists every registered originator.
func (r *Originators) List(ctx context.Context) ([]Originator, error) {
	rows, err := r.pool.Query(ctx, `SELECT originator_id, notice_topic, active, x12_sender, x12_group_sender FROM originator ORDER BY originator_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Originator
	for rows.Next() {
		var o Originator
		if err := rows.Scan(&o.ID, &o.NoticeTopic, &o.Active, &o.X12Sender, &o.X12GroupSender); err != nil {
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
		entries[i] = originators.Entry{ID: o.ID, NoticeTopic: o.NoticeTopic, Active: o.Active, X12Sender: o.X12Sender, X12GroupSender: o.X12GroupSender}
	}
	return originators.New(entries)
}
