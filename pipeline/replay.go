package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/claimscreen/claimscreen/internal/screening"
)

// Replayed is what a replay did with one recorded submission.
type Replayed struct {
	Old      Submission
	Decision screening.Decision // the decision with the screener in force
	Changed  bool               // it differs from the recorded one
	// NotRouted says why a changed decision was left unrecorded (its
	// notice topic does not exist); a later replay takes it again.
	NotRouted string
}

// Replay is the decide step for submissions already in the ledger: each
// claim is decoded from its recorded form and screened with the screener in
// force; a changed decision is routed, encoded and recorded in place of
// the old one (which the ledger keeps in the history with reason's text),
// and the returned Batch holds its output, to Publish. With dryRun nothing
// is recorded and the Batch is empty. The ledger must be a Redecider.
func (d *Decider) Replay(ctx context.Context, subs []Submission, dryRun bool, reason func(old, new screening.Decision) string) (*Batch, []Replayed, error) {
	rd, ok := d.ledger.(Redecider)
	if !ok && !dryRun {
		return nil, nil, fmt.Errorf("replay: the ledger cannot replace decisions")
	}
	sc := d.screener.Load()
	now := d.now().Truncate(time.Microsecond)
	b := &Batch{start: d.now()}
	out := make([]Replayed, len(subs))
	for i, old := range subs {
		c, fs, err := d.dec.Decode(old.Claim, old.DecidedAt)
		if err != nil {
			return nil, nil, fmt.Errorf("ledger claim %s: %w", old.Key(), err)
		}
		dec := sc.Screen(screening.Input{Claim: c, Findings: fs})
		out[i] = Replayed{Old: old, Decision: dec, Changed: !bytes.Equal(dec.JSON(), old.Decision.JSON())}
		if !out[i].Changed || dryRun {
			continue
		}
		body, hash := c.Encode()
		sub := old
		sub.Decision, sub.DecisionJSON, sub.DecidedAt, sub.Published = dec, dec.JSON(), now, false
		it := item{state: stateNew, claim: c, body: body, hash: hash, sub: &sub}
		topic, ok, err := d.topicOf(ctx, c.OriginatorID, dec.Outcome)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			out[i].NotRouted = "notice topic " + topic + " does not exist; create it and replay again"
			continue
		}
		it.topic = topic
		items := []item{it}
		if err := d.encode(items); err != nil {
			return nil, nil, err
		}
		if err := d.retry.Do(ctx, "ledger", func() error { return rd.Redecide(ctx, old, dec, now, reason(old.Decision, dec)) }); err != nil {
			return nil, nil, err
		}
		d.obs.Decided(dec.Outcome, &sub.Decision)
		b.items = append(b.items, items[0])
	}
	b.collect(0)
	return b, out, nil
}
