package screening

import (
	"slices"

	"github.com/claimscreen/claimscreen/internal/civil"
	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/crosswalk"
	"github.com/claimscreen/claimscreen/internal/rule"
)

// Screener holds what screening needs: a code-set snapshot, a chart and
// the severities in force. It is immutable and safe for concurrent use.
type Screener struct {
	snap   *codeset.Snapshot
	chart  *crosswalk.Chart
	policy *rule.Policy
}

// New returns a screener. A nil chart is an empty chart; a nil policy the
// default severities.
func New(snap *codeset.Snapshot, chart *crosswalk.Chart, policy *rule.Policy) *Screener {
	if chart == nil {
		chart = crosswalk.Empty()
	}
	if policy == nil {
		policy = rule.DefaultPolicy()
	}
	return &Screener{snap: snap, chart: chart, policy: policy}
}

// Input is one claim to screen.
type Input struct {
	Claim *claim.Claim
	// Findings from decoding (MISSING_FIELD, INVALID_FIELD).
	Findings []rule.Finding
	// PriorDifferent is true when the ledger holds a decision for the same
	// originator and claim id with different content.
	PriorDifferent bool
}

// Screen decides one claim.
func (s *Screener) Screen(in Input) Decision {
	c := in.Claim
	st := state{s: s, c: c, d: Decision{ClaimID: c.ClaimID, OriginatorID: c.OriginatorID, Codesets: make(Versions, 0, 8)}}
	if len(in.Findings) > 0 {
		st.d.Findings = append(make([]rule.Finding, 0, len(in.Findings)+4), in.Findings...)
	}
	st.dxDates()

	// Stage 1: rules that need no code set.
	st.structure()
	if st.d.Findings = s.policy.Apply(st.d.Findings); st.rejects() {
		return st.finish()
	}
	// Stage 2: every code set the claim needs must cover its dates.
	if st.coverage(); len(st.d.Findings) > 0 {
		st.d.Findings = s.policy.Apply(st.d.Findings)
		if st.holds() {
			st.d.Codesets = nil
			return st.finish()
		}
	}
	// Stage 3: every code rule.
	st.diagnoses()
	st.editors()
	st.lines()
	st.ncci()
	st.mue()
	if in.PriorDifferent && c.Frequency == claim.FrequencyOriginal {
		st.add(rule.New(rule.Duplicate, 0, "claim_id", "",
			"claim "+c.ClaimID+" was already submitted with different content; send a replacement (frequency 7) or a void (frequency 8) to change it"))
	}
	st.d.Findings = s.policy.Apply(st.d.Findings)
	return st.finish()
}

type state struct {
	s *Screener
	c *claim.Claim
	d Decision
	// The dates diagnosis i is checked on (datesOf) are dateSpan[i] of
	// dateArr, or of dateMore when the claim needs more room: values, not
	// slices, so that the state stays on the stack and costs no allocation.
	dateArr  [16]civil.Date
	dateMore []civil.Date
	dateSpan [claim.MaxDiagnosesInstitutional][2]uint16
	// dxID[i] is diagnosis i's ICD-10-CM code id from its first lookup (-1:
	// not looked up, or no release has it).
	dxID [claim.MaxDiagnosesInstitutional]int32
	// charted is set once the chart's version is recorded.
	charted bool
	// The snapshot's and the chart's indexes of the systems looked up.
	codes systems[codeset.SystemIndex]
	chart systems[crosswalk.System]
}

// systems keeps the indexes of the last few systems asked for: a claim's
// codes come from three or four systems (diagnoses, procedures, modifiers,
// places of service), so most lookups skip the map of systems.
type systems[T any] struct {
	n     int
	names [4]string
	index [4]*T
}

func (l *systems[T]) of(system string, find func(string) *T) *T {
	for i := 0; i < l.n; i++ {
		if l.names[i] == system {
			return l.index[i]
		}
	}
	ix := find(system) // nil too is kept: a system no release has
	i := l.n
	if i < len(l.names) {
		l.n++
	} else {
		i = len(l.names) - 1 // full (rare): the last slot turns over
	}
	l.names[i], l.index[i] = system, ix
	return ix
}

// lookup is Snapshot.Lookup through the systems last looked up.
func (st *state) lookup(system, code string, d civil.Date) codeset.Result {
	return st.codes.of(system, st.s.snap.System).Lookup(code, d)
}

func (st *state) add(f rule.Finding) {
	if cap(st.d.Findings) == 0 {
		st.d.Findings = make([]rule.Finding, 0, 2) // one allocation for most claims
	}
	st.d.Findings = append(st.d.Findings, f)
}

func (st *state) has(sev rule.Severity) bool {
	for _, f := range st.d.Findings {
		if f.Severity == sev {
			return true
		}
	}
	return false
}

func (st *state) rejects() bool { return st.has(rule.Reject) }
func (st *state) holds() bool   { return st.has(rule.Hold) }

func (st *state) finish() Decision {
	d := &st.d
	switch {
	case st.rejects():
		d.Outcome = Rejected
	case st.holds():
		d.Outcome = Held
	default:
		d.Outcome = Accepted
	}
	if d.Findings == nil {
		d.Findings = []rule.Finding{}
	}
	if d.Codesets == nil {
		d.Codesets = Versions{}
	}
	// In system order, as they encode: the encoders then need no copy.
	for i := 1; i < len(d.Codesets); i++ {
		for j := i; j > 0 && d.Codesets[j].System < d.Codesets[j-1].System; j-- {
			d.Codesets[j], d.Codesets[j-1] = d.Codesets[j-1], d.Codesets[j]
		}
	}
	if d.InternalCodes == nil {
		d.InternalCodes = []InternalCode{}
	}
	return *d
}

// dxDates works out the dates each diagnosis is checked on: for an
// institutional claim the statement period's last day; for a professional
// claim the dates of the lines that point to it (all line dates when none
// does). The decoder keeps at most MaxDiagnosesInstitutional diagnoses.
func (st *state) dxDates() {
	c := st.c
	n := len(c.Diagnoses)
	if c.Form == claim.Institutional {
		if c.StatementPeriod != nil && c.StatementPeriod.Through.OK {
			st.dateArr[0] = c.StatementPeriod.Through.Day
			st.share(1, n)
		}
		return
	}
	var buf [len(state{}.dateArr)]civil.Date
	all := buf[:0]
	for li := range c.Lines {
		if d, ok := c.LineDate(li); ok {
			all = addDate(all, d)
		}
	}
	if len(all) <= 1 {
		// One date for the whole claim (the common case): every diagnosis
		// shares it.
		copy(st.dateArr[:], all)
		st.share(len(all), n)
		return
	}
	// Several dates: each diagnosis gets those of the lines pointing to
	// it, after the claim's own list.
	vals := append(make([]civil.Date, 0, 2*len(all)+n), all...)
	for i := range n {
		lo := len(vals)
		for li := range c.Lines {
			d, ok := c.LineDate(li)
			if !ok {
				continue
			}
			for _, p := range c.Lines[li].Pointers {
				if p == i+1 {
					if !slices.Contains(vals[lo:], d) {
						vals = append(vals, d)
					}
					break
				}
			}
		}
		if len(vals) == lo {
			st.dateSpan[i] = [2]uint16{0, uint16(len(all))} // no line points to it
		} else {
			st.dateSpan[i] = [2]uint16{uint16(lo), uint16(len(vals))}
		}
	}
	st.dateMore = vals
}

// share gives each of the n diagnoses the claim's first k dates.
func (st *state) share(k, n int) {
	for i := range n {
		st.dateSpan[i] = [2]uint16{0, uint16(k)}
	}
}

// datesOf returns the dates diagnosis i is checked on.
func (st *state) datesOf(i int) []civil.Date {
	sp := st.dateSpan[i]
	if st.dateMore != nil {
		return st.dateMore[sp[0]:sp[1]]
	}
	return st.dateArr[sp[0]:sp[1]]
}

func addDate(ds []civil.Date, d civil.Date) []civil.Date {
	if slices.Contains(ds, d) {
		return ds
	}
	return append(ds, d)
}
