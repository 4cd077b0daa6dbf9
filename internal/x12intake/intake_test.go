package x12intake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/originators"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/internal/testenv"
	"github.com/claimscreen/claimscreen/pipeline"
	"github.com/claimscreen/claimscreen/pipeline/mem"
)

const x12Topic = "claims.x12.submitted"

type env struct {
	src    *mem.Source
	sink   *mem.Sink
	ledger *mem.Ledger
	p      *pipeline.Pipeline
}

func newEnv(t *testing.T, partners string) *env {
	t.Helper()
	sc, err := samples.Screener(nil)
	if err != nil {
		t.Fatal(err)
	}
	var ptr atomic.Pointer[screening.Screener]
	ptr.Store(sc)
	table, err := originators.Parse("partners.csv", strings.NewReader("originator_id,notice_topic,active,x12_sender,x12_group_sender\n"+partners))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{src: mem.NewSource(), sink: mem.NewSink("claims.review", "claims.held", "claims.deadletter", "claims.notices.CLINIC-77"), ledger: mem.NewLedger()}
	cfg := pipeline.Config{Intakes: map[string]pipeline.Intake{x12Topic: &Intake{Partners: table}}, RetryMin: time.Millisecond, RetryMax: time.Millisecond}
	e.p = pipeline.New(cfg, e.src, e.sink, e.ledger, &ptr, claim.NewDecoder(claim.Limits{}), nil, nil)
	return e
}

func sample(t *testing.T) []byte {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "internal", "samples", "x12", "837p-sample.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An interchange on the X12 topic: its claims take the decide step (one
// ledger row each, review and notice as for claim.v1), and its 999 and
// 277CA go to the originator's notice topic; a redelivery publishes
// nothing again.
func TestInterchangeThroughThePipeline(t *testing.T) {
	e := newEnv(t, "CLINIC-77,,true,ZZ:CLEARING-1,\n")
	ctx := context.Background()
	m := pipeline.Message{Topic: x12Topic, Partition: 0, Offset: 7, Key: []byte("CLEARING-1"), Value: sample(t), Time: time.Date(2025, 11, 20, 10, 0, 0, 0, time.UTC)}
	e.src.Add(m)
	batch, _ := e.src.Fetch(ctx, 10, 0)
	if err := e.p.ProcessBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	review, notices := e.sink.Messages("claims.review"), e.sink.Messages("claims.notices.CLINIC-77")
	if len(review) != 1 || string(review[0].Key) != "CLINIC-77/X12-2001" || e.ledger.Len() != 2 || e.src.Committed() != 1 {
		t.Fatalf("review %d (%v), ledger %d, committed %d", len(review), review, e.ledger.Len(), e.src.Committed())
	}
	schemas := map[string][]byte{}
	for _, n := range notices {
		schemas[pipeline.HeaderValue(n.Headers, pipeline.HeaderSchema)] = n.Value
		if s := pipeline.HeaderValue(n.Headers, pipeline.HeaderSchema); s != "notice.v1" && pipeline.HeaderValue(n.Headers, pipeline.HeaderContentType) != ContentType {
			t.Errorf("%s: content type %q", s, pipeline.HeaderValue(n.Headers, pipeline.HeaderContentType))
		}
	}
	// The sample's ISA14 is 1, so a TA1 answers the interchange too.
	if len(notices) != 4 || schemas["notice.v1"] == nil || !bytes.Contains(schemas[SchemaTA1], []byte("TA1*000000101*")) || !bytes.Contains(schemas[Schema999], []byte("IK5*A~")) ||
		!bytes.Contains(schemas[Schema277CA], []byte("TRN*2*X12-2002~\nSTC*A7:254*20251120*")) {
		t.Fatalf("notices: %d %v", len(notices), schemas)
	}
	// The claims carry the Kafka timestamp as received_at, and the
	// originator from the trading-partner table.
	if !bytes.Contains(review[0].Value, []byte(`"received_at":"2025-11-20T10:00:00Z"`)) || !bytes.Contains(review[0].Value, []byte(`"originator_id":"CLINIC-77"`)) {
		t.Errorf("review: %s", review[0].Value)
	}
	if got := pipeline.HeaderValue(review[0].Headers, pipeline.HeaderSource); got != "x12:000000101/77/0001/1" {
		t.Errorf("review source header %q", got)
	}
	// Redelivered: answered from the ledger, nothing published again.
	if err := e.p.ProcessBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if len(e.sink.Messages("claims.review")) != 1 || len(e.sink.Messages("claims.notices.CLINIC-77")) != 4 || e.ledger.Len() != 2 {
		t.Errorf("redelivery published again")
	}
}

// An unknown sender's interchange is dead-lettered whole, bytes kept,
// never screened.
func TestUnknownSender(t *testing.T) {
	e := newEnv(t, "CLINIC-77,,true,ZZ:SOMEONE-ELSE,\n")
	ctx := context.Background()
	data := sample(t)
	e.src.Add(pipeline.Message{Topic: x12Topic, Value: data, Time: time.Now()})
	batch, _ := e.src.Fetch(ctx, 10, 0)
	if err := e.p.ProcessBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	dead := e.sink.Messages("claims.deadletter")
	if len(dead) != 1 || pipeline.HeaderValue(dead[0].Headers, pipeline.HeaderReason) != pipeline.ReasonUnknownSender || !bytes.Equal(dead[0].Value, data) || e.ledger.Len() != 0 {
		t.Fatalf("dead letters %d, ledger %d", len(dead), e.ledger.Len())
	}
	// Too large, and not X12 at all.
	for _, tc := range []struct {
		value  []byte
		reason string
	}{{bytes.Repeat([]byte("x"), 100), pipeline.ReasonMalformed}} {
		e.src.Add(pipeline.Message{Topic: x12Topic, Value: tc.value, Time: time.Now()})
		b, _ := e.src.Fetch(ctx, 10, 0)
		e.p.ProcessBatch(ctx, b)
		d := e.sink.Messages("claims.deadletter")
		if got := pipeline.HeaderValue(d[len(d)-1].Headers, pipeline.HeaderReason); got != tc.reason {
			t.Errorf("reason %s, want %s", got, tc.reason)
		}
	}
	small := &Intake{MaxBytes: 10}
	if sp := small.Split(pipeline.Message{Value: data}); sp.Reason != pipeline.ReasonTooLarge {
		t.Errorf("too large: %+v", sp.Reason)
	}
}

// A crash after the claims were recorded but before the acknowledgements
// were written (here the 277CA's write fails until the batch gives up):
// the redelivered interchange writes them, byte for byte as a run that
// never failed, and only then is its offset committed.
func TestAcksAfterAFailedWrite(t *testing.T) {
	clean := newEnv(t, "CLINIC-77,,true,ZZ:CLEARING-1,\n")
	m := pipeline.Message{Topic: x12Topic, Offset: 3, Value: sample(t), Time: time.Date(2025, 11, 20, 10, 0, 0, 0, time.UTC)}
	clean.src.Add(m)
	batch, _ := clean.src.Fetch(context.Background(), 10, 0)
	if err := clean.p.ProcessBatch(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	acksOf := func(e *env) map[string][]byte {
		out := map[string][]byte{}
		for _, n := range e.sink.Messages("claims.notices.CLINIC-77") {
			if s := pipeline.HeaderValue(n.Headers, pipeline.HeaderSchema); s != "notice.v1" {
				out[string(n.Key)] = n.Value
			}
		}
		return out
	}
	want := acksOf(clean)

	e := newEnv(t, "CLINIC-77,,true,ZZ:CLEARING-1,\n")
	e.src.Add(m)
	e.sink.SetFail(func(o pipeline.Output) error {
		if pipeline.HeaderValue(o.Headers, pipeline.HeaderSchema) == Schema277CA {
			return errors.New("broker gone")
		}
		return nil
	})
	batch, _ = e.src.Fetch(context.Background(), 10, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	err := e.p.ProcessBatch(ctx, batch)
	cancel()
	if err == nil || e.src.Committed() != 0 || e.ledger.Len() != 2 {
		t.Fatalf("failed write: err %v, committed %d, ledger %d", err, e.src.Committed(), e.ledger.Len())
	}
	if _, ok := acksOf(e)["CLINIC-77/000000101/277ca-77-0001"]; ok {
		t.Fatal("the 277CA was written though its write failed")
	}
	e.sink.SetFail(nil)
	if err := e.p.ProcessBatch(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	got := acksOf(e)
	if len(got) != len(want) || e.src.Committed() != 1 {
		t.Fatalf("after redelivery: %d acknowledgements (want %d), committed %d", len(got), len(want), e.src.Committed())
	}
	for k, v := range want {
		if !bytes.Equal(got[k], v) {
			t.Errorf("%s differs from the run that never failed", k)
		}
	}
}

// A batch of eight interchanges, split on every core at once: every claim
// decided once, each interchange's acknowledgements in input order.
func TestManyInterchangesInOneBatch(t *testing.T) {
	e := newEnv(t, "CLINIC-77,,true,ZZ:CLEARING-1,\n")
	ctx := context.Background()
	base := sample(t)
	for i := 0; i < 8; i++ {
		ctl := fmt.Sprintf("%09d", 200+i)
		v := bytes.ReplaceAll(base, []byte("000000101"), []byte(ctl))
		v = bytes.ReplaceAll(v, []byte("X12-200"), []byte(fmt.Sprintf("X12-%d0", i)))
		e.src.Add(pipeline.Message{Topic: x12Topic, Offset: int64(i), Value: v, Time: time.Date(2025, 11, 20, 10, 0, 0, 0, time.UTC)})
	}
	batch, _ := e.src.Fetch(ctx, 100, 0)
	if len(batch) != 8 {
		t.Fatalf("%d messages", len(batch))
	}
	if err := e.p.ProcessBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if e.ledger.Len() != 16 || e.src.Committed() != 8 {
		t.Fatalf("ledger %d, committed %d", e.ledger.Len(), e.src.Committed())
	}
	var order []string
	for _, n := range e.sink.Messages("claims.notices.CLINIC-77") {
		if pipeline.HeaderValue(n.Headers, pipeline.HeaderSchema) == Schema999 {
			order = append(order, string(n.Key))
		}
	}
	want := []string{}
	for i := 0; i < 8; i++ {
		want = append(want, fmt.Sprintf("CLINIC-77/%09d/999-77", 200+i))
	}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("999s in the order %v, want %v", order, want)
	}
}

// Direct trust, with the real intake: an interchange whose ISA sender is
// CLINIC-77's, read from OTHER-1's own X12 topic, is dead-lettered whole
// ORIGINATOR_MISMATCH, nothing recorded and nothing acknowledged to
// either; on CLINIC-77's own topic it is taken.
func TestInterchangeOnAnotherOriginatorsTopic(t *testing.T) {
	sc, err := samples.Screener(nil)
	if err != nil {
		t.Fatal(err)
	}
	var ptr atomic.Pointer[screening.Screener]
	ptr.Store(sc)
	table, err := originators.Parse("partners.csv", strings.NewReader("originator_id,notice_topic,active,x12_sender,x12_group_sender\n"+
		"CLINIC-77,,true,ZZ:CLEARING-1,\nOTHER-1,,true,ZZ:OTHER-1,\n"))
	if err != nil {
		t.Fatal(err)
	}
	topics := pipeline.DefaultTopics
	topics.Owned = []string{"claims.submitted.{originator}", "claims.x12.submitted.{originator}"}
	sink := mem.NewSink("claims.review", "claims.held", "claims.deadletter", "claims.notices.CLINIC-77", "claims.notices.OTHER-1")
	src, ledger := mem.NewSource(), mem.NewLedger()
	cfg := pipeline.Config{Topics: topics, Originators: table, Intakes: map[string]pipeline.Intake{"claims.x12.submitted.{originator}": &Intake{Partners: table}}}
	p := pipeline.New(cfg, src, sink, ledger, &ptr, claim.NewDecoder(claim.Limits{}), nil, nil)
	ctx := context.Background()
	data := sample(t)
	src.Add(pipeline.Message{Topic: "claims.x12.submitted.OTHER-1", Value: data, Time: time.Now()})
	batch, _ := src.Fetch(ctx, 10, 0)
	if err := p.ProcessBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	dead := sink.Messages("claims.deadletter")
	if len(dead) != 1 || pipeline.HeaderValue(dead[0].Headers, pipeline.HeaderReason) != pipeline.ReasonOriginatorMismatch || ledger.Len() != 0 ||
		len(sink.Messages("claims.notices.CLINIC-77"))+len(sink.Messages("claims.notices.OTHER-1")) != 0 {
		t.Fatalf("on OTHER-1's topic: %d dead letters, ledger %d", len(dead), ledger.Len())
	}
	src.Add(pipeline.Message{Topic: "claims.x12.submitted.CLINIC-77", Value: data, Time: time.Now(), Offset: 1})
	batch, _ = src.Fetch(ctx, 10, 0)
	if err := p.ProcessBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if ledger.Len() == 0 || len(sink.Messages("claims.notices.CLINIC-77")) == 0 {
		t.Errorf("on CLINIC-77's own topic: ledger %d, notices %d", ledger.Len(), len(sink.Messages("claims.notices.CLINIC-77")))
	}
}
