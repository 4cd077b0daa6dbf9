package main

import (
	"context"
	"flag"

	"github.com/claimscreen/claimscreen/internal/service"
)

// runReplay re-screens ledger claims with the active releases: by default
// every held claim, or those of a date range, outcome or originator.
func runReplay(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	filter := filterFlags(fs, "held", "replay")
	dry := fs.Bool("dry-run", false, "say what would change, publish nothing")
	cfg, err := loadAdminConfig(fs, args, s, nil)
	if err != nil {
		return err
	}
	f, err := filter()
	if err != nil {
		return err
	}
	if err := needDB(cfg.PostgreSQL.URL); err != nil {
		return err
	}
	return service.Replay(ctx, cfg, f, *dry, s.out, service.NewLogger(cfg.Log.Level, s.err))
}
