package postgres

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/claimscreen/claimscreen/pipeline"
)

// ExportRow is one line of `claimscreen ledger`: a submission with its
// claim and decision as JSON (the ledger stores them compressed).
type ExportRow struct {
	OriginatorID string          `json:"originator_id"`
	ClaimID      string          `json:"claim_id"`
	ContentHash  string          `json:"content_hash"`
	Frequency    string          `json:"frequency"`
	ReplacesHash string          `json:"replaces_hash,omitempty"`
	Outcome      string          `json:"outcome"`
	Source       ExportSource    `json:"source"`
	DecidedAt    time.Time       `json:"decided_at"`
	PublishedAt  *time.Time      `json:"published_at,omitempty"`
	Claim        json.RawMessage `json:"claim"`
	Decision     any             `json:"decision"`
}

// ExportSource is where a submission was read.
type ExportSource struct {
	Topic     string `json:"topic"`
	Partition int    `json:"partition"`
	Offset    int64  `json:"offset"`
}

var errLimit = errors.New("limit reached")

// Export writes the submissions matching f to w as NDJSON ExportRows,
// oldest first, at most limit of them (0: all), and returns how many.
func (l *Ledger) Export(ctx context.Context, f Filter, limit int, w io.Writer) (int, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	n := 0
	err := l.Each(ctx, f, func(sub pipeline.Submission) error {
		if limit > 0 && n == limit {
			return errLimit
		}
		n++
		row := ExportRow{OriginatorID: sub.OriginatorID, ClaimID: sub.ClaimID, ContentHash: sub.Hash, Frequency: sub.Frequency,
			ReplacesHash: sub.Replaces, Outcome: string(sub.Decision.Outcome), Source: ExportSource(sub.Source), DecidedAt: sub.DecidedAt,
			Claim: sub.Claim, Decision: sub.Decision}
		if sub.Published {
			row.PublishedAt = &sub.PublishedAt
		}
		return enc.Encode(row)
	})
	if err != nil && !errors.Is(err, errLimit) {
		return n, err
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("write: %w", err)
	}
	return n, nil
}

// ParseFilter reads a ledger selection as the commands take it: outcome
// accepted, rejected, held or "any"; from and to dates (YYYY-MM-DD, either
// may be empty; to includes the whole day); an originator id, or "".
func ParseFilter(outcome, from, to, originator string) (Filter, error) {
	filter := Filter{Originator: originator}
	switch outcome {
	case "any":
	case "accepted", "rejected", "held":
		filter.Outcome = outcome
	default:
		return filter, fmt.Errorf("--outcome %q: want accepted, rejected, held or any", outcome)
	}
	for _, d := range []struct {
		v   string
		dst **time.Time
		end bool
	}{{from, &filter.From, false}, {to, &filter.To, true}} {
		if d.v == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", d.v)
		if err != nil {
			return filter, fmt.Errorf("date %q: want YYYY-MM-DD", d.v)
		}
		if d.end {
			t = t.Add(24*time.Hour - time.Nanosecond)
		}
		*d.dst = &t
	}
	return filter, nil
}
