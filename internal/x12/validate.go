package x12

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/claimscreen/claimscreen/internal/civil"
)

// SegmentError is one IK3 of a 999: a segment the guide does not allow
// where it stands, a required segment or loop missing, or a segment whose
// elements break the guide (its IK4s in Elements).
type SegmentError struct {
	ID       string // the segment's id (the missing segment's, for code 3)
	Position int    // where it was found, in the transaction set: ST is 1
	Loop     string // the loop it is in (IK303), "" outside loops
	Code     string // IK304 (620)
	Elements []ElementError
}

// String says what the error is, by segment, loop and code (no values).
func (e SegmentError) String() string {
	s := fmt.Sprintf("segment %s at %d", e.ID, e.Position)
	if e.Loop != "" {
		s += " (loop " + e.Loop + ")"
	}
	s += ": IK3 " + e.Code + " " + ik3Text[e.Code]
	for _, el := range e.Elements {
		pos := fmt.Sprintf("%s%02d", e.ID, el.Position)
		if el.Component > 0 {
			pos += fmt.Sprintf("-%d", el.Component)
		}
		s += fmt.Sprintf("; %s IK4 %s %s", pos, el.Code, ik4Text[el.Code])
	}
	return s
}

var ik3Text = map[string]string{
	IK3Unrecognized: "unrecognized segment", IK3Unexpected: "unexpected segment", IK3Missing: "required segment or loop missing",
	IK3LoopOverMax: "loop occurs over its maximum", IK3OverMaxUse: "segment exceeds its maximum use",
	IK3ElementErrors: "data element errors", IK3NotUsed: "segment not used in the implementation",
}

var ik4Text = map[string]string{
	IK4Missing: "required element missing", IK4Conditional: "conditionally required element missing", IK4TooMany: "too many elements",
	IK4TooShort: "too short", IK4TooLong: "too long", IK4BadCharacter: "invalid character", IK4BadCode: "invalid code value",
	IK4BadDate: "invalid date", IK4BadTime: "invalid time", IK4Exclusion: "excluded by another element", IK4TooManyComps: "too many components",
	IK4NotUsed: "element not used in the implementation", IK4Pattern: "does not match the guide's pattern",
}

// ElementError is one IK4: the element (and component) position, its data
// element number, the 621 code and the bad value.
type ElementError struct {
	Position, Component int
	Ref                 string
	Code                string
	Value               string
}

// IK3 segment syntax error codes (620).
const (
	IK3Unrecognized  = "1"  // not a segment of the guide
	IK3Unexpected    = "2"  // a segment of the guide, not here
	IK3Missing       = "3"  // a required segment (or loop) missing
	IK3LoopOverMax   = "4"  // a loop repeated more than the guide allows
	IK3OverMaxUse    = "5"  // a segment repeated more than the guide allows
	IK3ElementErrors = "8"  // the IK4s that follow
	IK3NotUsed       = "I4" // a segment the guide marks "not used"
)

// IK4 data element syntax error codes (621).
const (
	IK4Missing      = "1"   // a required element is empty
	IK4Conditional  = "2"   // a syntax rule requires it
	IK4TooMany      = "3"   // more elements than the segment has
	IK4TooShort     = "4"   // shorter than the element's minimum
	IK4TooLong      = "5"   // longer than its maximum
	IK4BadCharacter = "6"   // not a number, or a control character
	IK4BadCode      = "7"   // not one of the guide's values
	IK4BadDate      = "8"   // not a date
	IK4BadTime      = "9"   // not a time
	IK4Exclusion    = "10"  // a syntax rule excludes it
	IK4TooManyComps = "13"  // more components than the composite has
	IK4NotUsed      = "I10" // an element the guide marks "not used"
	IK4Pattern      = "I12" // does not match the guide's pattern
)

// maxSegmentErrors bounds what one transaction set's 999 reports: the
// first 1,000 segment errors are enough to act on, and the 999 of a
// thoroughly broken 50,000-claim set stays small.
const maxSegmentErrors = 1000

// Validate checks a transaction set against the guide (SNIP levels 1 and
// 2): its segments and loops in the guide's order, each where it may
// stand, required ones present, no segment used and no loop repeated more
// than allowed, and every element's presence, type, length and the
// guide's values, and each segment's syntax rules. Loops are recognised
// by their first segment and its qualifier (element 01 when the guide
// fixes its values, HL03 for HL). External code lists (place of service,
// states) are not the 999's business: the screen rejects a claim with a
// bad place of service in its 277CA, the claim alone. nil: the set is
// sound.
func (g *Guide) Validate(s *Set, sep Separators) []SegmentError {
	w := &walker{g: g, sep: sep, start: s.ST.Pos}
	if n := countHL(s); n > 0 {
		w.hls, w.hlSeen = make(map[string]int32, n), make([]hlSeen, 0, n)
	}
	w.push(g.root) // its first item, ST, seen
	w.elements(g.root.items[0].seg, s.ST)
	for i := range s.Len() {
		w.step(s.Segment(i))
	}
	if s.SE != nil {
		w.step(*s.SE)
	} else {
		w.close(0, s.ST)
	}
	w.hierarchy()
	return w.errs
}

// hlParentLevel is the level an HL's parent must be, by the 837 guides:
// a subscriber (22) under a billing provider (20), a patient (23) under a
// subscriber.
var hlParentLevel = map[string]string{"22": "20", "23": "22"}

// hlSeen is an HL of the set: its level, parent, child code and place.
type hlSeen struct {
	level, parent, child string
	children             int
	seg                  Segment
	loop                 string
}

// countHL counts the set's HL segments.
func countHL(s *Set) int {
	n := 0
	for i := range s.Len() {
		if s.Segment(i).ID() == "HL" {
			n++
		}
	}
	return n
}

// hierarchy checks the HL tree by HL01/HL02 (never by file order): HL02
// names an earlier HL of the level the guide puts above (IK4 7 on HL02),
// and an HL whose HL04 says it has no children has none (IK4 7 on HL04).
func (w *walker) hierarchy() {
	for i := range w.hlSeen {
		h := &w.hlSeen[i]
		var errs []ElementError
		if want, ok := hlParentLevel[h.level]; ok {
			if p := w.hlOf(h.parent); p == nil || p.level != want {
				errs = append(errs, ElementError{Position: 2, Ref: "734", Code: IK4BadCode, Value: h.parent})
			}
		}
		// HL04 1 without a child is let be (a subscriber "with" no
		// patient loop is common and harmless; pyx12 allows it too).
		if h.child == "0" && h.children > 0 {
			errs = append(errs, ElementError{Position: 4, Ref: "736", Code: IK4BadCode, Value: h.child})
		}
		if len(errs) > 0 {
			w.report(SegmentError{ID: "HL", Position: w.position(h.seg), Loop: h.loop, Code: IK3ElementErrors, Elements: errs})
		}
	}
}

type frame struct {
	loop *gloop
	pos  int // the item last matched
	// counts are at w.counts[off:off+len(loop.items)]: per item, a
	// segment's uses or a loop's repetitions (one slab for the stack).
	off int
}

type walker struct {
	g      *Guide
	sep    Separators
	start  int // the ST's position in the input
	stack  []frame
	counts []int
	errs   []SegmentError
	hl     int // HL segments so far
	lx     int // LX segments of the current claim
	// The HL tree: the HL segments in order, and by HL01 their place in
	// hlSeen (room for them all taken at once, by a count of the set's HL).
	hls    map[string]int32
	hlSeen []hlSeen
}

// hlOf is the HL whose HL01 is id, nil when none is.
func (w *walker) hlOf(id string) *hlSeen {
	if i, ok := w.hls[id]; ok {
		return &w.hlSeen[i]
	}
	return nil
}

// dateExpression reports the elements of a segment whose date (or period)
// element is written in the format another element names: the format
// element, the value element.
func dateExpressionAt(id string) ([2]int, bool) {
	switch id {
	case "DTP":
		return [2]int{2, 3}, true
	case "DMG":
		return [2]int{1, 2}, true
	}
	return [2]int{}, false
}

func (w *walker) report(e SegmentError) {
	if len(w.errs) < maxSegmentErrors {
		w.errs = append(w.errs, e)
	}
}

// loopID is the innermost loop of the walk (IK303), "" in the header.
func (w *walker) loopID() string {
	for i := len(w.stack) - 1; i > 0; i-- {
		if !w.stack[i].loop.wrapper {
			return w.stack[i].loop.id
		}
	}
	return ""
}

func (w *walker) position(seg Segment) int { return seg.Pos - w.start + 1 }

// step finds where seg stands: a later segment or loop of the current
// loop, or of a loop around it (leaving the inner loops), never an earlier
// one. Required items passed over are reported missing.
func (w *walker) step(seg Segment) {
	id := seg.ID()
	key := idKey(id)
	for d := len(w.stack) - 1; d >= 0; d-- {
		f := &w.stack[d]
		for i := f.pos; i < len(f.loop.items); i++ {
			it := &f.loop.items[i]
			if it.key != key { // not this segment id: neither the segment nor the loop it starts
				continue
			}
			switch {
			case it.seg != nil:
				// A loop's first segment starts a new repetition of the
				// loop: that is found one level out.
				if (i == 0 && !f.loop.wrapper) || !it.seg.matches(id, &seg, w.sep) {
					continue
				}
				w.close(d+1, seg)
				w.skip(f, i, seg)
				f.pos = i
				w.counts[f.off+i]++
				w.use(it.seg, w.counts[f.off+i], seg)
				return
			case it.loop.matches(id, &seg, w.sep):
				w.close(d+1, seg)
				w.skip(f, i, seg)
				f.pos = i
				w.counts[f.off+i]++
				if it.loop.repeat > 0 && w.counts[f.off+i] > it.loop.repeat {
					w.report(SegmentError{ID: id, Position: w.position(seg), Loop: it.loop.id, Code: IK3LoopOverMax})
				}
				w.enter(it.loop, seg)
				return
			}
		}
	}
	code := IK3Unexpected
	if !w.g.known[id] {
		code = IK3Unrecognized
	}
	w.report(SegmentError{ID: id, Position: w.position(seg), Loop: w.loopID(), Code: code})
}

// enter starts a repetition of loop l at seg, its first segment (through
// the wrappers and loops that begin it).
func (w *walker) enter(l *gloop, seg Segment) {
	for {
		w.push(l)
		first := l.items[0]
		if first.seg != nil {
			w.use(first.seg, 1, seg)
			return
		}
		l = first.loop
	}
}

// use checks a segment found where the guide has it.
func (w *walker) use(gs *gseg, count int, seg Segment) {
	switch {
	case gs.usage == 'N':
		w.report(SegmentError{ID: gs.id, Position: w.position(seg), Loop: w.loopID(), Code: IK3NotUsed})
		return
	case gs.maxUse > 0 && count > gs.maxUse:
		w.report(SegmentError{ID: gs.id, Position: w.position(seg), Loop: w.loopID(), Code: IK3OverMaxUse})
	}
	w.elements(gs, seg)
}

// skip reports the required items of f between its current one and item
// to that were never seen.
func (w *walker) skip(f *frame, to int, at Segment) {
	for _, i := range f.loop.required {
		if i > f.pos && i < to {
			w.missing(f.loop, i, at)
		}
	}
}

func (w *walker) missing(l *gloop, i int, at Segment) {
	it := l.items[i]
	if it.seg != nil {
		if it.seg.usage == 'R' {
			w.report(SegmentError{ID: it.seg.id, Position: w.position(at), Loop: w.loopID(), Code: IK3Missing})
		}
		return
	}
	if it.loop.usage == 'R' {
		loop := it.loop.id
		if it.loop.wrapper {
			loop = "" // the header or detail table, not a loop of the guide
		}
		w.report(SegmentError{ID: it.loop.first().id, Position: w.position(at), Loop: loop, Code: IK3Missing})
	}
}

// close leaves the loops from depth d in, reporting what each still
// required.
func (w *walker) close(d int, at Segment) {
	for len(w.stack) > d {
		f := &w.stack[len(w.stack)-1]
		for _, i := range f.loop.required {
			if i > f.pos && w.counts[f.off+i] == 0 {
				w.missing(f.loop, i, at)
			}
		}
		w.counts = w.counts[:f.off]
		w.stack = w.stack[:len(w.stack)-1]
	}
}

// push starts a repetition of l, its first item seen.
func (w *walker) push(l *gloop) {
	off := len(w.counts)
	w.counts = append(w.counts, make([]int, len(l.items))...)
	w.counts[off] = 1
	w.stack = append(w.stack, frame{loop: l, off: off})
}

func (l *gloop) first() *gseg {
	for l.items[0].seg == nil {
		l = l.items[0].loop
	}
	return l.items[0].seg
}

func (l *gloop) matches(id string, seg *Segment, sep Separators) bool {
	return l.first().matches(id, seg, sep)
}

// matches reports whether seg, whose id is id (read once a step), is the
// guide's segment gs.
func (gs *gseg) matches(id string, seg *Segment, sep Separators) bool {
	if id != gs.id {
		return false
	}
	if gs.key == 0 {
		return true
	}
	v := seg.E(gs.key)
	if gs.keyComp > 0 {
		v, _, _ = cutByte(v, sep.Component)
	}
	return gs.keyCodes.has(v)
}

// elements checks a segment's elements and syntax rules; any error is an
// IK3 8 with its IK4s.
func (w *walker) elements(gs *gseg, seg Segment) {
	var errs []ElementError
	add := func(pos, comp int, ref, code, value string) {
		if len(errs) < 99 { // the 999's IK4 repeat
			errs = append(errs, ElementError{Position: pos, Component: comp, Ref: ref, Code: code, Value: value})
		}
	}
	// The elements once, into an array on the stack: each is read by
	// index below, not found again from the segment's offsets.
	var arr [24]string // CLM, the longest, has 21
	vals := seg.AppendElements(arr[:0])
	el := func(i int) string {
		if i < len(vals) {
			return vals[i]
		}
		return ""
	}
	n := len(vals) - 1
	if last := gs.elems[len(gs.elems)-1].seq; n > last {
		add(last+1, 0, "", IK4TooMany, "")
	}
	for i := range gs.elems {
		e := &gs.elems[i] // by pointer: an element's rules are a dozen words
		if e.seq > n && e.seq > gs.lastRequired {
			break // the rest are absent, and none is required
		}
		v := el(e.seq)
		if e.typ != "" {
			if code := e.check(v); code != "" {
				add(e.seq, 0, e.ref, code, value(code, v))
			}
			continue
		}
		switch {
		case v == "":
			if e.usage == 'R' {
				add(e.seq, 0, e.ref, IK4Missing, "")
			}
			continue
		case e.usage == 'N':
			add(e.seq, 0, e.ref, IK4NotUsed, "")
			continue
		}
		if n := strings.Count(v, sepString(w.sep.Component)) + 1; n > len(e.comp) {
			add(e.seq, len(e.comp)+1, e.ref, IK4TooManyComps, "")
		}
		rest, at := v, 1 // the components, one by one
		for j := range e.comp {
			c := &e.comp[j]
			cv := ""
			for at <= c.seq && rest != "" {
				var next string
				cv, next, _ = cutByte(rest, w.sep.Component)
				if at < c.seq {
					cv = ""
				}
				rest, at = next, at+1
			}
			if at <= c.seq {
				cv = ""
			}
			if code := c.check(cv); code != "" {
				add(e.seq, c.seq, c.ref, code, value(code, cv))
			}
		}
	}
	present := func(i int) bool { return el(i) != "" }
	for _, r := range gs.syntax {
		switch r.kind {
		case 'P': // all or none
			some := false
			for _, i := range r.elems {
				some = some || present(i)
			}
			for _, i := range r.elems {
				if some && !present(i) {
					add(i, 0, "", IK4Conditional, "")
				}
			}
		case 'R': // at least one
			some := false
			for _, i := range r.elems {
				some = some || present(i)
			}
			if !some {
				add(r.elems[0], 0, "", IK4Conditional, "")
			}
		case 'C': // the first, then all the others
			if present(r.elems[0]) {
				for _, i := range r.elems[1:] {
					if !present(i) {
						add(i, 0, "", IK4Conditional, "")
					}
				}
			}
		case 'L': // the first, then at least one other
			if present(r.elems[0]) {
				some := false
				for _, i := range r.elems[1:] {
					some = some || present(i)
				}
				if !some {
					add(r.elems[1], 0, "", IK4Conditional, "")
				}
			}
		case 'E': // at most one
			seen := false
			for _, i := range r.elems {
				if present(i) {
					if seen {
						add(i, 0, "", IK4Exclusion, seg.E(i))
					}
					seen = true
				}
			}
		}
	}
	if at, ok := dateExpressionAt(gs.id); ok {
		if code := dateExpression(seg.E(at[0]), seg.E(at[1])); code != "" {
			add(at[1], 0, "1251", code, seg.E(at[1]))
		}
	}
	// HL01 counts the HL segments of the set from 1, LX01 the lines of
	// the claim (the TR3's rule for both).
	switch gs.id {
	case "HL":
		w.hl++
		if v := seg.E(1); !counts(v, w.hl) {
			add(1, 0, "628", IK4BadCode, v)
		}
		if id := seg.E(1); w.hlOf(id) == nil { // a second HL01 is caught by the count
			if p := w.hlOf(seg.E(2)); p != nil {
				p.children++
			}
			w.hls[id] = int32(len(w.hlSeen)) // made by Validate, sized by countHL
			w.hlSeen = append(w.hlSeen, hlSeen{level: seg.E(3), parent: seg.E(2), child: seg.E(4), seg: seg, loop: w.loopID()})
		}
	case "CLM":
		w.lx = 0
	case "LX":
		w.lx++
		if v := seg.E(1); !counts(v, w.lx) {
			add(1, 0, "554", IK4BadCode, v)
		}
	}
	// An element separator before the terminator is an empty element
	// written where X12 wants none.
	if n := len(vals); n > 1 && vals[n-1] == "" {
		add(n-1, 0, "", IK4TooMany, "")
	}
	if len(errs) > 0 {
		w.report(SegmentError{ID: seg.ID(), Position: w.position(seg), Loop: w.loopID(), Code: IK3ElementErrors, Elements: errs})
	}
}

// counts reports whether v is n written in digits, without leading zeros.
func counts(v string, n int) bool {
	i, err := strconv.Atoi(v)
	return err == nil && i == n && v[0] != '0' && v[0] != '+' && v[0] != '-'
}

// value is the IK404 of an error: the bad value, none for a missing or
// not-used element.
func value(code, v string) string {
	if code == IK4Missing || code == IK4NotUsed {
		return ""
	}
	return v
}

// check is one simple element's 621 code, "" when it is sound.
func (e *gelem) check(v string) string {
	switch {
	case v == "":
		if e.usage == 'R' {
			return IK4Missing
		}
		return ""
	case e.usage == 'N':
		return IK4NotUsed
	}
	n := len(v) // characters: bytes, unless v holds non-ASCII (then counted below)
	switch e.typ {
	case "N0", "N2", "R":
		digits, ok := number(v, e.typ == "R")
		if !ok {
			return IK4BadCharacter
		}
		n = digits
	case "DT":
		if !date(v) {
			return IK4BadDate
		}
	case "TM":
		if !clock(v) {
			return IK4BadTime
		}
	default: // numbers, dates and times are ASCII when they are sound
		ascii := true
		for i := 0; i < len(v); i++ {
			c := v[i]
			if c < 0x20 || c == 0x7f {
				return IK4BadCharacter
			}
			ascii = ascii && c < 0x80
		}
		if !ascii {
			n = utf8.RuneCountInString(v)
		}
	}
	switch {
	case n < e.min:
		return IK4TooShort
	case n > e.max:
		return IK4TooLong
	case e.codes != nil && !e.codes.has(v):
		return IK4BadCode
	case e.digits > 0 && (len(v) != e.digits || !allDigits(v)):
		return IK4Pattern
	}
	return ""
}

// number reports whether v is an X12 number (N: digits, R: digits with at
// most one decimal point; either with a leading minus) and how many digits
// it has (its length, which counts neither sign nor point).
func number(v string, decimal bool) (int, bool) {
	v = strings.TrimPrefix(v, "-")
	digits, point := 0, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && decimal && !point:
			point = true
		default:
			return 0, false
		}
	}
	return digits, digits > 0
}

// date reports whether v is CCYYMMDD (or YYMMDD) and a real day.
func date(v string) bool {
	if (len(v) != 8 && len(v) != 6) || !allDigits(v) {
		return false
	}
	y, _ := strconv.Atoi(v[:len(v)-4])
	if len(v) == 6 { // YYMMDD: 69–99 are 19xx, 00–68 20xx, as time.Parse reads "06"
		if y < 69 {
			y += 2000
		} else {
			y += 1900
		}
	}
	m, _ := strconv.Atoi(v[len(v)-4 : len(v)-2])
	d, _ := strconv.Atoi(v[len(v)-2:])
	return m >= 1 && m <= 12 && d >= 1 && d <= civil.DaysIn(y, m)
}

// clock reports whether v is HHMM, HHMMSS or HHMMSSd… (up to 8 digits).
func clock(v string) bool {
	if len(v) < 4 || len(v) > 8 || len(v) == 5 || !allDigits(v) {
		return false
	}
	hh, _ := strconv.Atoi(v[0:2])
	mm, _ := strconv.Atoi(v[2:4])
	if hh > 23 || mm > 59 {
		return false
	}
	if len(v) >= 6 {
		ss, _ := strconv.Atoi(v[4:6])
		return ss <= 59
	}
	return true
}

// dateExpression checks DTP03 against its format qualifier DTP02: D8 a
// date, RD8 two dates joined by a hyphen, the first not after the second.
func dateExpression(format, v string) string {
	switch format {
	case "D8":
		if !date(v) || len(v) != 8 {
			return IK4BadDate
		}
	case "RD8":
		from, through, ok := strings.Cut(v, "-")
		if !ok || len(from) != 8 || len(through) != 8 || !date(from) || !date(through) || from > through {
			return IK4BadDate
		}
	}
	return ""
}
