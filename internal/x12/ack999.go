package x12

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// SetResult is what a 999 says of one transaction set.
type SetResult struct {
	Set *Set
	// Refused is a problem the mapping found (a duplicate HL01, an HL02
	// naming no earlier HL): the set is rejected with an IK3/IK4 at Segment.
	Refused        string
	RefusedSegment Segment
}

// Accepted reports whether the set is accepted (no envelope error, no
// refusal).
func (r SetResult) Accepted() bool { return len(r.Set.Errors) == 0 && r.Refused == "" }

// Ack999 writes the 999 (005010X231A1) of one functional group of ic:
// AK1, then per transaction set AK2, its IK3/IK4 when the mapping refused
// it, and IK5 (A accepted, R rejected with the IK5 codes), then AK9. The
// envelope swaps the sender and receiver of the input; its control numbers
// and dates are the input's, so a redelivered interchange gets the same
// bytes.
func Ack999(ic *Interchange, g *Group, results []SetResult) []byte {
	w := newWriter(ic)
	w.seg("ST", "999", "0001", "005010X231A1")
	w.seg("AK1", strings.TrimSpace(g.GS.E(1)), g.Control, g.Version)
	accepted := 0
	for _, r := range results {
		s := r.Set
		w.seg("AK2", s.ID, s.Control, s.Version)
		if r.Refused != "" {
			// IK3: the segment, its position in the set (ST is 1), its
			// loop, 8 (segment has data element errors); IK4: HL01 (628)
			// with code 7 (invalid code value) and the value.
			pos := r.RefusedSegment.Pos - s.ST.Pos + 1
			w.seg("IK3", r.RefusedSegment.ID(), strconv.Itoa(pos), "", "8")
			w.seg("IK4", "1", "628", "7", r.RefusedSegment.E(1))
		}
		switch {
		case r.Accepted():
			accepted++
			w.seg("IK5", "A")
		default:
			codes := []string{"R"}
			for _, e := range s.Errors {
				codes = append(codes, e.Code)
			}
			if r.Refused != "" && len(codes) == 1 {
				codes = append(codes, "5") // one or more segments in error
			}
			w.seg("IK5", codes[:min(len(codes), 6)]...)
		}
	}
	status := "A"
	switch {
	case accepted == 0:
		status = "R"
	case accepted < len(results) || len(g.Errors) > 0:
		status = "P"
	}
	ak9 := []string{status, strconv.Itoa(len(results)), strconv.Itoa(len(results)), strconv.Itoa(accepted)}
	for _, e := range g.Errors {
		if len(ak9) < 9 {
			ak9 = append(ak9, e.Code)
		}
	}
	if len(g.Errors) > 0 && accepted == len(results) {
		ak9[0] = "E"
	}
	w.seg("AK9", ak9...)
	return w.finish("FA", g, "005010X231A1")
}

// writer writes an acknowledgement interchange with the input's
// separators.
type writer struct {
	ic   *Interchange
	sep  Separators
	body []string // the transaction set's segments
}

func newWriter(ic *Interchange) *writer { return &writer{ic: ic, sep: ic.Separators} }

func (w *writer) seg(id string, elems ...string) {
	// Trailing empty elements are dropped, as X12 wants.
	for len(elems) > 0 && elems[len(elems)-1] == "" {
		elems = elems[:len(elems)-1]
	}
	w.body = append(w.body, id+string(w.sep.Element)+strings.Join(elems, string(w.sep.Element)))
}

// finish wraps the set in ST/SE (ST already written), GS/GE and ISA/IEA.
func (w *writer) finish(functional string, g *Group, version string) []byte {
	ic, e := w.ic, string(w.sep.Element)
	var b strings.Builder
	term := string(w.sep.Segment) + "\n"
	if w.sep.Segment == '\n' {
		term = "\n"
	}
	rep := "^"
	if w.sep.Repetition != 0 {
		rep = string(w.sep.Repetition)
	}
	isa := []string{"ISA", "00", pad("", 10), "00", pad("", 10),
		pad(ic.ReceiverQualifier, 2), pad(ic.Receiver, 15), pad(ic.SenderQualifier, 2), pad(ic.Sender, 15),
		ic.ISA.E(9), ic.ISA.E(10), rep, "00501", ic.Control, "0", ic.Usage, string(w.sep.Component)}
	b.WriteString(strings.Join(isa, e) + term)
	b.WriteString(strings.Join([]string{"GS", functional, g.Receiver, g.Sender, g.GS.E(4), g.GS.E(5), g.Control, "X", version}, e) + term)
	for _, s := range w.body {
		b.WriteString(s + term)
	}
	b.WriteString(fmt.Sprintf("SE%s%d%s0001%s", e, len(w.body)+1, e, term))
	b.WriteString(fmt.Sprintf("GE%s1%s%s%s", e, e, g.Control, term))
	b.WriteString(fmt.Sprintf("IEA%s1%s%s%s", e, e, ic.Control, term))
	return []byte(b.String())
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat(" ", n-len(s))
}

// Results maps every 837 set of g and says what its 999 says: accepted, or
// rejected for its envelope errors or a refused hierarchy. claims are the
// mapped claims of each accepted set.
func Results(ic *Interchange, g *Group, mapping func(*Set) ([]Claim, error)) ([]SetResult, [][]Claim) {
	var rs []SetResult
	var claims [][]Claim
	for _, s := range g.Sets {
		r := SetResult{Set: s}
		cs, err := mapping(s)
		var he *HierarchyError
		if errors.As(err, &he) {
			r.Refused, r.RefusedSegment = he.Reason, he.Segment
		} else if err != nil {
			r.Refused, r.RefusedSegment = err.Error(), s.ST
		}
		if !r.Accepted() {
			cs = nil
		}
		rs = append(rs, r)
		claims = append(claims, cs)
	}
	return rs, claims
}

// TA1 writes the interchange acknowledgement of ic: TA1 (ISA13, ISA09,
// ISA10, A accepted or R rejected, the first note code) in an envelope of
// its own, the input's sender and receiver swapped. It is due when the
// interchange has notes (or asks for one, ISA14 = 1).
func TA1(ic *Interchange) []byte {
	code, status := TA1NoError, "A"
	if len(ic.Notes) > 0 {
		code, status = ic.Notes[0].Code, "R"
	}
	e := string(ic.Element)
	term := string(ic.Segment) + "\n"
	rep := "^"
	if ic.Repetition != 0 {
		rep = string(ic.Repetition)
	}
	isa := []string{"ISA", "00", pad("", 10), "00", pad("", 10),
		pad(ic.ReceiverQualifier, 2), pad(ic.Receiver, 15), pad(ic.SenderQualifier, 2), pad(ic.Sender, 15),
		ic.ISA.E(9), ic.ISA.E(10), rep, "00501", ic.Control, "0", ic.Usage, string(ic.Component)}
	var b strings.Builder
	b.WriteString(strings.Join(isa, e) + term)
	b.WriteString(strings.Join([]string{"TA1", ic.Control, ic.ISA.E(9), ic.ISA.E(10), status, code}, e) + term)
	b.WriteString("IEA" + e + "0" + e + ic.Control + term)
	return []byte(b.String())
}

// TA1Due reports whether an interchange is answered with a TA1.
func TA1Due(ic *Interchange) bool { return len(ic.Notes) > 0 || ic.ISA.E(14) == "1" }
