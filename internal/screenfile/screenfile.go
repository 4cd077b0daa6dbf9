// Package screenfile screens claim.v1 NDJSON (claimscreen screen): one
// decision per input line, in input order, through the same decide step as
// the service (pipeline.Decider), with an in-memory ledger in place of
// PostgreSQL and no broker.
package screenfile

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/originators"
	"github.com/claimscreen/claimscreen/internal/rule"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/internal/x12"
	"github.com/claimscreen/claimscreen/internal/x12intake"
	"github.com/claimscreen/claimscreen/pipeline"
	"github.com/claimscreen/claimscreen/pipeline/mem"
)

// Screener screens claim.v1 NDJSON streams through the pipeline's decide
// step, with an in-memory ledger: an exact resubmission gets the same decision
// and a changed original is a DUPLICATE, as in the service.
type Screener struct {
	d        *pipeline.Decider
	max      int
	pending  []pendingLine // read, not yet decided
	outcomes map[screening.Outcome]int
	rules    map[rule.ID]int
	lines    int
}

// pendingLine is a line to decide (msg), or one already answered (d).
type pendingLine struct {
	msg *pipeline.Message
	d   screening.Decision
}

// screenChunk is how many lines are decided together (the decide step
// spreads a batch over the cores).
const screenChunk = 512

// New returns a Screener that screens with sc and decodes with dec.
func New(sc *screening.Screener, dec *claim.Decoder) *Screener {
	var ptr atomic.Pointer[screening.Screener]
	ptr.Store(sc)
	d := pipeline.NewDecider(pipeline.Config{}, decisionsOnly{mem.NewLedger()}, &ptr, dec, pipeline.EveryTopicExists, nil, nil)
	return &Screener{d: d, max: dec.Limits().MaxBytes, outcomes: map[screening.Outcome]int{}, rules: map[rule.ID]int{}}
}

// decisionsOnly is a ledger that keeps what resubmissions are told by
// (keys, hashes, decisions), not the claims themselves.
type decisionsOnly struct{ *mem.Ledger }

func (l decisionsOnly) Record(ctx context.Context, subs []pipeline.Submission) ([]bool, error) {
	slim := make([]pipeline.Submission, len(subs))
	for i, s := range subs {
		s.Claim, s.DecisionJSON = nil, nil
		slim[i] = s
	}
	return l.Ledger.Record(ctx, slim)
}

// Stream screens every line of r (named name in errors) and writes one
// decision per line, in order, to enc.
func (f *Screener) Stream(ctx context.Context, name string, r io.Reader, enc *json.Encoder) error {
	br := bufio.NewReaderSize(r, 64<<10)
	max := f.max
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, tooLong, err := readLine(br, max)
		if err == io.EOF && line == nil && !tooLong {
			_, err := f.flush(ctx, enc)
			return err
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("read %s: %w", name, err)
		}
		if serr := f.screenLine(ctx, line, tooLong, enc); serr != nil {
			return serr
		}
		if err == io.EOF {
			_, err := f.flush(ctx, enc)
			return err
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

// screenLine queues one line; full chunks are decided and written.
func (f *Screener) screenLine(ctx context.Context, line []byte, tooLong bool, enc *json.Encoder) error {
	f.lines++
	switch {
	case tooLong:
		f.pending = append(f.pending, pendingLine{d: screening.DeadLetter("", "", claim.ReasonTooLarge, fmt.Sprintf("line is more than the limit of %d bytes", f.max))})
	case len(strings.TrimSpace(string(line))) == 0:
		f.pending = append(f.pending, pendingLine{d: screening.DeadLetter("", "", claim.ReasonMalformed, "empty line")})
	default:
		m := &pipeline.Message{Value: append([]byte(nil), line...), Offset: int64(f.lines), Time: time.Now().UTC()}
		f.pending = append(f.pending, pendingLine{msg: m})
	}
	if len(f.pending) >= screenChunk {
		_, err := f.flush(ctx, enc)
		return err
	}
	return nil
}

// flush decides the pending lines and writes their decisions in order; it
// returns the results of the lines that were messages.
func (f *Screener) flush(ctx context.Context, enc *json.Encoder) ([]pipeline.Result, error) {
	var msgs []pipeline.Message
	for _, p := range f.pending {
		if p.msg != nil {
			msgs = append(msgs, *p.msg)
		}
	}
	b, err := f.d.Decide(ctx, msgs)
	if err != nil {
		return nil, err
	}
	var results []pipeline.Result
	k := 0
	for _, p := range f.pending {
		d := p.d
		if p.msg != nil {
			r := b.Result(k)
			k++
			results = append(results, r)
			if r.Decision != nil {
				d = *r.Decision
			} else {
				d = screening.DeadLetter("", "", r.Reason, r.Detail)
			}
		}
		f.outcomes[d.Outcome]++
		for _, fd := range d.Findings {
			f.rules[fd.Rule]++
		}
		if err := enc.Encode(d); err != nil {
			return nil, fmt.Errorf("write decisions: %w", err)
		}
	}
	f.pending = f.pending[:0]
	return results, nil
}

// Summary writes the counts of outcomes and rules so far.
func (f *Screener) Summary(w io.Writer) {
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

// Identify names the originator of a functional group, from the
// trading-partner table; false when the sender is unknown.
type Identify func(ic *x12.Interchange, g *x12.Group) (string, bool)

// FileIdentity names the originator of a file's X12 claims: originator
// when one is given; with a trading-partner table, the table's entry for
// the sender (an unknown sender's claims are dead-lettered); otherwise the
// interchange's sender id when it is a valid originator id, and
// X12-SENDER when it is not.
func FileIdentity(originator string, table *originators.Table) Identify {
	return func(ic *x12.Interchange, g *x12.Group) (string, bool) {
		switch {
		case originator != "":
			return originator, true
		case table != nil:
			return table.Sender(ic.SenderQualifier, ic.Sender, g.Sender)
		case claim.ValidOriginatorID(ic.Sender):
			return ic.Sender, true
		}
		return "X12-SENDER", true
	}
}

// MaxX12 bounds an X12 input, which is read whole.
const MaxX12 = 64 << 20

// ReadX12 reads an X12 input whole, refusing one of more than MaxX12 bytes.
func ReadX12(name string, r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxX12+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxX12 {
		return nil, fmt.Errorf("%s: an X12 input of more than %d bytes", name, MaxX12)
	}
	return data, nil
}

// WriteAcks writes each acknowledgement into dir (made if missing) under
// its name, and returns the paths written.
func WriteAcks(dir string, acks []Ack) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, a := range acks {
		p := filepath.Join(dir, a.Name)
		if err := os.WriteFile(p, a.Body, 0o644); err != nil {
			return paths, fmt.Errorf("write the acknowledgement: %w", err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// Ack is an acknowledgement written for an X12 input: its name (the
// input interchange and group) and content.
type Ack struct {
	Name string
	Body []byte
}

// StreamX12 screens every CLM of the 837 transaction sets in data, in file
// order, writing one decision per CLM to enc, and returns the TA1, 999 and
// 277CA due. The claims of a set the 999 rejects (an envelope error, IK5,
// or a hierarchy the mapping refuses) are not screened: each gets a
// deadletter decision that says why. identify names each group's
// originator; the claims of a group whose sender it does not know are
// dead-lettered UNKNOWN_SENDER, never screened, and get no acknowledgement.
// notes are the interchange-level problems (TA1 notes).
func (f *Screener) StreamX12(ctx context.Context, name string, data []byte, identify Identify, enc *json.Encoder) (acks []Ack, notes []string, err error) {
	ics, err := x12.Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	now := time.Now().UTC()
	for _, ic := range ics {
		for _, n := range ic.Notes {
			notes = append(notes, fmt.Sprintf("%s: interchange %s: TA1 %s: %s", name, ic.Control, n.Code, n.Reason))
		}
		if x12.TA1Due(ic) {
			acks = append(acks, Ack{Name: ic.Control + ".ta1", Body: x12.TA1(ic)})
		}
		for _, g := range ic.Groups {
			originator, known := identify(ic, g)
			if !known {
				for _, set := range g.Sets {
					cs, _ := x12.Claims(ic, g, set, time.Time{}, "")
					for _, c := range cs {
						f.lines++
						f.pending = append(f.pending, pendingLine{d: screening.DeadLetter(c.ClaimID, "", pipeline.ReasonUnknownSender,
							fmt.Sprintf("interchange %s: sender %s:%s (GS02 %s) is not in the trading-partner table", ic.Control, ic.SenderQualifier, ic.Sender, g.Sender))})
					}
				}
				if _, err := f.flush(ctx, enc); err != nil {
					return acks, notes, err
				}
				continue
			}
			results, mapped := x12.Results(ic, g, func(s *x12.Set) ([]x12.Claim, error) {
				if s.ID != "837" {
					return nil, fmt.Errorf("transaction set %s is a %s, not an 837", s.Control, s.ID)
				}
				return x12.Claims(ic, g, s, time.Time{}, originator)
			})
			acks = append(acks, Ack{Name: fmt.Sprintf("%s-%s.999", ic.Control, g.Control), Body: x12.Ack999(ic, g, results)})
			for i, r := range results {
				if r.Set.ID != "837" {
					continue
				}
				cs, why := mapped[i], r.Why()
				// A set is decided as a whole: its 277CA needs every
				// decision.
				if _, err := f.flush(ctx, enc); err != nil {
					return acks, notes, err
				}
				for _, c := range cs {
					f.lines++
					if why != "" {
						f.pending = append(f.pending, pendingLine{d: screening.DeadLetter(c.ClaimID, originator, pipeline.ReasonX12Rejected,
							fmt.Sprintf("transaction set %s (interchange %s, group %s) is rejected: %s", r.Set.Control, ic.Control, g.Control, why))})
					} else {
						f.pending = append(f.pending, pendingLine{msg: &pipeline.Message{Value: c.JSON, Text: c.Text, Offset: int64(f.lines), Time: now}})
					}
				}
				decided, err := f.flush(ctx, enc)
				if err != nil {
					return acks, notes, err
				}
				if why != "" {
					continue
				}
				statuses := make([]x12.ClaimStatus, len(cs))
				for i, c := range cs {
					statuses[i] = x12intake.StatusOf(c, decided[i])
				}
				acks = append(acks, Ack{Name: fmt.Sprintf("%s-%s-%s.277ca", ic.Control, g.Control, r.Set.Control), Body: x12.Ack277CA(ic, g, r.Set, statuses, now)})
			}
		}
	}
	return acks, notes, nil
}
