package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/claimscreen/claimscreen/internal/screenfile"
)

// runX12 is `claimscreen x12 claims FILE...`: the claim.v1 mapping of every
// CLM of every 837 in the files, as NDJSON, for people checking a trading
// partner's files; envelope problems and what the implementation guide
// finds go to standard error (screenfile.InspectX12).
func runX12(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 || args[0] != "claims" {
		return fmt.Errorf("%w: x12 claims [--originator ID] FILE...", errUsage)
	}
	fs := flag.NewFlagSet("x12 claims", flag.ContinueOnError)
	originator := fs.String("originator", "", "originator_id to put on the claims (in the service it comes from the trading-partner table)")
	if err := parseFlags(fs, args[1:], s.err); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%w: name at least one file", errUsage)
	}
	if err := checkOriginatorFlag(*originator); err != nil {
		return err
	}
	var total screenfile.Inspection
	for _, name := range fs.Args() {
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		n, err := screenfile.InspectX12(name, data, *originator, s.out, s.err)
		if err != nil {
			return err
		}
		total.Add(n)
	}
	fmt.Fprintf(s.err, "%d claims, %d envelope problems, %d implementation guide errors\n", total.Claims, total.Problems, total.Findings)
	return nil
}
