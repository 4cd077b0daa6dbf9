package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/originators"
	"github.com/claimscreen/claimscreen/internal/refdata"
	"github.com/claimscreen/claimscreen/internal/screenfile"
)

func runScreen(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("screen", flag.ContinueOnError)
	codesets := fs.String("codesets", "", "folder of code-set files (CMS names, .gz and .zip too, generic lists by their header); required")
	xwalk := fs.String("crosswalk", "", "crosswalk chart: a CSV file or a folder of them")
	cfgPath := fs.String("config", "", "configuration file (JSON): rule severities, decoder limits")
	acksDir := fs.String("acks", "", "X12 input: write each functional group's 999 into this folder (INTERCHANGE-GROUP.999)")
	originator := fs.String("originator", "", "X12 input: the originator_id of its claims (default: the interchange's sender id when it is a valid originator id)")
	registry := fs.String("registry", "", "X12 input: the originator table with its trading-partner columns (x12_sender, x12_group_sender); an unknown sender's claims are dead-lettered UNKNOWN_SENDER")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: claimscreen screen --codesets DIR [--crosswalk FILE|DIR] [--config FILE] [FILE...]")
		fmt.Fprintln(fs.Output(), "Reads claim.v1 NDJSON, or X12 837 interchanges (told by their content), from the files or standard input,")
		fmt.Fprintln(fs.Output(), "and writes one decision per input line (per CLM for X12), in order.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, s.err); err != nil {
		return err
	}
	if *codesets == "" {
		return fmt.Errorf("%w: --codesets DIR is required", errUsage)
	}
	if err := checkOriginatorFlag(*originator); err != nil {
		return err
	}
	if *originator != "" && *registry != "" {
		return fmt.Errorf("%w: --originator and --registry exclude each other", errUsage)
	}
	cfg, policy, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	ref, err := refdata.Files(*codesets, *xwalk, policy)(ctx)
	if ref != nil {
		for _, n := range ref.Notes {
			fmt.Fprintln(s.err, "codesets:", n)
		}
	}
	if err != nil {
		return err
	}
	for _, r := range ref.Releases {
		fmt.Fprintln(s.err, "codesets: loaded", r)
	}
	if *xwalk != "" {
		fmt.Fprintf(s.err, "crosswalk: loaded %s (%d rows)\n", ref.Chart.Version, ref.Chart.Len())
	}
	var inputs []screenfile.Input
	if fs.NArg() == 0 {
		inputs = append(inputs, screenfile.Input{Name: "standard input", R: s.in})
	}
	for _, name := range fs.Args() {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		inputs = append(inputs, screenfile.Input{Name: name, R: f})
	}
	var table *originators.Table
	if *registry != "" {
		if table, err = originators.Load(*registry); err != nil {
			return err
		}
	}
	scr := screenfile.New(ref.Screener, claim.NewDecoder(cfg.Limits.Decoder()))
	out := bufio.NewWriterSize(s.out, 64<<10)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	err = scr.Screen(ctx, inputs, screenfile.Options{Identify: screenfile.FileIdentity(*originator, table), AcksDir: *acksDir, Notes: s.err}, enc)
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write decisions: %w", ferr)
	}
	if err != nil {
		return err
	}
	scr.Summary(s.err)
	return nil
}

// checkOriginatorFlag checks an --originator flag: empty, or a valid
// originator id.
func checkOriginatorFlag(id string) error {
	if id != "" && !claim.ValidOriginatorID(id) {
		return fmt.Errorf("%w: --originator %q must match %s", errUsage, id, claim.OriginatorIDPattern)
	}
	return nil
}
