package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/originators"
	"github.com/claimscreen/claimscreen/internal/refdata"
	"github.com/claimscreen/claimscreen/internal/screenfile"
	"github.com/claimscreen/claimscreen/internal/x12"
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
	if *originator != "" && !claim.ValidOriginatorID(*originator) {
		return fmt.Errorf("%w: --originator %q must match %s", errUsage, *originator, claim.OriginatorIDPattern)
	}
	if *originator != "" && *registry != "" {
		return fmt.Errorf("%w: --originator and --registry exclude each other", errUsage)
	}
	identify := func(ic *x12.Interchange, g *x12.Group) (string, bool) {
		switch {
		case *originator != "":
			return *originator, true
		case claim.ValidOriginatorID(ic.Sender):
			return ic.Sender, true
		}
		return "X12-SENDER", true
	}
	if *registry != "" {
		table, err := originators.Load(*registry)
		if err != nil {
			return err
		}
		identify = func(ic *x12.Interchange, g *x12.Group) (string, bool) {
			return table.Sender(ic.SenderQualifier, ic.Sender, g.Sender)
		}
	}
	for _, in := range inputs {
		br := bufio.NewReaderSize(in.r, 64<<10)
		if head, _ := br.Peek(512); x12.Looks(head) {
			if err := screenX12(ctx, scr, in.name, br, identify, *acksDir, enc, s.err); err != nil {
				out.Flush()
				return err
			}
			continue
		}
		if err := scr.Stream(ctx, in.name, br, enc); err != nil {
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

// maxX12 bounds an X12 input read whole.
const maxX12 = 64 << 20

// screenX12 screens one X12 input: every CLM of its 837s, through the same
// decide step; interchange problems go to w.
func screenX12(ctx context.Context, scr *screenfile.Screener, name string, r io.Reader, identify screenfile.Identify, acksDir string, enc *json.Encoder, w io.Writer) error {
	data, err := io.ReadAll(io.LimitReader(r, maxX12+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxX12 {
		return fmt.Errorf("%s: an X12 input of more than %d bytes", name, maxX12)
	}
	acks, notes, err := scr.StreamX12(ctx, name, data, identify, enc)
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
	if err != nil {
		return err
	}
	if acksDir != "" {
		if err := os.MkdirAll(acksDir, 0o755); err != nil {
			return err
		}
		for _, a := range acks {
			if err := os.WriteFile(filepath.Join(acksDir, a.Name), a.Body, 0o644); err != nil {
				return fmt.Errorf("write the acknowledgement: %w", err)
			}
			fmt.Fprintf(w, "%s: wrote %s\n", name, filepath.Join(acksDir, a.Name))
		}
	}
	return nil
}
