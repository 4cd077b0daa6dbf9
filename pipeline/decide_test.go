package pipeline_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/pipeline"
	"github.com/claimscreen/claimscreen/pipeline/mem"
)

// screenerWithout is the sample screener without the releases of one
// system version.
func screenerWithout(t *testing.T, version string) *screening.Screener {
	t.Helper()
	rels, err := samples.Releases()
	if err != nil {
		t.Fatal(err)
	}
	var keep []*codeset.Release
	for _, r := range rels {
		if r.Version != version {
			keep = append(keep, r)
		}
	}
	snap, err := codeset.NewSnapshot(keep)
	if err != nil {
		t.Fatal(err)
	}
	chart, _ := samples.Chart()
	return screening.New(snap, chart, nil)
}

// One message of each kind in one batch: its Result says what became of it.
func TestDecideResults(t *testing.T) {
	sc, _ := samples.Screener(nil)
	var ptr atomic.Pointer[screening.Screener]
	ptr.Store(sc)
	ledger := mem.NewLedger()
	d := pipeline.NewDecider(pipeline.Config{}, ledger, &ptr, claim.NewDecoder(claim.Limits{}), pipeline.EveryTopicExists, nil, nil)
	msgs := sampleMessages()
	good := msgs[0]
	copyOf := good
	copyOf.Offset = 99
	batch := []pipeline.Message{good, {Topic: "claims.submitted", Value: []byte("not json")}, copyOf}
	b, err := d.Decide(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if r := b.Result(0); r.Decision == nil || !r.New {
		t.Errorf("first message: %+v", r)
	}
	if r := b.Result(1); r.Decision != nil || r.Reason != pipeline.ReasonMalformed {
		t.Errorf("not json: %+v", r)
	}
	if r := b.Result(2); r.Decision == nil || r.New || r.Decision.Outcome != b.Result(0).Decision.Outcome {
		t.Errorf("copy in the batch: %+v", r)
	}
	// The first message's decision and the dead letter are published; the
	// copy publishes nothing.
	if len(b.Outputs) != 2 || len(b.Published) != 1 || ledger.Len() != 1 {
		t.Errorf("%d outputs, %d to mark published, %d recorded", len(b.Outputs), len(b.Published), ledger.Len())
	}
	// Redelivered before it was marked published: its own message publishes
	// it again; a later copy does not.
	b2, _ := d.Decide(context.Background(), []pipeline.Message{good, copyOf})
	if len(b2.Outputs) != 1 || b2.Result(0).New || b2.Result(1).New {
		t.Errorf("redelivery: %d outputs", len(b2.Outputs))
	}
}

// Replay through the decide step: a claim held while FY2026 was missing is
// accepted once it is loaded, recorded in place of the held decision and
// published by Publish; a second replay changes nothing.
func TestReplayThroughTheDecideStep(t *testing.T) {
	var ptr atomic.Pointer[screening.Screener]
	ptr.Store(screenerWithout(t, "FY2026"))
	ledger := mem.NewLedger()
	sink := mem.NewSink("claims.review", "claims.held", "claims.deadletter")
	d := pipeline.NewDecider(pipeline.Config{}, ledger, &ptr, claim.NewDecoder(claim.Limits{}), sink, nil, nil)
	msg := sampleMessages()[0] // PCN-1001, dated 2025-11-12: FY2026
	b, err := d.Decide(context.Background(), []pipeline.Message{msg})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Result(0).Decision.Outcome; got != screening.Held {
		t.Fatalf("without FY2026 the claim is %s, want held", got)
	}
	if err := d.Publish(context.Background(), sink, b); err != nil {
		t.Fatal(err)
	}
	full, _ := samples.Screener(nil)
	ptr.Store(full)
	prior, _ := ledger.Prior(context.Background(), []string{"CLINIC-0001/PCN-1001"})
	subs := prior["CLINIC-0001/PCN-1001"]
	var reasons []string
	rb, results, err := d.Replay(context.Background(), subs, false, func(old, new screening.Decision) string {
		reasons = append(reasons, string(old.Outcome)+" -> "+string(new.Outcome))
		return reasons[len(reasons)-1]
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || !results[0].Changed || results[0].Decision.Outcome != screening.Accepted || len(reasons) != 1 {
		t.Fatalf("replay: %+v %v", results, reasons)
	}
	if len(rb.Outputs) != 1 || rb.Outputs[0].Topic != "claims.review" {
		t.Fatalf("replay outputs: %+v", rb.Outputs)
	}
	if err := d.Publish(context.Background(), sink, rb); err != nil {
		t.Fatal(err)
	}
	if n := len(sink.Messages("claims.review")); n != 1 {
		t.Errorf("%d review messages after the replay", n)
	}
	after, _ := ledger.Prior(context.Background(), []string{"CLINIC-0001/PCN-1001"})
	if s := after["CLINIC-0001/PCN-1001"][0]; s.Decision.Outcome != screening.Accepted || !s.Published {
		t.Errorf("ledger after replay: %s published %v", s.Decision.Outcome, s.Published)
	}
	_, again, _ := d.Replay(context.Background(), after["CLINIC-0001/PCN-1001"], false, func(_, _ screening.Decision) string { return "" })
	if again[0].Changed {
		t.Error("a second replay changed the decision again")
	}
}
