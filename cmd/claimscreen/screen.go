package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/crosswalk"
	"github.com/claimscreen/claimscreen/internal/rule"
	"github.com/claimscreen/claimscreen/internal/screening"
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
	sc, err := loadScreener(*codesets, *xwalk, policy, s.err)
	if err != nil {
		return err
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
	scr := newFileScreener(sc, claim.NewDecoder(cfg.Limits.Decoder()))
	out := bufio.NewWriterSize(s.out, 64<<10)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for _, in := range inputs {
		if err := scr.screenStream(ctx, in, enc); err != nil {
			out.Flush()
			return err
		}
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("write decisions: %w", err)
	}
	scr.summary(s.err)
	return nil
}

type namedReader struct {
	name string
	r    io.Reader
}

// loadScreener loads the code sets and the chart, and says what it loaded
// on w.
func loadScreener(dir, xwalk string, policy *rule.Policy, w io.Writer) (*screening.Screener, error) {
	rels, notes, err := codeset.LoadDir(dir)
	for _, n := range notes {
		fmt.Fprintln(w, "codesets:", n)
	}
	if err != nil {
		return nil, err
	}
	snap, err := codeset.NewSnapshot(rels)
	if err != nil {
		return nil, err
	}
	for _, r := range snap.Releases() {
		fmt.Fprintln(w, "codesets: loaded", r)
	}
	chart := crosswalk.Empty()
	if xwalk != "" {
		if chart, err = crosswalk.Load(xwalk); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "crosswalk: loaded %s (%d rows)\n", chart.Version, chart.Len())
	}
	return screening.New(snap, chart, policy), nil
}

// fileScreener screens NDJSON streams, remembering what it decided so that
// an exact resubmission gets the same decision and a changed one is a
// DUPLICATE, as the service's ledger does.
type fileScreener struct {
	sc       *screening.Screener
	dec      *claim.Decoder
	seen     map[string]prior
	outcomes map[screening.Outcome]int
	rules    map[rule.ID]int
	lines    int
}

type prior struct {
	hash     string
	decision screening.Decision
}

func newFileScreener(sc *screening.Screener, dec *claim.Decoder) *fileScreener {
	return &fileScreener{sc: sc, dec: dec, seen: map[string]prior{}, outcomes: map[screening.Outcome]int{}, rules: map[rule.ID]int{}}
}

func (f *fileScreener) screenStream(ctx context.Context, in namedReader, enc *json.Encoder) error {
	br := bufio.NewReaderSize(in.r, 64<<10)
	max := f.dec.Limits().MaxBytes
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, tooLong, err := readLine(br, max)
		if err == io.EOF && line == nil && !tooLong {
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("read %s: %w", in.name, err)
		}
		d := f.screenLine(line, tooLong, max)
		if werr := enc.Encode(d); werr != nil {
			return fmt.Errorf("write decisions: %w", werr)
		}
		if err == io.EOF {
			return nil
		}
	}
}

// readLine reads one line without its line ending. A line longer than max
// bytes is read to its end and dropped: tooLong says so.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > max+2 {
			tooLong = true
			buf = buf[:0]
		} else {
			buf = append(buf, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(buf) == 0 && !tooLong {
			return nil, false, io.EOF
		}
		buf = trimEOL(buf)
		if tooLong {
			return []byte{}, true, err
		}
		return buf, false, err
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

func (f *fileScreener) screenLine(line []byte, tooLong bool, max int) screening.Decision {
	f.lines++
	var d screening.Decision
	switch {
	case tooLong:
		d = screening.DeadLetter("", "", claim.ReasonTooLarge, fmt.Sprintf("line is more than the limit of %d bytes", max))
	case len(strings.TrimSpace(string(line))) == 0:
		d = screening.DeadLetter("", "", claim.ReasonMalformed, "empty line")
	default:
		d = f.screenClaim(line)
	}
	f.outcomes[d.Outcome]++
	for _, fd := range d.Findings {
		f.rules[fd.Rule]++
	}
	return d
}

func (f *fileScreener) screenClaim(msg []byte) screening.Decision {
	c, findings, err := f.dec.Decode(msg, time.Now().UTC())
	if err != nil {
		var de *claim.DecodeError
		if errors.As(err, &de) {
			return screening.DeadLetter("", "", de.Reason, de.Detail)
		}
		return screening.DeadLetter("", "", claim.ReasonMalformed, err.Error())
	}
	key := c.Key()
	hash := c.ContentHash()
	p, seen := f.seen[key]
	if seen && p.hash == hash {
		return p.decision
	}
	d := f.sc.Screen(screening.Input{Claim: c, Findings: findings, PriorDifferent: seen})
	if !seen || c.Frequency != claim.FrequencyOriginal {
		f.seen[key] = prior{hash, d}
	}
	return d
}

func (f *fileScreener) summary(w io.Writer) {
	fmt.Fprintf(w, "screened %d lines: %d accepted, %d rejected, %d held, %d dead-lettered\n",
		f.lines, f.outcomes[screening.Accepted], f.outcomes[screening.Rejected], f.outcomes[screening.Held], f.outcomes[screening.Deadletter])
	ids := make([]string, 0, len(f.rules))
	for id := range f.rules {
		ids = append(ids, string(id))
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(w, "  %-20s %d\n", id, f.rules[rule.ID(id)])
	}
}
