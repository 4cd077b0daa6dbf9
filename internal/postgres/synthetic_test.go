package postgres

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/gen"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/pipeline"
	"github.com/claimscreen/claimscreen/pipeline/mem"
)

// capture is a memory ledger that keeps what it was asked to record.
type capture struct {
	*mem.Ledger
	subs []pipeline.Submission
}

func (c *capture) Record(ctx context.Context, subs []pipeline.Submission) ([]bool, error) {
	c.subs = append(c.subs, subs...)
	return c.Ledger.Record(ctx, subs)
}

// syntheticSubmissions decides n generated claims on the sample reference
// data and returns the submissions the pipeline would record.
func syntheticSubmissions(t testing.TB, n int, seed uint64) []pipeline.Submission {
	t.Helper()
	msgs, err := gen.SampleClaims(n, []string{"ORG-A", "ORG-B", "CLEARING-1"}, seed)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := samples.Screener(nil)
	if err != nil {
		t.Fatal(err)
	}
	var ptr atomic.Pointer[screening.Screener]
	ptr.Store(sc)
	led := &capture{Ledger: mem.NewLedger()}
	d := pipeline.NewDecider(pipeline.Config{}, led, &ptr, claim.NewDecoder(claim.Limits{}), pipeline.EveryTopicExists, nil, nil)
	for i := 0; i < len(msgs); i += 500 {
		var batch []pipeline.Message
		for j, m := range msgs[i:min(i+500, len(msgs))] {
			batch = append(batch, pipeline.Message{Topic: "claims.submitted", Partition: 0, Offset: int64(i + j), Value: m})
		}
		if _, err := d.Decide(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	return led.subs
}

// syntheticValues are the ledger values of syntheticSubmissions: each
// claim's canonical bytes and its decision's JSON.
func syntheticValues(t testing.TB, n int, seed uint64) (claims, decisions [][]byte) {
	for _, s := range syntheticSubmissions(t, n, seed) {
		dj := s.DecisionJSON
		if dj == nil {
			dj, _ = json.Marshal(s.Decision)
		}
		claims, decisions = append(claims, s.Claim), append(decisions, dj)
	}
	return claims, decisions
}
