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
	"fmt"
	"strconv"
	"strings"
)

// Separators of an interchange.
type Separators struct {
	Element, Component, Segment byte
	Repetition                  byte // 0: none
}

// Segment is one segment: its text and where its elements start. Element
// 0 is the id, so E(i) is the X12 element i. The offsets of all the
// segments of an input share one slab without pointers: the collector
// neither scans it nor pays a write barrier an element, as it did for a
// slab of substrings.
type Segment struct {
	raw string // the segment, without its terminator and line break
	// starts[i] is where element i starts; starts[Len()] is len(raw)+1,
	// where one more element would, so element i is
	// raw[starts[i]:starts[i+1]-1].
	starts []uint32
	Pos    int // 1-based position of the segment in the input
}

// ID is the segment id (ISA, GS, ST, CLM …).
func (s Segment) ID() string {
	if len(s.starts) < 2 {
		return ""
	}
	return s.raw[:s.starts[1]-1]
}

// Len is the number of elements, the id counted (ST*0001*837 has 3).
func (s Segment) Len() int { return max(len(s.starts)-1, 0) }

// E returns element i, or "" when the segment has fewer.
func (s Segment) E(i int) string {
	if i < 0 || i >= len(s.starts)-1 {
		return ""
	}
	return s.raw[s.starts[i] : s.starts[i+1]-1]
}

// AppendElements appends every element, the id first, to dst.
func (s Segment) AppendElements(dst []string) []string {
	for i := 0; i+1 < len(s.starts); i++ {
		dst = append(dst, s.raw[s.starts[i]:s.starts[i+1]-1])
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
	ST       Segment
	Segments []Segment // the segments between ST and SE
	SE       *Segment
	ID       string // ST01 (837)
	Control  string // ST02
	Version  string // ST03, or the group's GS08 when absent
	// Errors are its 999 IK5 transaction set syntax error codes (718).
	Errors []Note
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
func Looks(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimLeft(data, " \t\r\n")
	return bytes.HasPrefix(data, []byte("ISA"))
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
	start := 0
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		start = 3
	}
	var out []*Interchange
	seen := map[string]bool{}
	slab := &slabPool{}
	s := string(data) // one copy; every element is a substring of it
	pos := start
	for {
		for pos < len(s) && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\r' || s[pos] == '\n') {
			pos++
		}
		if pos >= len(s) {
			break
		}
		ic, next, err := parseInterchange(s, pos, slab)
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

func parseInterchange(s string, pos int, slab *slabPool) (*Interchange, int, error) {
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
	ic.ISA = slab.split(isa[:104], sep.Element)
	ic.ISA.Pos = 1
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

	slab.presize(s[pos:], sep)
	n := 1 // segments read, the ISA being the first
	pos += isaLen
	var g *Group
	var set *Set
	for {
		seg, next, ok := nextSegment(s, pos, sep, slab)
		if !ok {
			ic.Notes = append(ic.Notes, Note{TA1ImproperEnd, "the input ends before the IEA segment"})
			closeSet(set, slab)
			closeGroup(g)
			return ic, len(s), nil
		}
		pos = next
		n++
		seg.Pos = n
		switch seg.ID() {
		case "IEA":
			closeSet(set, slab)
			closeGroup(g)
			iea := seg // a copy: taking seg's address would put every segment on the heap
			ic.IEA = &iea
			if seg.E(2) != ic.Control {
				ic.Notes = append(ic.Notes, Note{TA1ControlMismatch, fmt.Sprintf("ISA13 %s and IEA02 %s differ", ic.Control, seg.E(2))})
			}
			if c, err := strconv.Atoi(seg.E(1)); err != nil || c != len(ic.Groups) {
				ic.Notes = append(ic.Notes, Note{TA1BadGroupCount, fmt.Sprintf("IEA01 %q, but the interchange has %d functional groups", seg.E(1), len(ic.Groups))})
			}
			return ic, pos, nil
		case "GS":
			closeSet(set, slab)
			closeGroup(g)
			set = nil
			g = &Group{GS: seg, Control: seg.E(6), Sender: seg.E(2), Receiver: seg.E(3), Version: seg.E(8)}
			ic.Groups = append(ic.Groups, g)
		case "GE":
			closeSet(set, slab)
			set = nil
			if g == nil {
				ic.Notes = append(ic.Notes, Note{TA1BadControlStructure, fmt.Sprintf("segment %d: GE without a GS", n)})
				continue
			}
			ge := seg
			g.GE = &ge
			if seg.E(2) != g.Control {
				g.Errors = append(g.Errors, Note{AK9ControlMismatch, fmt.Sprintf("GS06 %s and GE02 %s differ", g.Control, seg.E(2))})
			}
			if c, err := strconv.Atoi(seg.E(1)); err != nil || c != len(g.Sets) {
				g.Errors = append(g.Errors, Note{AK9BadSetCount, fmt.Sprintf("GE01 %q, but the group has %d transaction sets", seg.E(1), len(g.Sets))})
			}
			g = nil
		case "ST":
			closeSet(set, slab)
			if g == nil {
				ic.Notes = append(ic.Notes, Note{TA1BadControlStructure, fmt.Sprintf("segment %d: ST outside a functional group", n)})
				set = nil
				continue
			}
			set = &Set{ST: seg, ID: seg.E(1), Control: seg.E(2), Version: seg.E(3), Segments: slab.segs.open()}
			if set.Version == "" {
				set.Version = g.Version
			}
			g.Sets = append(g.Sets, set)
		case "SE":
			if set == nil {
				ic.Notes = append(ic.Notes, Note{TA1BadControlStructure, fmt.Sprintf("segment %d: SE without an ST", n)})
				continue
			}
			se := seg
			set.SE = &se
			if seg.E(2) != set.Control {
				set.Errors = append(set.Errors, Note{IK5ControlMismatch, fmt.Sprintf("ST02 %s and SE02 %s differ", set.Control, seg.E(2))})
			}
			// SE01 counts the segments from ST to SE, both included.
			if c, err := strconv.Atoi(seg.E(1)); err != nil || c != len(set.Segments)+2 {
				set.Errors = append(set.Errors, Note{IK5BadSegmentCount, fmt.Sprintf("SE01 %q, but the transaction set has %d segments", seg.E(1), len(set.Segments)+2)})
			}
			closeSet(set, slab)
			set = nil
		default:
			if set == nil && g == nil && seg.ID() == "TA1" {
				ic.TA1 = append(ic.TA1, seg) // interchange acknowledgements come before any GS
				continue
			}
			if set == nil {
				ic.Notes = append(ic.Notes, Note{TA1BadControlStructure, fmt.Sprintf("segment %d (%s) is outside a transaction set", n, seg.ID())})
				continue
			}
			set.Segments = append(set.Segments, seg)
		}
	}
}

// closeSet ends a set: its segments are fixed (and their room in the
// slab taken), and a set without SE noted.
func closeSet(set *Set, slab *slabPool) {
	if set == nil {
		return
	}
	set.Segments = slab.segs.done(set.Segments)
	if set.SE == nil {
		set.Errors = append(set.Errors, Note{IK5MissingTrailer, "the transaction set has no SE segment"})
	}
}

func closeGroup(g *Group) {
	if g != nil && g.GE == nil {
		g.Errors = append(g.Errors, Note{AK9BadSetCount, "the functional group has no GE segment"})
	}
}

// nextSegment reads the segment at pos: up to its terminator, without the
// line breaks and indentation around it.
func nextSegment(s string, pos int, sep Separators, p *slabPool) (Segment, int, bool) {
	for pos < len(s) && (s[pos] == '\r' || s[pos] == '\n' || s[pos] == ' ' || s[pos] == '\t') {
		pos++
	}
	if pos >= len(s) {
		return Segment{}, pos, false
	}
	// One pass finds the terminator and the element separators before it:
	// elements are a few bytes long, shorter than a call to IndexByte pays.
	starts := append(p.room(), 0)
	end := -1
	for i := pos; i < len(s); i++ {
		if c := s[i]; c == sep.Segment {
			end = i
			break
		} else if c == sep.Element {
			starts = append(starts, uint32(i-pos+1))
		}
	}
	if end < 0 {
		return Segment{}, len(s), false
	}
	raw := s[pos:end]
	for len(raw) > 0 && (raw[len(raw)-1] == '\r' || raw[len(raw)-1] == '\n') {
		raw = raw[:len(raw)-1]
	}
	for int(starts[len(starts)-1]) > len(raw) { // a separator trimmed with the line break
		starts = starts[:len(starts)-1]
	}
	starts = append(starts, uint32(len(raw)+1))
	return Segment{raw: raw, starts: p.starts.done(starts)}, end + 1, true
}

// slabPool hands out windows of shared slabs: the element starts of many
// segments in one allocation, and the sets' segments in another. Each
// Parse has its own.
type slabPool struct {
	starts window[uint32]  // backs the segments' element starts
	segs   window[Segment] // backs the sets' Segments
}

// window hands out consecutive runs of one backing array: a run is
// appended to in place, after the runs before it, and fixed by done; a run
// that outgrows the room left moves out by append, as any slice does.
type window[T any] struct{ buf []T } // len(buf): what the runs took

// open is a new, empty run with the room that is left.
func (w *window[T]) open() []T { return w.buf[len(w.buf):len(w.buf)] }

// done takes the room a run used (unless it moved) and caps it, so that
// nothing appended later reaches it.
func (w *window[T]) done(run []T) []T {
	if n := len(run); cap(w.buf)-len(w.buf) >= n {
		w.buf = w.buf[:len(w.buf)+n]
	}
	return run[:len(run):len(run)]
}

// presize makes room for the rest of the input at once when the pool is
// low: one allocation for its element starts and one for its segments,
// counted by their separators (bytes.Count-fast), rather than slabs and
// slices that grow and are copied.
func (p *slabPool) presize(rest string, sep Separators) {
	if n := strings.Count(rest, sepString(sep.Segment)) + 1; cap(p.segs.buf)-len(p.segs.buf) < n {
		p.segs.buf = make([]Segment, 0, n)
	}
	if n := strings.Count(rest, sepString(sep.Element)) + 2*strings.Count(rest, sepString(sep.Segment)) + 2; cap(p.starts.buf)-len(p.starts.buf) < n {
		p.starts.buf = make([]uint32, 0, max(n, slabSize))
	}
}

const slabSize = 4096

// room opens a run of element starts, with a new slab when the one in use
// is nearly full.
func (p *slabPool) room() []uint32 {
	if cap(p.starts.buf)-len(p.starts.buf) < 64 {
		p.starts.buf = make([]uint32, 0, slabSize)
	}
	return p.starts.open()
}

// split is the segment raw, all of it: the ISA, whose end is known by its
// fixed length. nextSegment has the same loop bounded by the terminator,
// kept apart because the hot path measured faster without a terminator
// test that can be switched off.
func (p *slabPool) split(raw string, sep byte) Segment {
	starts := append(p.room(), 0)
	for off := 0; ; {
		j := strings.IndexByte(raw[off:], sep)
		if j < 0 {
			break
		}
		off += j + 1
		starts = append(starts, uint32(off))
	}
	starts = append(starts, uint32(len(raw)+1))
	return Segment{raw: raw, starts: p.starts.done(starts)}
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
