package pipeline_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/pipeline"
	"github.com/claimscreen/claimscreen/pipeline/mem"
)

type env struct {
	src    *mem.Source
	sink   *mem.Sink
	ledger *mem.Ledger
	p      *pipeline.Pipeline
}

var sampleNoticeTopics = []string{"claims.notices.CLINIC-0001", "claims.notices.CLINIC-0002", "claims.notices.LAB-0042", "claims.notices.CLINIC-0003", "claims.notices.HOSP-7"}

func newEnv(t *testing.T, cfg pipeline.Config) *env {
	t.Helper()
	sc, err := samples.Screener(nil)
	if err != nil {
		t.Fatal(err)
	}
	var ptr atomic.Pointer[screening.Screener]
	ptr.Store(sc)
	e := &env{src: mem.NewSource(), sink: mem.NewSink(append([]string{"claims.review", "claims.held", "claims.deadletter"}, sampleNoticeTopics...)...), ledger: mem.NewLedger()}
	cfg.RetryMin, cfg.RetryMax = time.Millisecond, 5*time.Millisecond
	e.p = pipeline.New(cfg, e.src, e.sink, e.ledger, &ptr, claim.NewDecoder(claim.Limits{}), nil, nil)
	return e
}

func sampleMessages() []pipeline.Message {
	var out []pipeline.Message
	s := bufio.NewScanner(bytes.NewReader(samples.Claims))
	for s.Scan() {
		out = append(out, pipeline.Message{Topic: "claims.submitted", Partition: 0, Key: []byte("k"), Value: append([]byte(nil), s.Bytes()...), Time: time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC)})
	}
	return out
}

func header(o pipeline.Output, k string) string { return pipeline.HeaderValue(o.Headers, k) }

func TestRouting(t *testing.T) {
	e := newEnv(t, pipeline.Config{})
	msgs := sampleMessages()
	e.src.Add(msgs...)
	batch, _ := e.src.Fetch(context.Background(), 100, 0)
	if err := e.p.ProcessBatch(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	review, held, dead := e.sink.Messages("claims.review"), e.sink.Messages("claims.held"), e.sink.Messages("claims.deadletter")
	// 6 accepted (one of them the exact resubmission, not sent twice), 7
	// rejected, 1 held, 2 dead letters.
	if len(review) != 5 || len(held) != 1 || len(dead) != 2 {
		t.Fatalf("review %d held %d dead %d", len(review), len(held), len(dead))
	}
	notices := 0
	for _, tpc := range sampleNoticeTopics {
		for _, o := range e.sink.Messages(tpc) {
			notices++
			var n map[string]any
			json.Unmarshal(o.Value, &n)
			if n["schema"] != "notice.v1" || n["outcome"] != "rejected" || "claims.notices."+n["originator_id"].(string) != tpc ||
				string(o.Key) != n["originator_id"].(string)+"/"+n["claim_id"].(string) || header(o, "schema") != "notice.v1" || header(o, "decision-id") != n["notice_id"] {
				t.Errorf("notice on %s: %s %+v", tpc, o.Value, o.Headers)
			}
		}
	}
	if notices != 7 {
		t.Errorf("%d notices, want 7", notices)
	}
	for _, o := range dead {
		if header(o, pipeline.HeaderReason) != "MALFORMED" || header(o, pipeline.HeaderSrcTopic) != "claims.submitted" || header(o, pipeline.HeaderSrcOffset) == "" || string(o.Key) != "k" {
			t.Errorf("dead letter headers %+v", o.Headers)
		}
		found := false
		for _, m := range msgs {
			if bytes.Equal(m.Value, o.Value) {
				found = true
			}
		}
		if !found {
			t.Errorf("dead letter bytes changed: %q", o.Value)
		}
	}
	var r map[string]any
	json.Unmarshal(review[0].Value, &r)
	if r["schema"] != "review.v1" || r["claim"] == nil || r["decision"].(map[string]any)["outcome"] != "accepted" || string(review[0].Key) != "CLINIC-0001/PCN-1001" {
		t.Errorf("review: %s", review[0].Value)
	}
	if e.src.Committed() != len(msgs) || e.ledger.Len() != 13 {
		t.Errorf("committed %d, ledger %d", e.src.Committed(), e.ledger.Len())
	}
}

func TestRedeliveryPublishesNothingTwice(t *testing.T) {
	e := newEnv(t, pipeline.Config{})
	e.src.Add(sampleMessages()...)
	ctx := context.Background()
	b, _ := e.src.Fetch(ctx, 100, 0)
	e.p.ProcessBatch(ctx, b)
	before := len(e.sink.Messages("claims.review"))
	// The same batch again, as after a crash before the commit.
	if err := e.p.ProcessBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	if len(e.sink.Messages("claims.review")) != before || e.ledger.Len() != 13 {
		t.Errorf("redelivery published again: review %d→%d, ledger %d", before, len(e.sink.Messages("claims.review")), e.ledger.Len())
	}
	// Dead letters carry no decision: they are dead-lettered again.
	if n := len(e.sink.Messages("claims.deadletter")); n != 4 {
		t.Errorf("dead letters %d", n)
	}
}

func TestWriteFailureCommitsNothing(t *testing.T) {
	e := newEnv(t, pipeline.Config{})
	e.src.Add(sampleMessages()...)
	ctx := context.Background()
	b, _ := e.src.Fetch(ctx, 100, 0)
	// Every notice fails until the broker "recovers".
	var recovered atomic.Bool
	e.sink.SetFail(func(o pipeline.Output) error {
		if !recovered.Load() && header(o, "schema") == "notice.v1" {
			return errors.New("broker unavailable")
		}
		return nil
	})
	bctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	err := e.p.ProcessBatch(bctx, b)
	cancel()
	if err == nil || e.src.Committed() != 0 {
		t.Fatalf("err %v, committed %d", err, e.src.Committed())
	}
	// The review messages went out; the notices did not.
	if len(e.sink.Messages("claims.review")) != 5 || len(e.sink.Messages("claims.notices.LAB-0042")) != 0 {
		t.Fatal("partial write not as expected")
	}
	// After recovery, the redelivered batch delivers every claim, and
	// what was written is not written twice.
	recovered.Store(true)
	if err := e.p.ProcessBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	if e.src.Committed() != len(b) || len(e.sink.Messages("claims.notices.LAB-0042")) != 2 {
		t.Errorf("committed %d, LAB-0042 notices %d", e.src.Committed(), len(e.sink.Messages("claims.notices.LAB-0042")))
	}
	if got := len(e.sink.Messages("claims.review")); got != 10 {
		// The reviews were written, then the batch failed before the
		// ledger marked them published: they are the duplicate window.
		t.Errorf("reviews %d: want 5 + 5 republished in the window", got)
	}
}

func TestLedgerOutageRetries(t *testing.T) {
	e := newEnv(t, pipeline.Config{})
	e.src.Add(sampleMessages()[:3]...)
	e.ledger.SetFail(errors.New("database down"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.p.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for e.src.Committed() == 0 && time.Now().Before(deadline) {
		if len(e.sink.Messages("claims.review")) > 0 {
			t.Fatal("published while the ledger was down")
		}
		time.Sleep(5 * time.Millisecond)
		e.ledger.SetFail(nil)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if e.src.Committed() != 3 || e.ledger.Len() != 3 {
		t.Errorf("committed %d ledger %d", e.src.Committed(), e.ledger.Len())
	}
}

func TestOriginatorsAndMissingNoticeTopic(t *testing.T) {
	reg := staticOriginators{"LAB-0042": "", "CLINIC-0001": "notices.clinic-one"}
	e := newEnv(t, pipeline.Config{Originators: reg})
	e.src.Add(sampleMessages()...)
	ctx := context.Background()
	b, _ := e.src.Fetch(ctx, 100, 0)
	if err := e.p.ProcessBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	reasons := map[string]int{}
	for _, o := range e.sink.Messages("claims.deadletter") {
		reasons[header(o, pipeline.HeaderReason)]++
	}
	// CLINIC-0002 (two claims), CLINIC-0003 (two) and HOSP-7 are not
	// registered; CLINIC-0001's registered topic does not exist.
	if reasons[pipeline.ReasonUnknownOriginator] != 5 || reasons[pipeline.ReasonNoticeTopicMissing] != 1 || reasons["MALFORMED"] != 2 {
		t.Errorf("reasons %v", reasons)
	}
	if len(e.sink.Messages("claims.notices.CLINIC-0001")) != 0 {
		t.Error("a notice went to the template topic instead of the registered one")
	}
}

type staticOriginators map[string]string

func (r staticOriginators) Lookup(id string) (string, bool) { t, ok := r[id]; return t, ok }
func (r staticOriginators) Active() map[string]string       { return r }

func TestShutdownFinishesBatch(t *testing.T) {
	e := newEnv(t, pipeline.Config{BatchSize: 1000})
	msgs := sampleMessages()
	e.src.Add(msgs...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.p.Run(ctx) }()
	for e.src.Committed() < len(msgs) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// TestCopiesInOneBatch: copies of one submission in a batch get one
// decision and one output; when that output cannot be routed (no notice
// topic), every copy is dead-lettered, none is lost.
func TestCopiesInOneBatch(t *testing.T) {
	e := newEnv(t, pipeline.Config{})
	ok := sampleMessages()[0].Value // accepted, CLINIC-0001
	bad := bytes.Replace(ok, []byte(`"diagnoses":[{"code":"E11.9"`), []byte(`"diagnoses":[{"code":"Q99.99"`), 1)
	bad = bytes.Replace(bad, []byte(`"CLINIC-0001"`), []byte(`"NO-TOPIC-1"`), 1)
	if bytes.Equal(bad, ok) {
		t.Fatal("the test claim did not change")
	}
	var msgs []pipeline.Message
	for _, v := range [][]byte{ok, ok, bad, ok, bad} {
		msgs = append(msgs, pipeline.Message{Topic: "claims.submitted", Key: []byte("k"), Value: v, Time: time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC)})
	}
	e.src.Add(msgs...)
	batch, _ := e.src.Fetch(context.Background(), 10, 0)
	if err := e.p.ProcessBatch(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if n := len(e.sink.Messages("claims.review")); n != 1 {
		t.Errorf("%d review messages for three copies, want 1", n)
	}
	dead := e.sink.Messages("claims.deadletter")
	if len(dead) != 2 {
		t.Fatalf("%d dead letters, want both copies of the unroutable rejection", len(dead))
	}
	for _, d := range dead {
		if header(d, pipeline.HeaderReason) != pipeline.ReasonNoticeTopicMissing || !bytes.Equal(d.Value, bad) {
			t.Errorf("dead letter %s: %s", header(d, pipeline.HeaderReason), d.Value)
		}
	}
}
