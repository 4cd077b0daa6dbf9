//go:build chaos

package main

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/gen"
	"github.com/claimscreen/claimscreen/internal/kafkaio"
	"github.com/claimscreen/claimscreen/internal/originators"
	"github.com/claimscreen/claimscreen/internal/postgres"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/internal/x12intake"
	"github.com/claimscreen/claimscreen/pipeline"
	"github.com/claimscreen/claimscreen/pipeline/mem"
)

// An interchange of 20,000 claims on the X12 topic, the instance killed
// with SIGKILL as soon as its claims are in the ledger, then started again:
// every claim decided once and published, the interchange committed, and
// the acknowledgements the second instance writes byte for byte those of a
// run that was never killed (the same message decided in process).
func TestChaosX12Kill(t *testing.T) {
	ctx := context.Background()
	const org, n = "X12-A", 20000
	c := newChaos(t, []string{org})
	if err := postgres.NewOriginators(c.pool).AddOriginator(ctx, originators.Entry{ID: org, Active: true, X12Sender: "ZZ:CLEARING-1"}); err != nil {
		t.Fatal(err)
	}
	values, err := gen.SampleClaims(n, []string{org}, 11)
	if err != nil {
		t.Fatal(err)
	}
	ic := gen.Interchange(values, "000000777")
	sink := c.conn.NewSink(kafkaio.SinkConfig{MaxMessageBytes: 17 << 20})
	defer sink.Close()
	if err := pipeline.Produce.Write(ctx, sink, []pipeline.Output{{Topic: c.topic("x12"), Key: []byte("ic-777"), Value: ic}}); err != nil {
		t.Fatal(err)
	}
	backlog := func() int64 {
		b, err := c.conn.Backlog(ctx, c.topic("x12"), c.prefix+"-group")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	p := c.start()
	c.waitDecided(1, 3*time.Minute)
	p.kill()
	t.Logf("killed at %d decisions, %d interchange(s) uncommitted", c.decided(), backlog())
	p = c.start()
	c.waitDecided(n, 3*time.Minute)
	deadline := time.Now().Add(2 * time.Minute)
	for backlog() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the interchange was never committed")
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.stop(t)
	var rows, published int
	if err := c.pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM decision), (SELECT count(*) FROM decision_published)").Scan(&rows, &published); err != nil {
		t.Fatal(err)
	}
	if rows != n || published != n {
		t.Errorf("ledger: %d rows, %d published; want %d", rows, published, n)
	}

	// What a run that was never killed writes: the same Kafka message,
	// decided in process on the same sample reference data.
	in, err := c.conn.Drain(ctx, c.topic("x12"), 1)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := samples.Screener(nil)
	if err != nil {
		t.Fatal(err)
	}
	var ptr atomic.Pointer[screening.Screener]
	ptr.Store(sc)
	table, err := postgres.NewOriginators(c.pool).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	notices := c.prefix + ".notices." + org
	src, out := mem.NewSource(), mem.NewSink(c.topic("review"), c.topic("held"), c.topic("deadletter"), notices)
	ref := pipeline.New(pipeline.Config{Topics: pipeline.Topics{Review: c.topic("review"), Held: c.topic("held"), DeadLetter: c.topic("deadletter"), NoticeTemplate: c.prefix + ".notices.{originator}"},
		Originators: table, Intakes: map[string]pipeline.Intake{c.topic("x12"): &x12intake.Intake{Partners: table}}},
		src, out, mem.NewLedger(), &ptr, claim.NewDecoder(claim.Limits{}), nil, nil)
	src.Add(in[0])
	batch, _ := src.Fetch(ctx, 1, 0)
	if err := ref.ProcessBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for _, m := range out.Messages(notices) {
		if pipeline.HeaderValue(m.Headers, pipeline.HeaderSchema) != "notice.v1" {
			want[string(m.Key)] = m.Value
		}
	}
	got := map[string][]byte{}
	msgs, err := c.conn.DrainIdle(ctx, notices, 1, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if pipeline.HeaderValue(m.Headers, pipeline.HeaderSchema) != "notice.v1" {
			got[string(m.Key)] = m.Value // the last written
		}
	}
	if len(want) != 2 || len(got) != len(want) {
		t.Fatalf("acknowledgements: %d written, %d expected (999 and 277CA)", len(got), len(want))
	}
	for k, v := range want {
		if !bytes.Equal(got[k], v) {
			t.Errorf("%s differs from a run that was never killed (%d bytes, want %d)", k, len(got[k]), len(v))
		}
	}
}
