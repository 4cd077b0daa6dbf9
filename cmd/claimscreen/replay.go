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
	filter := filterFlags(fs, "held", "replay")
	dry := fs.Bool("dry-run", false, "say what would change, publish nothing")
	cfg, err := loadAdminConfig(fs, args, s)
	if err != nil {
		return err
	}
	f, err := filter()
	if err != nil {
		return err
	}
	if cfg.PostgreSQL.URL == "" {
		return fmt.Errorf("%w: set DATABASE_URL (or --database-url)", errUsage)
	}
	return service.Replay(ctx, cfg, f, *dry, s.out, newLogger(cfg.Log.Level, s.err))
}

// filterFlags adds the ledger selection flags (--outcome, --from, --to,
// --originator) to fs; the function returned reads them once fs is parsed.
func filterFlags(fs *flag.FlagSet, outcomeDefault, verb string) func() (postgres.Filter, error) {
	outcome := fs.String("outcome", outcomeDefault, verb+" claims with this outcome (accepted, rejected, held, or 'any')")
	from := fs.String("from", "", verb+" claims decided on or after this date (YYYY-MM-DD)")
	to := fs.String("to", "", verb+" claims decided on or before this date (YYYY-MM-DD)")
	originator := fs.String("originator", "", verb+" only this originator's claims")
	return func() (postgres.Filter, error) {
		filter := postgres.Filter{Originator: *originator}
		switch *outcome {
		case "any":
		case "accepted", "rejected", "held":
			filter.Outcome = *outcome
		default:
			return filter, fmt.Errorf("%w: --outcome %q: want accepted, rejected, held or any", errUsage, *outcome)
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
				return filter, fmt.Errorf("%w: date %q: want YYYY-MM-DD", errUsage, d.v)
			}
			if d.end {
				t = t.Add(24*time.Hour - time.Nanosecond)
			}
			*d.dst = &t
		}
		return filter, nil
	}
}
