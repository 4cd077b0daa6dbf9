package pipeline_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/pipeline"
	"github.com/claimscreen/claimscreen/pipeline/mem"
)

func TestOwnerOf(t *testing.T) {
	tp := pipeline.DefaultTopics
	tp.Owned = []string{"claims.submitted.{originator}", "claims.x12.submitted.{originator}", "in.{originator}.v1", "in.{originator}"}
	for topic, want := range map[string]string{
		"in.A.v1.x": "A.v1.x", "in.A": "A",
		"claims.submitted.LAB-0042": "LAB-0042", "claims.x12.submitted.CLEARING-1": "CLEARING-1", "in.A.B.v1": "A.B",
		"claims.submitted": "", "claims.submitted.": "", "in.": "", "claims.submitted.a b": "", "other.LAB-0042": "",
	} {
		got, ok := tp.OwnerOf(topic)
		if got != want || ok != (want != "") {
			t.Errorf("OwnerOf(%q) = %q, %v; want %q", topic, got, ok, want)
		}
	}
	if got := tp.OwnTopics("B"); strings.Join(got, ",") != "claims.submitted.B,claims.x12.submitted.B,in.B.v1,in.B" {
		t.Errorf("OwnTopics: %v", got)
	}
	if _, ok := pipeline.DefaultTopics.OwnerOf("claims.submitted.LAB-0042"); ok {
		t.Error("gateway trust: no topic is an originator's own")
	}
}

// splitAs is an intake whose every message is originator's (as the X12
// intake says once the trading-partner table names the sender).
type splitAs struct{ originator string }

func (s splitAs) Split(m pipeline.Message) pipeline.Split {
	return pipeline.Split{Claims: []pipeline.Message{m}, Originator: s.originator,
		Acks: func([]pipeline.Result) []pipeline.Ack {
			return []pipeline.Ack{{Schema: "x12-999", Value: []byte("ack")}}
		}}
}

// Direct trust: on B's own topic only B's claims are taken. A claim naming
// A there, a void of A's claim sent there, and an interchange whose sender
// is A are dead-lettered ORIGINATOR_MISMATCH before the ledger is asked:
// nothing is recorded, voided or acknowledged to A. A's own void works.
func TestOriginatorMismatch(t *testing.T) {
	sc, _ := samples.Screener(nil)
	var ptr atomic.Pointer[screening.Screener]
	ptr.Store(sc)
	ledger := mem.NewLedger()
	tp := pipeline.DefaultTopics
	tp.Owned = []string{"claims.submitted.{originator}", "claims.x12.submitted.{originator}"}
	d := pipeline.NewDecider(pipeline.Config{Topics: tp, Intakes: map[string]pipeline.Intake{"claims.x12.submitted.B": splitAs{"A"}}},
		ledger, &ptr, claim.NewDecoder(claim.Limits{}), pipeline.EveryTopicExists, nil, nil)
	ctx := context.Background()
	good := sampleMessages()[0]
	c, _, err := claim.NewDecoder(claim.Limits{}).Decode(good.Value, good.Time)
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.OriginatorID, "B"
	onTopic := func(topic string, value []byte, off int64) pipeline.Message {
		m := good
		m.Topic, m.Value, m.Offset = topic, value, off
		return m
	}
	void := []byte(strings.Replace(string(good.Value), `"frequency":"1"`, `"frequency":"8"`, 1))

	// A's claim on A's own topic is taken and recorded.
	res, err := d.Decide(ctx, []pipeline.Message{onTopic("claims.submitted."+a, good.Value, 1)})
	if err != nil || res.Result(0).Decision == nil || ledger.Len() != 1 {
		t.Fatalf("A's own claim: %+v %v, ledger %d", res.Result(0), err, ledger.Len())
	}
	// On B's topic: the claim naming A, A's void, and A's interchange.
	res, err = d.Decide(ctx, []pipeline.Message{
		onTopic("claims.submitted."+b, good.Value, 2), onTopic("claims.submitted."+b, void, 3), onTopic("claims.x12.submitted."+b, good.Value, 4)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if r := res.Result(i); r.Reason != pipeline.ReasonOriginatorMismatch || !strings.Contains(r.Detail, "originator B's own topic") {
			t.Errorf("message %d on B's topic: %+v", i, r)
		}
	}
	for _, o := range res.Outputs {
		if o.Topic != tp.DeadLetter {
			t.Errorf("an output went to %s", o.Topic)
		}
	}
	if len(res.Outputs) != 3 || ledger.Len() != 1 {
		t.Errorf("%d outputs, ledger %d: B's messages must only be dead-lettered", len(res.Outputs), ledger.Len())
	}
	// A's own void, on A's topic, is taken.
	res, err = d.Decide(ctx, []pipeline.Message{onTopic("claims.submitted."+a, void, 5)})
	if err != nil || res.Result(0).Decision == nil || !res.Result(0).New || ledger.Len() != 2 {
		t.Errorf("A's void: %+v %v, ledger %d", res.Result(0), err, ledger.Len())
	}
}
