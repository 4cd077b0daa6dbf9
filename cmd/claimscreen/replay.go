package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/kafkaio"
	"github.com/claimscreen/claimscreen/internal/postgres"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/pipeline"
)

// runReplay re-screens ledger claims with the active releases: by default
// every held claim, or those of a date range, outcome or originator. A
// changed decision replaces the recorded one (the old one goes to the
// history with the reason) and is published through the normal routes.
func runReplay(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	outcome := fs.String("outcome", "held", "replay claims with this outcome (accepted, rejected, held, or 'any')")
	from := fs.String("from", "", "replay claims decided on or after this date (YYYY-MM-DD)")
	to := fs.String("to", "", "replay claims decided on or before this date (YYYY-MM-DD)")
	originator := fs.String("originator", "", "replay only this originator's claims")
	dry := fs.Bool("dry-run", false, "say what would change, publish nothing")
	cfg, err := config.LoadService(fs, append([]string{"--codesets", "-"}, args...), s.env)
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	filter := postgres.Filter{Originator: *originator}
	switch *outcome {
	case "any":
	case "accepted", "rejected", "held":
		filter.Outcome = *outcome
	default:
		return fmt.Errorf("%w: --outcome %q: want accepted, rejected, held or any", errUsage, *outcome)
	}
	for _, d := range []struct {
		v   string
		dst **time.Time
		end bool
	}{{*from, &filter.From, false}, {*to, &filter.To, true}} {
		if d.v == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", d.v)
		if err != nil {
			return fmt.Errorf("%w: date %q: want YYYY-MM-DD", errUsage, d.v)
		}
		if d.end {
			t = t.Add(24*time.Hour - time.Nanosecond)
		}
		*d.dst = &t
	}
	log := newLogger(cfg.LogLevel, s.err)
	svc := &service{cfg: cfg, log: log}
	if svc.pool, err = openDB(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	defer svc.pool.Close()
	svc.registry = postgres.NewRegistry(svc.pool)
	if svc.policy, err = ruleFor(cfg); err != nil {
		return err
	}
	sc, _, err := svc.loadReference(ctx)
	if err != nil {
		return err
	}
	ledger := postgres.NewLedger(svc.pool)
	subs, err := ledger.Select(ctx, filter)
	if err != nil {
		return err
	}
	var reg pipeline.Registry
	if o, ok, err := svc.registry.LoadOriginators(ctx); err != nil {
		return err
	} else if ok {
		reg = o
	}
	var sink *kafkaio.Sink
	if !*dry {
		conn, err := kafkaio.NewConn(cfg.Brokers, security(cfg))
		if err != nil {
			return err
		}
		sink = conn.NewSink(kafkaio.SinkConfig{})
		defer sink.Close()
	}
	topics := pipeline.Topics{Review: cfg.ReviewTopic, Held: cfg.HeldTopic, DeadLetter: cfg.DeadLetterTopic, NoticeTemplate: cfg.NoticeTemplate}
	var same, changed int
	counts := map[screening.Outcome]int{}
	for _, sub := range subs {
		c, fs, err := claim.Decode(sub.Claim, sub.DecidedAt)
		if err != nil {
			return fmt.Errorf("ledger claim %s/%s: %w", sub.OriginatorID, sub.ClaimID, err)
		}
		d := sc.Screen(screening.Input{Claim: c, Findings: fs})
		if d.Outcome == sub.Decision.Outcome && jsonEqual(d, sub.Decision) {
			same++
			continue
		}
		changed++
		counts[d.Outcome]++
		reason := fmt.Sprintf("replay with %s: %s -> %s", versions(d.Codesets), sub.Decision.Outcome, d.Outcome)
		fmt.Fprintf(s.out, "%s/%s: %s -> %s\n", sub.OriginatorID, sub.ClaimID, sub.Decision.Outcome, d.Outcome)
		if *dry {
			continue
		}
		now := time.Now().UTC()
		body, _ := c.Encode()
		out, err := pipeline.RouteDecision(topics, reg, c, body, sub.Hash, d, now)
		if err != nil {
			return err
		}
		if err := ledger.Redecide(ctx, sub, d, now, reason); err != nil {
			return err
		}
		if err := sink.Write(ctx, []pipeline.Output{out}); err != nil {
			return fmt.Errorf("publish %s/%s: %w (the new decision is recorded, not yet published; run replay again)", sub.OriginatorID, sub.ClaimID, err)
		}
		sub.Decision = d
		if err := ledger.MarkPublished(ctx, []pipeline.Submission{sub}, time.Now()); err != nil {
			return err
		}
	}
	fmt.Fprintf(s.out, "replayed %d claims: %d unchanged, %d changed (%d accepted, %d rejected, %d held)\n",
		len(subs), same, changed, counts[screening.Accepted], counts[screening.Rejected], counts[screening.Held])
	return nil
}

func jsonEqual(a, b screening.Decision) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func versions(v screening.Versions) string {
	var parts []string
	for _, sv := range v {
		parts = append(parts, sv.System+" "+sv.Version)
	}
	if len(parts) == 0 {
		return "the active releases"
	}
	return strings.Join(parts, ", ")
}
