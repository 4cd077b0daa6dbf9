package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/claimscreen/claimscreen/internal/postgres"
	"github.com/claimscreen/claimscreen/internal/service"
)

// runReplay re-screens ledger claims with the active releases: by default
// every held claim, or those of a date range, outcome or originator.
func runReplay(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	outcome := fs.String("outcome", "held", "replay claims with this outcome (accepted, rejected, held, or 'any')")
	from := fs.String("from", "", "replay claims decided on or after this date (YYYY-MM-DD)")
	to := fs.String("to", "", "replay claims decided on or before this date (YYYY-MM-DD)")
	originator := fs.String("originator", "", "replay only this originator's claims")
	dry := fs.Bool("dry-run", false, "say what would change, publish nothing")
	cfg, err := loadAdminConfig(fs, args, s)
	if err != nil {
		return err
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
	if cfg.PostgreSQL.URL == "" {
		return fmt.Errorf("%w: set DATABASE_URL (or --database-url)", errUsage)
	}
	return service.Replay(ctx, cfg, filter, *dry, s.out, newLogger(cfg.Log.Level, s.err))
}
