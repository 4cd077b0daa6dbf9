package screening

import (
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
	// dates[i] are the dates diagnosis i is checked on.
	dates [][]civil.Date
	// dxID[i] is diagnosis i's ICD-10-CM code id from its first lookup (-1:
	// not looked up, or no release has it).
	dxID [claim.MaxDiagnosesInstitutional]int32
	// charted is set once the chart's version is recorded.
	charted bool
}

func (st *state) add(f rule.Finding) { st.d.Findings = append(st.d.Findings, f) }

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
// does).
func (st *state) dxDates() {
	c := st.c
	st.dates = make([][]civil.Date, len(c.Diagnoses))
	if c.Form == claim.Institutional {
		if c.StatementPeriod != nil && c.StatementPeriod.Through.OK {
			one := []civil.Date{c.StatementPeriod.Through.Day}
			for i := range st.dates {
				st.dates[i] = one
			}
		}
		return
	}
	var all []civil.Date
	for li := range c.Lines {
		if d, ok := c.LineDate(li); ok {
			all = addDate(all, d)
		}
	}
	if len(all) <= 1 {
		// One date for the whole claim (the common case): every diagnosis
		// shares it.
		for i := range st.dates {
			st.dates[i] = all
		}
		return
	}
	for li := range c.Lines {
		d, ok := c.LineDate(li)
		if !ok {
			continue
		}
		for _, p := range c.Lines[li].Pointers {
			if p >= 1 && p <= len(c.Diagnoses) {
				st.dates[p-1] = addDate(st.dates[p-1], d)
			}
		}
	}
	for i := range st.dates {
		if st.dates[i] == nil {
			st.dates[i] = all
		}
	}
}

func addDate(ds []civil.Date, d civil.Date) []civil.Date {
	for _, x := range ds {
		if x == d {
			return ds
		}
	}
	return append(ds, d)
}
