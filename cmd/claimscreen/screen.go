package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/refdata"
	"github.com/claimscreen/claimscreen/internal/screenfile"
)

func runScreen(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("screen", flag.ContinueOnError)
	codesets := fs.String("codesets", "", "folder of code-set files (CMS names, .gz and .zip too, generic lists by their header); required")
	xwalk := fs.String("crosswalk", "", "crosswalk chart: a CSV file or a folder of them")
	cfgPath := fs.String("config", "", "configuration file (JSON): rule severities, decoder limits")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: claimscreen screen --codesets DIR [--crosswalk FILE|DIR] [--config FILE] [FILE...]")
		fmt.Fprintln(fs.Output(), "Reads claim.v1 NDJSON from the files, or standard input, and writes one decision per input line, in order.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, s.err); err != nil {
		return err
	}
	if *codesets == "" {
		return fmt.Errorf("%w: --codesets DIR is required", errUsage)
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
	var inputs []namedReader
	if fs.NArg() == 0 {
		inputs = append(inputs, namedReader{"standard input", s.in})
	}
	for _, name := range fs.Args() {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		inputs = append(inputs, namedReader{name, f})
	}
	scr := screenfile.New(ref.Screener, claim.NewDecoder(cfg.Limits.Decoder()))
	out := bufio.NewWriterSize(s.out, 64<<10)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for _, in := range inputs {
		if err := scr.Stream(ctx, in.name, in.r, enc); err != nil {
			out.Flush()
			return err
		}
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("write decisions: %w", err)
	}
	scr.Summary(s.err)
	return nil
}

type namedReader struct {
	name string
	r    io.Reader
}
