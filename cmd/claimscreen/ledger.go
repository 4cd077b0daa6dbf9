package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/claimscreen/claimscreen/internal/postgres"
)

// runLedger prints ledger rows as NDJSON, oldest first (postgres.ExportRow).
func runLedger(ctx context.Context, args []string, s stdio) error {
	var filter func() (postgres.Filter, error)
	var limit *int
	fs, url, err := dbFlags("ledger", args, s, func(fs *flag.FlagSet) {
		filter = filterFlags(fs, "any", "print")
		limit = fs.Int("limit", 0, "print at most this many rows (0: all)")
	})
	if err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: ledger [--outcome O] [--from D] [--to D] [--originator ID] [--limit N]", errUsage)
	}
	f, err := filter()
	if err != nil {
		return err
	}
	pool, err := openDB(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	_, err = postgres.NewLedger(pool).Export(ctx, f, *limit, s.out)
	return err
}

// filterFlags adds the ledger selection flags (--outcome, --from, --to,
// --originator) to fs; the function returned reads them once fs is parsed.
func filterFlags(fs *flag.FlagSet, outcomeDefault, verb string) func() (postgres.Filter, error) {
	outcome := fs.String("outcome", outcomeDefault, verb+" claims with this outcome (accepted, rejected, held, or 'any')")
	from := fs.String("from", "", verb+" claims decided on or after this date (YYYY-MM-DD)")
	to := fs.String("to", "", verb+" claims decided on or before this date (YYYY-MM-DD)")
	originator := fs.String("originator", "", verb+" only this originator's claims")
	return func() (postgres.Filter, error) {
		f, err := postgres.ParseFilter(*outcome, *from, *to, *originator)
		if err != nil {
			return f, fmt.Errorf("%w: %v", errUsage, err)
		}
		return f, nil
	}
}
