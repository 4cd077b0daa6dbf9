package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/claimscreen/claimscreen/internal/postgres"
	"github.com/claimscreen/claimscreen/pipeline"
)

// ledgerRow is one line of `claimscreen ledger`: a submission with its
// claim and decision as JSON (the ledger stores them compressed).
type ledgerRow struct {
	OriginatorID string          `json:"originator_id"`
	ClaimID      string          `json:"claim_id"`
	ContentHash  string          `json:"content_hash"`
	Frequency    string          `json:"frequency"`
	ReplacesHash string          `json:"replaces_hash,omitempty"`
	Outcome      string          `json:"outcome"`
	Source       ledgerSource    `json:"source"`
	DecidedAt    time.Time       `json:"decided_at"`
	PublishedAt  *time.Time      `json:"published_at,omitempty"`
	Claim        json.RawMessage `json:"claim"`
	Decision     any             `json:"decision"`
}

type ledgerSource struct {
	Topic     string `json:"topic"`
	Partition int    `json:"partition"`
	Offset    int64  `json:"offset"`
}

var errLimit = errors.New("limit reached")

// runLedger prints ledger rows as NDJSON, oldest first.
func runLedger(ctx context.Context, args []string, s stdio) error {
	var filter func() (postgres.Filter, error)
	var limit *int
	_, pool, err := dbCommand(ctx, "ledger", args, s, func(fs *flag.FlagSet) {
		filter = filterFlags(fs, "any", "print")
		limit = fs.Int("limit", 0, "print at most this many rows (0: all)")
	})
	if err != nil {
		return err
	}
	defer pool.Close()
	f, err := filter()
	if err != nil {
		return err
	}
	w := bufio.NewWriter(s.out)
	enc := json.NewEncoder(w)
	n := 0
	err = postgres.NewLedger(pool).Each(ctx, f, func(sub pipeline.Submission) error {
		if *limit > 0 && n == *limit {
			return errLimit
		}
		n++
		row := ledgerRow{OriginatorID: sub.OriginatorID, ClaimID: sub.ClaimID, ContentHash: sub.Hash, Frequency: sub.Frequency,
			ReplacesHash: sub.Replaces, Outcome: string(sub.Decision.Outcome), Source: ledgerSource(sub.Source), DecidedAt: sub.DecidedAt,
			Claim: sub.Claim, Decision: sub.Decision}
		if sub.Published {
			row.PublishedAt = &sub.PublishedAt
		}
		return enc.Encode(row)
	})
	if err != nil && !errors.Is(err, errLimit) {
		return err
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}
