// Package x12 reads ASC X12 5010 interchanges: the tokenizer and the
// envelopes (ISA/IEA, GS/GE, ST/SE), with their control numbers and counts
// checked, and the 837P/837I mapping onto claim.v1 (map837.go). It is pure:
// no I/O, no logging.
//
// Separators are taken only from the fixed-length ISA segment: the element
// separator is byte 4, the repetition separator ISA11 (a letter or digit
// there means none), the component separator ISA16 and the segment
// terminator the byte after it (byte 106). A UTF-8 byte-order mark before
// the ISA, and line breaks and indentation between segments, are allowed.
// An envelope problem is reported, never guessed around: interchange-level
// ones as TA1 note codes, group- and set-level ones as 999 codes.
package x12

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Separators of an interchange.
type Separators struct {
	Element, Component, Segment byte
	Repetition                  byte // 0: none
}

// Segment is one segment: where its elements start in the input. Element
// 0 is the id, so E(i) is the X12 element i. The offsets of all the
// segments of an input share one slab without pointers, and a set keeps
// its segments as indexes into it (segRef): the collector neither scans
// them nor pays a write barrier a segment, as it did for slabs of
// substrings and of Segments. A Segment is made when one is read
// (Set.Segment).
type Segment struct {
	text string // the whole input
	// starts[i] is the offset in text where element i starts;
	// starts[Len()] is one past the segment's end, where one more element
	// would start, so element i is text[starts[i]:starts[i+1]-1].
	starts []uint32
	Pos    int // 1-based position of the segment in its interchange
}

// ID is the segment id (ISA, GS, ST, CLM …).
func (s Segment) ID() string { return s.E(0) }

// Len is the number of elements, the id counted (ST*0001*837 has 3).
func (s Segment) Len() int { return max(len(s.starts)-1, 0) }

// E returns element i, or "" when the segment has fewer.
func (s Segment) E(i int) string {
	if i < 0 || i >= len(s.starts)-1 {
		return ""
	}
	return s.text[s.starts[i] : s.starts[i+1]-1]
}

// AppendElements appends every element, the id first, to dst.
func (s Segment) AppendElements(dst []string) []string {
	for i := 0; i+1 < len(s.starts); i++ {
		dst = append(dst, s.text[s.starts[i]:s.starts[i+1]-1])
	}
	return dst
}

// AppendComponents appends element i's components (split at the
// component separator) to dst, reusing its room.
func (s Segment) AppendComponents(dst []string, i int, sep Separators) []string {
	e := s.E(i)
	if e == "" {
		return dst
	}
	for {
		c, rest, more := cutByte(e, sep.Component)
		dst = append(dst, c)
		if !more {
			return dst
		}
		e = rest
	}
}

// Interchange is one ISA … IEA.
type Interchange struct {
	Separators
	ISA     Segment
	Groups  []*Group
	IEA     *Segment // nil when the input ended without one
	Control string   // ISA13
	// Sender and Receiver are ISA05:ISA06 and ISA07:ISA08, trimmed.
	SenderQualifier, Sender     string
	ReceiverQualifier, Receiver string
	Usage                       string // ISA15: P production, T test
	// TA1 are the interchange acknowledgements it carries, between the ISA
	// and the first GS.
	TA1 []Segment
	// Notes are its TA1 note codes (I18), empty when the envelope is sound.
	Notes []Note
}

// Group is one GS … GE functional group.
type Group struct {
	GS       Segment
	Sets     []*Set
	GE       *Segment
	Control  string // GS06
	Sender   string // GS02
	Receiver string // GS03
	Version  string // GS08
	// Errors are its 999 AK9 functional group syntax error codes (716).
	Errors []Note
}

// Set is one ST … SE transaction set.
type Set struct {
	ST      Segment
	SE      *Segment
	ID      string // ST01 (837)
	Control string // ST02
	Version string // ST03, or the group's GS08 when absent
	// Errors are its 999 IK5 transaction set syntax error codes (718).
	Errors []Note

	// The segments between ST and SE: refs[i] is segment i's run of
	// element starts in starts (the interchange's slab), offsets in text.
	text   string
	starts []uint32
	refs   []segRef
}

// segRef is a segment of a set: its element starts are
// starts[first:first+n].
type segRef struct{ first, n uint32 }

// Len is the number of segments between ST and SE.
func (s *Set) Len() int { return len(s.refs) }

// Segment is the i-th segment between ST and SE (0 is the one after ST).
func (s *Set) Segment(i int) Segment {
	r := s.refs[i]
	end := r.first + r.n
	return Segment{text: s.text, starts: s.starts[r.first:end:end], Pos: s.ST.Pos + 1 + i}
}

// Note is an envelope code and why.
type Note struct {
	Code   string
	Reason string
}

// TA1 interchange note codes (I18).
const (
	TA1NoError              = "000"
	TA1ControlMismatch      = "001" // ISA13 and IEA02 differ
	TA1BadGroupCount        = "021" // IEA01 is not the number of groups
	TA1BadControlStructure  = "022"
	TA1ImproperEnd          = "023" // the input ended before IEA
	TA1BadElementSeparator  = "026"
	TA1BadComponentSep      = "027"
	TA1BadControlNumber     = "018" // ISA13 is not nine digits
	TA1DuplicateInterchange = "025"
)

// 999 AK9 (716) and IK5 (718) codes.
const (
	AK9ControlMismatch = "4" // GS06 and GE02 differ
	AK9BadSetCount     = "5" // GE01 is not the number of sets
	IK5MissingTrailer  = "2" // no SE
	IK5ControlMismatch = "3" // ST02 and SE02 differ
	IK5BadSegmentCount = "4" // SE01 is not the number of segments
)

// Looks reports whether data is an X12 interchange: ISA after an optional
// byte-order mark and white space.
func Looks(data []byte) bool { return bytes.HasPrefix(skipLead(data), []byte("ISA")) }

// skipLead is data after an optional byte-order mark and white space.
func skipLead(data []byte) []byte {
	return bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
}

// CountClaims is about how many claims (CLM segments) data holds, found
// without reading it: the CLM ids after a segment terminator or a line
// break, with the first interchange's separators. It is an estimate for
// sizing batches (an interchange with other separators later is counted
// by the first one's); 0 when data does not start with an ISA.
func CountClaims(data []byte) int {
	data = skipLead(data)
	if len(data) < isaLen || !Looks(data) {
		return 0
	}
	term := data[isaLen-1]
	clm := []byte{'C', 'L', 'M', data[3]}
	n := 0
	for i := isaLen; ; {
		j := bytes.Index(data[i:], clm)
		if j < 0 {
			return n
		}
		if c := data[i+j-1]; c == term || isSpace(c) {
			n++
		}
		i += j + len(clm)
	}
}

// Error is input that is not an interchange at all: nothing can be
// acknowledged for it (the caller dead-letters it).
type Error struct {
	Pos    int // byte offset
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("x12: byte %d: %s", e.Pos, e.Reason) }

// Parse reads every interchange of data. An input that does not start with
// a readable ISA is an *Error; problems inside an envelope are notes and
// errors on the interchange, group and set.
func Parse(data []byte) ([]*Interchange, error) {
	if uint64(len(data)) >= math.MaxUint32 {
		return nil, &Error{0, fmt.Sprintf("the input is %d bytes; it is read up to 4 GiB", len(data))}
	}
	start := 0
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		start = 3
	}
	var out []*Interchange
	seen := map[string]bool{}
	t := &tokenizer{data: data, text: string(data)} // one copy; every element is a substring of it
	pos := start
	for {
		for pos < len(data) && isSpace(data[pos]) {
			pos++
		}
		if pos >= len(data) {
			break
		}
		ic, next, err := t.interchange(pos)
		if err != nil {
			return out, err
		}
		if seen[ic.Control] {
			ic.Notes = append(ic.Notes, Note{TA1DuplicateInterchange, "interchange control number " + ic.Control + " appears twice in this input"})
		}
		seen[ic.Control] = true
		out = append(out, ic)
		pos = next
	}
	if len(out) == 0 {
		return nil, &Error{start, "no ISA segment"}
	}
	return out, nil
}

// isaLen is the fixed length of the ISA segment, its terminator included.
const isaLen = 106

// isaSeparatorAt are the offsets of the ISA's element separators: its
// elements have fixed widths.
var isaSeparatorAt = [...]int{3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103}

// tokenizer is one Parse: the input, and the slabs its segments are read
// into. Neither slab holds a pointer.
type tokenizer struct {
	data []byte // the input, scanned
	text string // its copy, which every element is a substring of
	// starts are the element starts of every segment read (see Segment);
	// refs the segments of the sets, set after set.
	starts []uint32
	refs   []segRef
	sized  Separators // the separators the slabs were last sized by
}

func (t *tokenizer) interchange(pos int) (*Interchange, int, error) {
	s := t.text
	if !strings.HasPrefix(s[pos:], "ISA") {
		return nil, 0, &Error{pos, "expected an ISA segment"}
	}
	if len(s)-pos < isaLen {
		return nil, 0, &Error{pos, fmt.Sprintf("the ISA segment is %d bytes long; it is %d", len(s)-pos, isaLen)}
	}
	isa := s[pos : pos+isaLen]
	sep := Separators{Element: isa[3], Component: isa[104], Segment: isa[105]}
	ic := &Interchange{}
	if isAlnum(sep.Element) || sep.Element == ' ' {
		return nil, 0, &Error{pos + 3, fmt.Sprintf("element separator %q is a letter, digit or space", sep.Element)}
	}
	if isAlnum(sep.Segment) || sep.Segment == ' ' || sep.Segment == sep.Element {
		return nil, 0, &Error{pos + 105, fmt.Sprintf("segment terminator %q is a letter, digit or space, or the element separator", sep.Segment)}
	}
	for _, at := range isaSeparatorAt {
		if isa[at] != sep.Element {
			return nil, 0, &Error{pos + at, fmt.Sprintf("the ISA is not the fixed 106 bytes: byte %d is %q, not the element separator %q", at, isa[at], sep.Element)}
		}
	}
	ic.ISA = t.isa(pos, sep.Element)
	if ic.ISA.Len() != 17 {
		return nil, 0, &Error{pos, fmt.Sprintf("the ISA has %d elements, not 16, with element separator %q", ic.ISA.Len()-1, sep.Element)}
	}
	fields := ic.ISA.E
	if len(fields(11)) != 1 {
		return nil, 0, &Error{pos, fmt.Sprintf("ISA11 %q is not one character", fields(11))}
	}
	if r := fields(11)[0]; !isAlnum(r) && r != sep.Element && r != sep.Component && r != sep.Segment {
		sep.Repetition = r
	}
	if isAlnum(sep.Component) || sep.Component == ' ' || sep.Component == sep.Element || sep.Component == sep.Segment {
		ic.Notes = append(ic.Notes, Note{TA1BadComponentSep, fmt.Sprintf("component separator %q", sep.Component)})
	}
	ic.Separators = sep
	ic.SenderQualifier, ic.Sender = strings.TrimSpace(fields(5)), strings.TrimSpace(fields(6))
	ic.ReceiverQualifier, ic.Receiver = strings.TrimSpace(fields(7)), strings.TrimSpace(fields(8))
	ic.Control, ic.Usage = fields(13), fields(15)
	if len(ic.Control) != 9 || !allDigits(ic.Control) {
		ic.Notes = append(ic.Notes, Note{TA1BadControlNumber, fmt.Sprintf("interchange control number %q is not nine digits", ic.Control)})
	}

	t.presize(pos, sep)
	n := 1 // segments read, the ISA being the first
	pos += isaLen
	var g *Group
	var set *Set
	from := 0 // where set's segments start in t.refs
	for {
		ref, next, ok := t.next(pos, sep)
		if !ok {
			ic.Notes = append(ic.Notes, Note{TA1ImproperEnd, "the input ends before the IEA segment"})
			t.closeSet(set, from)
			closeGroup(g)
			return ic, len(s), nil
		}
		pos = next
		n++
		id := s[t.starts[ref.first] : t.starts[ref.first+1]-1]
		if set != nil && !envelope(id) {
			t.refs = append(t.refs, ref) // the common case: a segment of a set
			continue
		}
		seg := t.segment(ref, n)
		switch id {
		case "IEA":
			t.closeSet(set, from)
			closeGroup(g)
			ic.IEA = &seg
			if seg.E(2) != ic.Control {
				ic.Notes = append(ic.Notes, Note{TA1ControlMismatch, fmt.Sprintf("ISA13 %s and IEA02 %s differ", ic.Control, seg.E(2))})
			}
			if c, err := strconv.Atoi(seg.E(1)); err != nil || c != len(ic.Groups) {
				ic.Notes = append(ic.Notes, Note{TA1BadGroupCount, fmt.Sprintf("IEA01 %q, but the interchange has %d functional groups", seg.E(1), len(ic.Groups))})
			}
			return ic, pos, nil
		case "GS":
			t.closeSet(set, from)
			closeGroup(g)
			set = nil
			g = &Group{GS: seg, Control: seg.E(6), Sender: seg.E(2), Receiver: seg.E(3), Version: seg.E(8)}
			ic.Groups = append(ic.Groups, g)
		case "GE":
			t.closeSet(set, from)
			set = nil
			if g == nil {
				ic.Notes = append(ic.Notes, Note{TA1BadControlStructure, fmt.Sprintf("segment %d: GE without a GS", n)})
				continue
			}
			g.GE = &seg
			if seg.E(2) != g.Control {
				g.Errors = append(g.Errors, Note{AK9ControlMismatch, fmt.Sprintf("GS06 %s and GE02 %s differ", g.Control, seg.E(2))})
			}
			if c, err := strconv.Atoi(seg.E(1)); err != nil || c != len(g.Sets) {
				g.Errors = append(g.Errors, Note{AK9BadSetCount, fmt.Sprintf("GE01 %q, but the group has %d transaction sets", seg.E(1), len(g.Sets))})
			}
			g = nil
		case "ST":
			t.closeSet(set, from)
			if g == nil {
				ic.Notes = append(ic.Notes, Note{TA1BadControlStructure, fmt.Sprintf("segment %d: ST outside a functional group", n)})
				set = nil
				continue
			}
			set = &Set{ST: seg, ID: seg.E(1), Control: seg.E(2), Version: seg.E(3), text: s}
			from = len(t.refs)
			if set.Version == "" {
				set.Version = g.Version
			}
			g.Sets = append(g.Sets, set)
		case "SE":
			if set == nil {
				ic.Notes = append(ic.Notes, Note{TA1BadControlStructure, fmt.Sprintf("segment %d: SE without an ST", n)})
				continue
			}
			set.SE = &seg
			if seg.E(2) != set.Control {
				set.Errors = append(set.Errors, Note{IK5ControlMismatch, fmt.Sprintf("ST02 %s and SE02 %s differ", set.Control, seg.E(2))})
			}
			// SE01 counts the segments from ST to SE, both included.
			if c, err := strconv.Atoi(seg.E(1)); err != nil || c != len(t.refs)-from+2 {
				set.Errors = append(set.Errors, Note{IK5BadSegmentCount, fmt.Sprintf("SE01 %q, but the transaction set has %d segments", seg.E(1), len(t.refs)-from+2)})
			}
			t.closeSet(set, from)
			set = nil
		default:
			if set == nil && g == nil && id == "TA1" {
				ic.TA1 = append(ic.TA1, seg) // interchange acknowledgements come before any GS
				continue
			}
			ic.Notes = append(ic.Notes, Note{TA1BadControlStructure, fmt.Sprintf("segment %d (%s) is outside a transaction set", n, id)})
		}
	}
}

// envelope reports whether id is one of the envelope segments the
// interchange loop handles (IEA, GS, GE, ST, SE), by a test cheaper than
// the switch for the segments of a set, which are nearly all.
func envelope(id string) bool {
	switch len(id) {
	case 2:
		return id == "GS" || id == "GE" || id == "ST" || id == "SE"
	case 3:
		return id == "IEA"
	}
	return false
}

// closeSet ends a set: its segments are fixed, and a set without SE
// noted.
func (t *tokenizer) closeSet(set *Set, from int) {
	if set == nil {
		return
	}
	set.starts, set.refs = t.starts, t.refs[from:len(t.refs):len(t.refs)]
	if set.SE == nil {
		set.Errors = append(set.Errors, Note{IK5MissingTrailer, "the transaction set has no SE segment"})
	}
}

func closeGroup(g *Group) {
	if g != nil && g.GE == nil {
		g.Errors = append(g.Errors, Note{AK9BadSetCount, "the functional group has no GE segment"})
	}
}

// segment is the Segment of ref, the n-th of its interchange.
func (t *tokenizer) segment(ref segRef, n int) Segment {
	end := ref.first + ref.n
	return Segment{text: t.text, starts: t.starts[ref.first:end:end], Pos: n}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// SWAR constants: a byte repeated over a word, and every byte's low
// seven bits.
const (
	ones = 0x0101010101010101
	low7 = 0x7f7f7f7f7f7f7f7f
)

// zeroBytes has the high bit of each byte of v that is zero set, and no
// other bit (exact: no borrow runs from one byte into the next).
func zeroBytes(v uint64) uint64 { return ^((v&low7 + low7) | v | low7) }

// next reads the segment at pos, up to its terminator, without the line
// breaks and indentation around it. Its element starts are appended to
// t.starts; next is where the segment after it may begin.
func (t *tokenizer) next(pos int, sep Separators) (ref segRef, next int, ok bool) {
	b := t.data
	for pos < len(b) && isSpace(b[pos]) {
		pos++
	}
	if pos >= len(b) {
		return segRef{}, pos, false
	}
	first := len(t.starts)
	starts := append(t.starts, uint32(pos))
	end := -1
	// Eight bytes a step: the word's element separators and terminator
	// are found by comparing every byte at once (no branch a byte), and
	// the separators taken in order from the bits. Segments and elements
	// are a few bytes long, too short for IndexByte's set-up.
	el, term := ones*uint64(sep.Element), ones*uint64(sep.Segment)
	i := pos
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		me, mt := zeroBytes(x^el), zeroBytes(x^term)
		if mt != 0 {
			k := bits.TrailingZeros64(mt)
			for me &= 1<<k - 1; me != 0; me &= me - 1 {
				starts = append(starts, uint32(i+bits.TrailingZeros64(me)>>3+1))
			}
			end = i + k>>3
			break
		}
		for ; me != 0; me &= me - 1 {
			starts = append(starts, uint32(i+bits.TrailingZeros64(me)>>3+1))
		}
	}
	for ; end < 0 && i < len(b); i++ {
		if c := b[i]; c == sep.Segment {
			end = i
		} else if c == sep.Element {
			starts = append(starts, uint32(i+1))
		}
	}
	if end < 0 {
		return segRef{}, len(b), false
	}
	last := end // one past the segment, without a line break before its terminator
	for last > pos && (b[last-1] == '\r' || b[last-1] == '\n') {
		last--
	}
	for int(starts[len(starts)-1]) > last { // a separator trimmed with the line break
		starts = starts[:len(starts)-1]
	}
	starts = append(starts, uint32(last+1))
	t.starts = starts
	return segRef{uint32(first), uint32(len(starts) - first)}, end + 1, true
}

// presize makes room for the rest of the input at once: one allocation
// for its element starts and one for its segments, counted by their
// separators (bytes.Count-fast), rather than slabs that grow and are
// copied. It counts again only for an interchange with other separators.
func (t *tokenizer) presize(pos int, sep Separators) {
	if t.sized == sep {
		return
	}
	t.sized = sep
	rest := t.data[pos:]
	segs := bytes.Count(rest, []byte{sep.Segment}) + 1
	if n := bytes.Count(rest, []byte{sep.Element}) + 2*segs; cap(t.starts)-len(t.starts) < n {
		t.starts = make([]uint32, 0, n)
	}
	if cap(t.refs)-len(t.refs) < segs {
		t.refs = make([]segRef, 0, segs)
	}
}

// isa reads the ISA at pos, whose end is known by its fixed length (its
// ISA16 is read from its place, not as an element).
func (t *tokenizer) isa(pos int, sep byte) Segment {
	first := len(t.starts)
	t.starts = append(t.starts, uint32(pos))
	raw := t.text[pos : pos+104]
	for off := 0; ; {
		j := strings.IndexByte(raw[off:], sep)
		if j < 0 {
			break
		}
		off += j + 1
		t.starts = append(t.starts, uint32(pos+off))
	}
	t.starts = append(t.starts, uint32(pos+len(raw)+1))
	return t.segment(segRef{uint32(first), uint32(len(t.starts) - first)}, 1)
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// sepString is the separator c as a one-byte string (string(c) would be
// the UTF-8 of rune c, two bytes for a separator above 0x7f).
func sepString(c byte) string { return string([]byte{c}) }

// cutByte is strings.Cut around one byte: a component separator, between
// components of a few bytes, where strings.Cut's general search costs more
// than the search itself.
func cutByte(s string, c byte) (before, after string, found bool) {
	if i := strings.IndexByte(s, c); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}
