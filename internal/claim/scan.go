package claim

import (
	"encoding/json"
	"slices"
	"sync"
	"time"
)

// scan reads a plain claim.v1 message straight into a Text and builds the
// claim from it (Build), without the JSON parser: plain means the message
// is ASCII, its strings are not empty and hold no escape, its numbers are whole and written
// without sign, fraction or exponent, no value is null, no array is
// empty, and every key is a known one, given once. ok is false for any
// other message, and for one Build refuses: the decoder's full reading
// then decides (TestScanIsDecode, FuzzDecode compare the two). The
// claim's strings are substrings of one copy of msg; it keeps nothing
// else of the scanner's.
func (d *Decoder) scan(msg []byte, received time.Time) (*Claim, bool) {
	if len(msg) > d.lim.MaxBytes {
		return nil, false
	}
	p := scanners.Get().(*scanner)
	defer p.release()
	p.s = string(msg)
	t := &p.t
	if !p.claim(t) {
		return nil, false
	}
	if p.ws(); p.i != len(p.s) {
		return nil, false
	}
	return d.Build(t, received)
}

// scanners hold a scanner's scratch (the Text, its lines and diagnoses,
// which Build copies) from one message to the next.
var scanners = sync.Pool{New: func() any { return &scanner{} }}

// release empties p for the next message and returns it to the pool.
func (p *scanner) release() {
	clear(p.tLines) // nothing of this message stays reachable from the pool
	clear(p.dxs)
	*p = scanner{tLines: p.tLines[:0], dxs: p.dxs[:0]}
	scanners.Put(p)
}

// scanner reads s from i on.
type scanner struct {
	s string
	i int
	// Room for the lines' modifiers and pointers, shared by the lines (the
	// claim keeps them).
	mods []string
	ptrs []int
	// Scratch, reused: the Text read and its parts.
	t        Text
	tPatient TextPatient
	tPeriod  TextPeriod
	tLines   []TextLine
	dxs      []Dx
}

func (p *scanner) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// is reads byte c, after white space, if it comes next.
func (p *scanner) is(c byte) bool {
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string of printable ASCII without escapes, not empty.
func (p *scanner) str() (string, bool) {
	if !p.is('"') {
		return "", false
	}
	for j := p.i; j < len(p.s); j++ {
		switch c := p.s[j]; {
		case c == '"':
			if j == p.i {
				return "", false // in a Text "" is a field left out: an empty string is not plain
			}
			v := p.s[p.i:j]
			p.i = j + 1
			return v, true
		case c < 0x20 || c > 0x7e || c == '\\':
			return "", false
		}
	}
	return "", false
}

// num reads a whole number of up to nine digits, no sign, fraction or
// exponent, no leading zero.
func (p *scanner) num() (string, bool) {
	p.ws()
	j := p.i
	for j < len(p.s) && isDigit(p.s[j]) {
		j++
	}
	n := j - p.i
	if n == 0 || n > 9 || (n > 1 && p.s[p.i] == '0') {
		return "", false
	}
	if j < len(p.s) && (p.s[j] == '.' || p.s[j] == 'e' || p.s[j] == 'E') {
		return "", false
	}
	v := p.s[p.i:j]
	p.i = j
	return v, true
}

// strAt and intAt read an array's element (str, int).
func (p *scanner) strAt(int) (string, bool) { return p.str() }
func (p *scanner) intAt(int) (int, bool)    { return p.int() }

func (p *scanner) int() (int, bool) {
	v, ok := p.num()
	n := 0
	for i := 0; i < len(v); i++ {
		n = n*10 + int(v[i]-'0')
	}
	return n, ok
}

// member reads the next key of an object whose '{' is read, n members
// in: done at its '}' (an empty object for n == 0).
func (p *scanner) member(n int) (key string, done, ok bool) {
	if p.is('}') {
		return "", true, true
	}
	if n > 0 && !p.is(',') {
		return "", false, false
	}
	k, ok := p.str()
	if !ok || !p.is(':') {
		return "", false, false
	}
	return k, false, true
}

// elem reads up to the next element of an array whose '[' is read, n
// elements in: done at its ']'. An empty array is not plain.
func (p *scanner) elem(n int) (done, ok bool) {
	if n > 0 && p.is(']') {
		return true, true
	}
	if n > 0 && !p.is(',') {
		return false, false
	}
	return false, true
}

// object reads an object whose keys are among keys, each at most once,
// each member's value read by value (given the key's index in keys).
func (p *scanner) object(keys []string, value func(k int) bool) bool {
	if !p.is('{') {
		return false
	}
	var seen uint32
	for n := 0; ; n++ {
		key, done, ok := p.member(n)
		if !ok || done {
			return ok
		}
		k := slices.Index(keys, key)
		if k < 0 || seen&(1<<k) != 0 || !value(k) {
			return false
		}
		seen |= 1 << k
	}
}

// The keys are the decoder's (claimFields …), in the same order.
func (p *scanner) claim(t *Text) bool {
	strs := [...]*string{0: &t.ClaimID, 1: &t.OriginatorID, 2: &t.Frequency, 3: &t.Form, 4: &t.ReceivedAt, 6: &t.PlaceOfService, 10: &t.TotalCharge, 11: &t.BillType}
	return p.object(claimFields, func(k int) (ok bool) {
		switch k {
		case 5:
			t.Patient = &p.tPatient
			return p.strObject(patientFields, &t.Patient.MemberID, &t.Patient.BirthDate, &t.Patient.Sex)
		case 7:
			t.StatementPeriod = &p.tPeriod
			return p.strObject(periodFields, &t.StatementPeriod.From, &t.StatementPeriod.Through)
		case 8:
			return p.diagnoses(t)
		case 9:
			return p.lines(t)
		}
		*strs[k], ok = p.str()
		return ok
	})
}

// strObject reads an object of string members, each of keys at most once,
// into dst (dst[i] is keys[i]'s).
func (p *scanner) strObject(keys []string, dst ...*string) bool {
	return p.object(keys, func(k int) (ok bool) {
		*dst[k], ok = p.str()
		return ok
	})
}

func (p *scanner) diagnoses(t *Text) (ok bool) {
	t.Diagnoses, ok = array(p, &p.dxs, func(p *scanner, _ int) (Dx, bool) {
		dx := Dx{System: ICD10CM} // as the decoder, when system is not given
		ok := p.strObject(dxFields, &dx.Code, &dx.System)
		return dx, ok
	})
	return ok
}

func (p *scanner) lines(t *Text) (ok bool) {
	t.Lines, ok = array(p, &p.tLines, func(p *scanner, i int) (TextLine, bool) {
		l := TextLine{Number: i + 1} // as the decoder, when number is not given
		ok := p.line(&l)
		return l, ok
	})
	return ok
}

func (p *scanner) line(l *TextLine) bool {
	return p.object(lineFields, func(k int) (ok bool) {
		switch k {
		case 0:
			l.Number, ok = p.int()
		case 1:
			return p.object(procFields, func(k int) (ok bool) {
				if k == 0 {
					l.Procedure.Code, ok = p.str()
				} else {
					l.Procedure.Modifiers, ok = array(p, &p.mods, (*scanner).strAt)
				}
				return ok
			})
		case 2:
			l.ServiceDate, ok = p.str()
		case 3:
			var u string
			u, ok = p.num()
			l.Units = json.Number(u)
		case 4:
			l.Charge, ok = p.str()
		case 5:
			l.PlaceOfService, ok = p.str()
		case 6:
			l.Pointers, ok = array(p, &p.ptrs, (*scanner).intAt)
		}
		return ok
	})
}

// array reads an array of values, each read by one (given its index),
// onto the end of slab; it returns them as a capped run of slab.
func array[T any](p *scanner, slab *[]T, one func(p *scanner, i int) (T, bool)) ([]T, bool) {
	if !p.is('[') {
		return nil, false
	}
	start := len(*slab)
	for n := 0; ; n++ {
		done, ok := p.elem(n)
		if !ok {
			return nil, false
		}
		if done {
			return (*slab)[start:len(*slab):len(*slab)], true
		}
		v, ok := one(p, n)
		if !ok {
			return nil, false
		}
		if *slab == nil {
			*slab = make([]T, 0, 16)
		}
		*slab = append(*slab, v)
	}
}
