package service

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/refdata"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/pipeline"
)

// The demo's sample claims reach every outcome: these are the counts the
// output topics must reach.
var demoOriginators = []string{"CLINIC-0001", "CLINIC-0002", "CLINIC-0003", "HOSP-7", "LAB-0042"}

// Demo is `claimscreen demo`: it starts the service on cfg (the embedded
// broker, the in-memory ledger) with the sample code sets and chart,
// produces the sample claims, reads every output topic back, prints a
// summary and a few notices on w, and stops.
func Demo(ctx context.Context, cfg *config.Serve, log *zap.Logger, w io.Writer) error {
	ref, err := refdata.Samples(nil)(ctx)
	if err != nil {
		return err
	}
	svc, err := Start(ctx, cfg, ref, log)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	fmt.Fprintf(w, "claimscreen demo: embedded Kafka broker on %s, in-memory ledger, sample code sets and chart\n\n", svc.Brokers()[0])
	topics := cfg.Topics.Pipeline()
	noticeTopic := map[string]string{} // originator -> its notice topic, by the configured template
	var noticeTopics []string
	for _, id := range demoOriginators {
		noticeTopic[id] = topics.NoticeTopic(id)
		noticeTopics = append(noticeTopics, noticeTopic[id])
	}
	if _, err := svc.Conn().CreateTopics(ctx, noticeTopics, 3, 1); err != nil {
		svc.Close()
		return err
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()
	finish := sync.OnceValue(func() error {
		stop()
		return <-done
	})
	defer finish()

	var in []pipeline.Output
	sc2 := bufio.NewScanner(bytes.NewReader(samples.Claims))
	for sc2.Scan() {
		line := append([]byte(nil), sc2.Bytes()...)
		key := ""
		var head struct {
			ClaimID      string `json:"claim_id"`
			OriginatorID string `json:"originator_id"`
		}
		if json.Unmarshal(line, &head) == nil {
			key = head.OriginatorID + "/" + head.ClaimID
		}
		in = append(in, pipeline.Output{Topic: cfg.Topics.Input, Key: []byte(key), Value: line})
	}
	if err := svc.Sink().Write(ctx, in); err != nil {
		return fmt.Errorf("produce sample claims: %w", err)
	}
	fmt.Fprintf(w, "produced %d sample claim.v1 messages to %s\n\n", len(in), cfg.Topics.Input)

	// 16 lines: 6 accepted (one an exact resubmission, published once),
	// 7 rejected, 1 held, 2 dead letters.
	want := map[string]int{cfg.Topics.Review: 5, cfg.Topics.Held: 1, cfg.Topics.DeadLetter: 2}
	got := map[string][]pipeline.Message{}
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for topic, n := range want {
		msgs, err := svc.Conn().Drain(rctx, topic, n)
		if err != nil {
			return fmt.Errorf("read %s: got %d of %d: %w", topic, len(msgs), n, err)
		}
		got[topic] = msgs
	}
	notices := 0
	for _, id := range demoOriginators {
		t := noticeTopic[id]
		n := map[string]int{"CLINIC-0001": 1, "CLINIC-0002": 2, "CLINIC-0003": 2, "LAB-0042": 2}[id]
		if n == 0 {
			continue
		}
		msgs, err := svc.Conn().Drain(rctx, t, n)
		if err != nil {
			return fmt.Errorf("read %s: %w", t, err)
		}
		got[t] = msgs
		notices += len(msgs)
	}

	fmt.Fprintln(w, "what came out:")
	fmt.Fprintf(w, "  %-32s %3d  accepted, pre-screened for adjusters (review.v1)\n", cfg.Topics.Review, len(got[cfg.Topics.Review]))
	fmt.Fprintf(w, "  %-32s %3d  rejected, one notice topic per originator (notice.v1)\n", topics.NoticeTopic("<originator>"), notices)
	fmt.Fprintf(w, "  %-32s %3d  held: a code set for the date is not loaded\n", cfg.Topics.Held, len(got[cfg.Topics.Held]))
	fmt.Fprintf(w, "  %-32s %3d  cannot be answered, bytes kept\n\n", cfg.Topics.DeadLetter, len(got[cfg.Topics.DeadLetter]))

	fmt.Fprintln(w, "accepted claims:")
	for _, m := range got[cfg.Topics.Review] {
		var r struct {
			Decision struct {
				Findings []struct{ Rule, Message string }
				Internal []struct{ Code, Internal string } `json:"internal_codes"`
			}
		}
		json.Unmarshal(m.Value, &r)
		var codes []string
		for _, ic := range r.Decision.Internal {
			codes = append(codes, ic.Code+"→"+ic.Internal)
		}
		flags := ""
		for _, f := range r.Decision.Findings {
			flags += " [flag " + f.Rule + "]"
		}
		fmt.Fprintf(w, "  %-24s %s%s\n", m.Key, strings.Join(codes, " "), flags)
	}
	fmt.Fprintln(w)
	for _, m := range got[cfg.Topics.Held] {
		var r struct {
			HoldReason string `json:"hold_reason"`
		}
		json.Unmarshal(m.Value, &r)
		fmt.Fprintf(w, "held: %s — %s\n\n", m.Key, r.HoldReason)
	}
	fmt.Fprintln(w, "dead letters:")
	for _, m := range got[cfg.Topics.DeadLetter] {
		h := map[string]string{}
		for _, x := range m.Headers {
			h[x.Key] = string(x.Value)
		}
		fmt.Fprintf(w, "  %s at %s[%s]@%s: %s (%d bytes kept)\n", h[pipeline.HeaderReason], h[pipeline.HeaderSrcTopic], h[pipeline.HeaderSrcPart], h[pipeline.HeaderSrcOffset], h[pipeline.HeaderDetail], len(m.Value))
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "rejected claims (rules of each notice):")
	for _, t := range noticeTopics {
		for _, m := range got[t] {
			var n struct{ Findings []struct{ Rule string } }
			json.Unmarshal(m.Value, &n)
			var rules []string
			for _, f := range n.Findings {
				rules = append(rules, f.Rule)
			}
			fmt.Fprintf(w, "  %-24s %s\n", m.Key, strings.Join(rules, " "))
		}
	}
	fmt.Fprintln(w)

	shown := 0
	var ts []string
	for _, t := range noticeTopics {
		if len(got[t]) > 0 {
			ts = append(ts, t)
		}
	}
	sort.Strings(ts)
	for _, t := range ts {
		for _, m := range got[t] {
			if shown == 2 {
				break
			}
			var pretty bytes.Buffer
			json.Indent(&pretty, m.Value, "  ", "  ")
			fmt.Fprintf(w, "notice on %s (key %s):\n  %s\n\n", t, m.Key, pretty.String())
			shown++
		}
	}
	if err := finish(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	fmt.Fprintln(w, "demo done: every sample claim reached its topic.")
	return nil
}
