package x12

import (
	"errors"
	"fmt"
	"hash/fnv"
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
	// Findings are what the guide's validation found (IK3/IK4): any one
	// rejects the set.
	Findings []SegmentError
	// Unsuffixed: the set's version is 005010X222 or 005010X223, without
	// its addenda suffix; it is validated against the addenda guide and
	// accepted with errors noted (IK5 E, an IK4 on ST03).
	Unsuffixed bool
}

// Accepted reports whether the set is accepted (no envelope error, no
// refusal, nothing the guide finds).
func (r SetResult) Accepted() bool {
	return len(r.Set.Errors) == 0 && r.Refused == "" && len(r.Findings) == 0
}

// Why is why the set is rejected, "" when it is accepted: its first
// envelope error, the mapping's refusal, or the first error the guide
// found and how many more. It names segments, loops and codes, never a
// value (a value may be a patient's name or birth date).
func (r SetResult) Why() string {
	switch {
	case len(r.Set.Errors) > 0:
		return "IK5 " + r.Set.Errors[0].Code + ": " + r.Set.Errors[0].Reason
	case r.Refused != "":
		return r.Refused
	case len(r.Findings) > 0:
		why := r.Findings[0].String()
		if n := len(r.Findings) - 1; n > 0 {
			why += fmt.Sprintf(" (and %d more)", n)
		}
		return why
	}
	return ""
}

// Ack999 writes the 999 (005010X231A1) of one functional group of ic:
// AK1, then per transaction set AK2, its IK3/IK4 when the mapping refused
// it, and IK5 (A accepted, R rejected with the IK5 codes), then AK9. The
// envelope swaps the sender and receiver of the input; its control numbers
// and dates are the input's, so a redelivered interchange gets the same
// bytes.
func Ack999(ic *Interchange, g *Group, results []SetResult) []byte {
	w := newWriter(ic, g, "FA", "005010X231A1", 128*len(results))
	w.seg("ST", "999", "0001", "005010X231A1")
	w.seg("AK1", strings.TrimSpace(g.GS.E(1)), g.Control, g.Version)
	accepted, noted := 0, false
	for _, r := range results {
		s := r.Set
		w.seg("AK2", s.ID, s.Control, s.Version)
		for _, f := range r.Findings {
			// IK303 is at most four characters (447): 2010AA is written 2010.
			w.seg("IK3", segmentID(f.ID), strconv.Itoa(f.Position), clip(f.Loop, 4), f.Code)
			for _, e := range f.Elements {
				pos := strconv.Itoa(e.Position)
				if e.Component > 0 {
					pos += sepString(w.sep.Component) + strconv.Itoa(e.Component)
				}
				ref := e.Ref
				if !allDigits(ref) {
					ref = "" // IK402 is a number: a composite (C023) has none
				}
				w.seg("IK4", pos, ref, e.Code, strings.ReplaceAll(e.Value, sepString(w.sep.Component), " "))
			}
		}
		if r.Refused != "" && !r.found(r.RefusedSegment) {
			// IK3: the segment, its position in the set (ST is 1), its
			// loop, 8 (segment has data element errors); IK4: HL01 (628)
			// with code 7 (invalid code value) and the value.
			pos := r.RefusedSegment.Pos - s.ST.Pos + 1
			w.seg("IK3", r.RefusedSegment.ID(), strconv.Itoa(pos), "", "8")
			w.seg("IK4", "1", "628", "7", r.RefusedSegment.E(1))
		}
		switch {
		case r.Accepted() && r.Unsuffixed:
			accepted++
			noted = true
			if s.ST.E(3) != "" {
				w.seg("IK3", "ST", "1", "", IK3ElementErrors)
				w.seg("IK4", "3", "1705", "I6", s.ST.E(3)) // code value not used in the implementation
			}
			w.seg("IK5", "E")
		case r.Accepted():
			accepted++
			w.seg("IK5", "A")
		default:
			codes := []string{"R"}
			for _, e := range s.Errors {
				codes = append(codes, e.Code)
			}
			if (r.Refused != "" || len(r.Findings) > 0) && len(codes) == 1 {
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
	if (noted || len(g.Errors) > 0) && accepted == len(results) {
		ak9[0] = "E"
	}
	w.seg("AK9", ak9...)
	return w.finish(g, "0001")
}

// writer writes an acknowledgement interchange with the input's
// separators.
type writer struct {
	ic   *Interchange
	sep  Separators
	term string // after each segment
	body []byte // the acknowledgement: ISA, GS, then the set's segments, each with its terminator
	n    int    // how many
	held int    // empty elements not yet written in the segment begun (start)
}

// newWriter starts an acknowledgement of group g of ic: its ISA and GS
// (functional identifier and version), with room for about size bytes
// of segments after them, which are appended in place.
func newWriter(ic *Interchange, g *Group, functional, version string, size int) *writer {
	sep := replySeparators(ic.Separators)
	w := &writer{ic: ic, sep: sep, term: replyTerm(sep)}
	var isa strings.Builder
	replyISA(&isa, ic, w.sep) // its terminator is w.term
	gs := []string{"GS", functional, g.Receiver, g.Sender, g.GS.E(4), g.GS.E(5), g.Control, "X", version}
	for i := range gs {
		gs[i] = w.sep.text(gs[i])
	}
	w.body = make([]byte, 0, isa.Len()+size+256)
	w.body = append(w.body, isa.String()...)
	w.body = append(append(w.body, strings.Join(gs, sepString(w.sep.Element))...), w.term...)
	return w
}

// replySeparators are the input's separators when they are sound, and the
// usual ones (* : ~ ^) when the component separator is not (a TA1 note),
// so that an acknowledgement is always readable.
func replySeparators(in Separators) Separators {
	bad := func(c byte, others ...byte) bool {
		if isAlnum(c) || c == ' ' {
			return true
		}
		for _, o := range others {
			if c == o {
				return true
			}
		}
		return false
	}
	// Separators outside ASCII are taken on reading but not echoed.
	nonASCII := in.Element >= 0x80 || in.Segment >= 0x80 || in.Component >= 0x80 || in.Repetition >= 0x80
	if nonASCII || bad(in.Component, in.Element, in.Segment) || (in.Repetition != 0 && bad(in.Repetition, in.Element, in.Segment, in.Component)) {
		return Separators{Element: '*', Component: ':', Segment: '~', Repetition: '^'}
	}
	return in
}

// seg writes a segment of elements.
func (w *writer) seg(id string, elems ...string) {
	w.start(id)
	for _, e := range elems {
		w.el(e)
	}
	w.end()
}

// start begins a segment written element by element (el, elJoin, elInt),
// ended by end.
func (w *writer) start(id string) {
	w.body = append(w.body, id...)
	w.held = 0
}

// el appends an element of the segment begun. Empty ones are held back
// until a value follows, so that trailing empty elements are dropped, as
// X12 wants.
func (w *writer) el(v string) { w.elJoin(0, v) }

// elJoin appends one element made of parts, joined by sep (0: none): a
// composite, when sep is the component separator. Each part is made fit
// to be a value (Separators.text).
func (w *writer) elJoin(sep byte, parts ...string) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n == 0 && (sep == 0 || len(parts) < 2) {
		w.held++
		return
	}
	w.open()
	for i, p := range parts {
		if i > 0 && sep != 0 {
			w.body = append(w.body, sep)
		}
		w.body = append(w.body, w.sep.text(p)...)
	}
}

// elInt appends a number as an element.
func (w *writer) elInt(v int) {
	w.open()
	w.body = strconv.AppendInt(w.body, int64(v), 10)
}

// open writes the separators of the empty elements held back and of the
// element that follows them.
func (w *writer) open() {
	for ; w.held >= 0; w.held-- {
		w.body = append(w.body, w.sep.Element)
	}
	w.held = 0
}

// end ends the segment begun: its terminator.
func (w *writer) end() {
	w.body = append(w.body, w.term...)
	w.n++
}

// text is s fit to be an element's value: an element separator, segment
// terminator, repetition separator or line break in it (a value of the
// input, written with other separators than it was read with) becomes a
// space.
func (sep Separators) text(s string) string {
	bad := func(c byte) bool {
		return c == sep.Element || c == sep.Segment || c == '\n' || c == '\r' || (sep.Repetition != 0 && c == sep.Repetition)
	}
	for i := 0; i < len(s); i++ {
		if bad(s[i]) {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if bad(b[j]) {
					b[j] = ' '
				}
			}
			return string(b)
		}
	}
	return s
}

// finish ends the interchange after the set (its ST already written):
// SE (counting ST to SE, echoing ST02 set), GE and IEA.
func (w *writer) finish(g *Group, set string) []byte {
	e, b := sepString(w.sep.Element), w.body
	b = fmt.Appendf(b, "SE%s%d%s%s%s", e, w.n+1, e, w.sep.text(set), w.term)
	b = fmt.Appendf(b, "GE%s1%s%s%s", e, e, w.sep.text(g.Control), w.term)
	return fmt.Appendf(b, "IEA%s1%s%s%s", e, e, replyControl(w.ic), w.term)
}

// replyISA writes the ISA of an acknowledgement of ic, sender and
// receiver swapped, every element at its fixed width (whatever the input's
// were), and returns the segment terminator to write after each segment.
func replyISA(b *strings.Builder, ic *Interchange, sep Separators) string {
	term := replyTerm(sep)
	rep := "^"
	if sep.Repetition != 0 {
		rep = sepString(sep.Repetition)
	}
	usage := ic.Usage
	if usage != "P" {
		usage = "T"
	}
	isa := []string{"ISA", "00", pad("", 10), "00", pad("", 10),
		pad(ic.ReceiverQualifier, 2), pad(ic.Receiver, 15), pad(ic.SenderQualifier, 2), pad(ic.Sender, 15),
		pad(ic.ISA.E(9), 6), pad(ic.ISA.E(10), 4)}
	for i := range isa {
		isa[i] = sep.text(isa[i])
	}
	isa = append(isa, rep, "00501", replyControl(ic), "0", usage, sepString(sep.Component))
	b.WriteString(strings.Join(isa, sepString(sep.Element)) + term)
	return term
}

// replyTerm is what an acknowledgement writes after each segment: the
// terminator and a line break (the line break alone when it is the
// terminator).
func replyTerm(sep Separators) string {
	if sep.Segment == '\n' {
		return "\n"
	}
	return sepString(sep.Segment) + "\n"
}

// replyControl is the ISA13 of an acknowledgement: the input's, so that a
// redelivery is answered byte for byte alike, or nine digits derived from
// it when it is not nine digits.
func replyControl(ic *Interchange) string {
	if len(ic.Control) == 9 && allDigits(ic.Control) {
		return ic.Control
	}
	h := fnv.New32a()
	h.Write([]byte(ic.Control))
	return fmt.Sprintf("%09d", h.Sum32()%1_000_000_000)
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat(" ", n-len(s))
}

// Results validates and maps every 837 set of g and says what its 999
// says: accepted, or rejected for its envelope errors, the guide's errors
// or a refused hierarchy. claims are what the mapping read of each set,
// rejected ones too (their claims are answered, never screened: only an
// accepted set's go on).
func Results(ic *Interchange, g *Group, mapping func(*Set) ([]Claim, error)) ([]SetResult, [][]Claim) {
	var rs []SetResult
	var claims [][]Claim
	for _, s := range g.Sets {
		r := SetResult{Set: s}
		if guide, unsuffixed := GuideFor(s.Version); guide != nil {
			r.Findings, r.Unsuffixed = guide.Validate(s, ic.Separators), unsuffixed
			if unsuffixed {
				r.Findings = withoutVersion(r.Findings)
			}
		}
		cs, err := mapping(s)
		var he *HierarchyError
		if errors.As(err, &he) {
			r.Refused, r.RefusedSegment = he.Reason, he.Segment
		} else if err != nil {
			r.Refused, r.RefusedSegment = err.Error(), s.ST
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
	sep := replySeparators(ic.Separators)
	e := sepString(sep.Element)
	var b strings.Builder
	term := replyISA(&b, ic, sep)
	b.WriteString(strings.Join([]string{"TA1", sep.text(pad(ic.Control, 9)), sep.text(pad(ic.ISA.E(9), 6)), sep.text(pad(ic.ISA.E(10), 4)), status, code}, e) + term)
	b.WriteString("IEA" + e + "0" + e + replyControl(ic) + term)
	return []byte(b.String())
}

// TA1Due reports whether an interchange is answered with a TA1.
func TA1Due(ic *Interchange) bool { return len(ic.Notes) > 0 || ic.ISA.E(14) == "1" }

// found reports whether the guide's findings already name seg's
// elements (an HL01 used twice breaks the guide's count too).
func (r SetResult) found(seg Segment) bool {
	pos := seg.Pos - r.Set.ST.Pos + 1
	for _, f := range r.Findings {
		if f.Position == pos && f.Code == IK3ElementErrors && f.ID == seg.ID() {
			return true
		}
	}
	return false
}

// segmentID is an IK301: the segment's id when it is one (two or three
// characters), else the first three characters, or ?? for an empty one.
func segmentID(id string) string {
	if len(id) < 2 {
		return (id + "??")[:2]
	}
	return clip(id, 3)
}

// withoutVersion drops the guide's objection to an unsuffixed ST03 (the
// version policy accepts it, noted in the 999 instead).
func withoutVersion(fs []SegmentError) []SegmentError {
	out := fs[:0]
	for _, f := range fs {
		if f.ID == "ST" && f.Position == 1 && f.Code == IK3ElementErrors {
			es := f.Elements[:0]
			for _, e := range f.Elements {
				if e.Position != 3 {
					es = append(es, e)
				}
			}
			if f.Elements = es; len(es) == 0 {
				continue
			}
		}
		out = append(out, f)
	}
	return out
}
