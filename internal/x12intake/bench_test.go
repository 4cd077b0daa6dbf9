package x12intake

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/gen"
	"github.com/claimscreen/claimscreen/internal/originators"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/pipeline"
	"github.com/claimscreen/claimscreen/pipeline/mem"
)

// BenchmarkScreen is the whole screen of 5,000 generated claims, in
// process: the pipeline's batch (decide step, memory ledger, outputs
// written to the memory sink, offsets committed) of the claims as one X12
// 837P interchange (parse, guide validation, mapping, 999 and 277CA too)
// and as 5,000 claim.v1 messages. Run with -cpu 1 for a core's figure;
// X12 ÷ ClaimV1 is the service's ratio without the brokers.
func BenchmarkScreen(b *testing.B) {
	const n = 5000
	claims, err := gen.SampleClaims(n, []string{"CLEARING-1"}, 11)
	if err != nil {
		b.Fatal(err)
	}
	sc, err := samples.Screener(nil)
	if err != nil {
		b.Fatal(err)
	}
	var ptr atomic.Pointer[screening.Screener]
	ptr.Store(sc)
	table, err := originators.Parse("partners.csv", strings.NewReader("originator_id,notice_topic,active,x12_sender,x12_group_sender\nCLEARING-1,,true,ZZ:CLEARING-1,\n"))
	if err != nil {
		b.Fatal(err)
	}
	// The interchange's claims are received when the claim.v1 ones say
	// they were: the same decisions either way.
	var first struct {
		ReceivedAt time.Time `json:"received_at"`
	}
	if err := json.Unmarshal(claims[0], &first); err != nil {
		b.Fatal(err)
	}
	at := first.ReceivedAt
	interchange := gen.Interchange(claims, "000000301")
	run := func(b *testing.B, topic string, values [][]byte) {
		size := 0
		for _, v := range values {
			size += len(v)
		}
		b.SetBytes(int64(size))
		b.ReportAllocs()
		ctx := context.Background()
		reviewed := 0
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			src, sink := mem.NewSource(), mem.NewSink("claims.review", "claims.held", "claims.deadletter", "claims.notices.CLEARING-1")
			cfg := pipeline.Config{Intakes: map[string]pipeline.Intake{x12Topic: &Intake{Partners: table}}}
			p := pipeline.New(cfg, src, sink, mem.NewLedger(), &ptr, claim.NewDecoder(claim.Limits{}), nil, nil)
			for j, v := range values {
				src.Add(pipeline.Message{Topic: topic, Offset: int64(j), Value: v, Time: at})
			}
			batch, err := src.Fetch(ctx, len(values), 0)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := p.ProcessBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if got := len(sink.Messages("claims.review")) + len(sink.Messages("claims.held")) + len(sink.Messages("claims.deadletter")) + len(sink.Messages("claims.notices.CLEARING-1")); got < n {
				b.Fatalf("%d outputs for %d claims", got, n)
			}
			reviewed = len(sink.Messages("claims.review"))
			b.StartTimer()
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "claims/s")
		b.ReportMetric(float64(reviewed)/n, "reviewed/claim") // the same in either format
	}
	b.Run("X12", func(b *testing.B) { run(b, x12Topic, [][]byte{interchange}) })
	b.Run("ClaimV1", func(b *testing.B) { run(b, "claims.submitted", claims) })
}
