package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/claimscreen/claimscreen/internal/x12"
)

// runX12 is `claimscreen x12 claims FILE...`: the claim.v1 mapping of every
// CLM of every 837 in the files, as NDJSON, for people checking a trading
// partner's files; envelope problems and what the implementation guide
// finds (the 999's IK3/IK4, by segment and code) go to standard error.
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
	claims, problems, findings := 0, 0, 0
	for _, name := range fs.Args() {
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		ics, err := x12.Parse(data)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for _, ic := range ics {
			for _, n := range ic.Notes {
				problems++
				fmt.Fprintf(s.err, "%s: interchange %s: TA1 %s: %s\n", name, ic.Control, n.Code, n.Reason)
			}
			for _, g := range ic.Groups {
				for _, e := range g.Errors {
					problems++
					fmt.Fprintf(s.err, "%s: group %s: AK9 %s: %s\n", name, g.Control, e.Code, e.Reason)
				}
				for _, set := range g.Sets {
					for _, e := range set.Errors {
						problems++
						fmt.Fprintf(s.err, "%s: transaction set %s: IK5 %s: %s\n", name, set.Control, e.Code, e.Reason)
					}
					if set.ID != "837" {
						continue
					}
					if guide, _ := x12.GuideFor(set.Version); guide != nil {
						for _, f := range guide.Validate(set, ic.Separators) {
							findings++
							fmt.Fprintf(s.err, "%s: transaction set %s: %s\n", name, set.Control, f)
						}
					}
					// A file's claims were received when it was made (BHT04/05).
					cs, err := x12.Claims(ic, g, set, time.Time{})
					if err != nil {
						problems++
						fmt.Fprintf(s.err, "%s: transaction set %s: %v\n", name, set.Control, err)
					}
					for _, c := range cs {
						b := c.JSON
						if *originator != "" {
							b = c.WithOriginator(*originator)
						}
						fmt.Fprintf(s.out, "%s\n", b)
						claims++
						for _, p := range c.Problems {
							fmt.Fprintf(s.err, "%s: claim %s: %s\n", name, c.ClaimID, p)
						}
					}
				}
			}
		}
	}
	fmt.Fprintf(s.err, "%d claims, %d envelope problems, %d implementation guide errors\n", claims, problems, findings)
	return nil
}
