package x12

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// The implementation guides (TR3s) 837s are validated against, as data:
// guides/VERSION.guide, one line per loop, segment, syntax rule, element
// and composite, nested by indentation (the format is described at the top
// of each file; internal/x12/guidegen writes them from pyx12's maps).
//
//go:embed guides/*.guide
var guideFiles embed.FS

// Guide is one implementation guide: the transaction set's loops in
// order, each with its segments and inner loops.
type Guide struct {
	Version, Form string
	root          *gloop
	known         map[string]bool // every segment id the guide uses
}

type gloop struct {
	id, name string
	usage    byte
	repeat   int // 0: unbounded
	wrapper  bool
	items    []gitem
	// required are the indexes of the required items, in order: what a
	// walk leaving or passing over items has to report when unseen.
	required []int
}

// gitem is a segment or a loop of a loop, in the guide's order.
type gitem struct {
	seg  *gseg
	loop *gloop
	key  uint32 // idKey of the segment id it starts with
}

// idKey packs a segment id (two or three letters and digits) into a word,
// so that a walk compares ids as integers; a longer id keeps its first
// three bytes and its length, and the full comparison that follows tells
// it apart.
func idKey(id string) uint32 {
	k := uint32(len(id)) << 24
	for i := 0; i < len(id) && i < 3; i++ {
		k |= uint32(id[i]) << (16 - 8*i)
	}
	return k
}

type gseg struct {
	id, name string
	usage    byte
	maxUse   int // 0: unbounded
	elems    []gelem
	syntax   []syntaxRule
	// The qualifier that tells this segment from others with its id:
	// element key (component keyComp when > 0) must be one of keyCodes.
	key, keyComp int
	keyCodes     *codeSet
	// lastRequired is the position of the last required element: past the
	// segment's last element and it, no element can be in error.
	lastRequired int
}

// codeSet is an element's code values: a handful (most qualifiers) compared
// one by one, which is faster than hashing the value; more in a map.
type codeSet struct {
	few  []string
	many map[string]bool
}

func newCodeSet(codes []string) *codeSet {
	if len(codes) <= 8 {
		return &codeSet{few: codes}
	}
	c := &codeSet{many: make(map[string]bool, len(codes))}
	for _, v := range codes {
		c.many[v] = true
	}
	return c
}

func (c *codeSet) has(v string) bool {
	if c.many != nil {
		return c.many[v]
	}
	for _, f := range c.few {
		if f == v {
			return true
		}
	}
	return false
}

type gelem struct {
	seq      int
	usage    byte
	ref      string // the data element (or composite) number
	typ      string // AN ID N0 N2 R DT TM; "" for a composite
	min, max int
	codes    *codeSet // nil: any value
	external string   // an external code list, not checked here
	digits   int      // > 0: the guide's pattern, exactly this many digits
	comp     []gelem
}

// syntaxRule is an X12 relational condition: P paired, R required (at
// least one), C conditional (if the first, then all the others), L list
// conditional (if the first, then at least one other), E exclusion (at
// most one).
type syntaxRule struct {
	kind  byte
	elems []int
}

// GuideFor returns the guide a transaction set's version is validated
// against, and whether the version is an accepted unsuffixed one
// (005010X222, 005010X223: validated against the addenda guide, accepted
// with a warning). nil: no guide for this version.
func GuideFor(version string) (g *Guide, unsuffixed bool) {
	loadGuides()
	switch version {
	case "005010X222A1", "005010X223A2":
		return guides[version], false
	case "005010X222":
		return guides["005010X222A1"], true
	case "005010X223", "005010X223A1":
		return guides["005010X223A2"], true
	}
	return nil, false
}

var (
	guidesOnce sync.Once
	guides     map[string]*Guide
)

func loadGuides() {
	guidesOnce.Do(func() {
		guides = map[string]*Guide{}
		entries, err := guideFiles.ReadDir("guides")
		if err != nil {
			panic(err)
		}
		for _, e := range entries {
			raw, err := guideFiles.ReadFile("guides/" + e.Name())
			if err != nil {
				panic(err)
			}
			g, err := ParseGuide(raw)
			if err != nil {
				// The guides are part of the binary: a bad one is a bug
				// the tests catch.
				panic(fmt.Sprintf("x12: guides/%s: %v", e.Name(), err))
			}
			guides[g.Version] = g
		}
	})
}

// ParseGuide reads a guide file.
func ParseGuide(raw []byte) (*Guide, error) {
	g := &Guide{known: map[string]bool{}}
	type open struct {
		depth int
		loop  *gloop
		seg   *gseg
		comp  *gelem
	}
	var stack []open // the loops, segment and composite lines are inside
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		text := strings.TrimLeft(line, " ")
		if text == "" || text[0] == '#' {
			continue
		}
		depth := (len(line) - len(text)) / 2
		f := strings.Fields(text)
		if len(f) == 0 {
			continue // white space other than the indentation's spaces
		}
		bad := func(why string) error { return fmt.Errorf("line %d: %s: %q", n, why, text) }
		for len(stack) > 0 && stack[len(stack)-1].depth >= depth {
			stack = stack[:len(stack)-1]
		}
		var top open
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch f[0] {
		case "version":
			if len(f) != 3 {
				return nil, bad("want: version VERSION FORM")
			}
			g.Version, g.Form = f[1], f[2]
		case "loop", "seg":
			if len(f) < 4 || len(f[2]) != 1 {
				return nil, bad("want: " + f[0] + " ID USAGE COUNT NAME")
			}
			count, err := strconv.Atoi(f[3])
			if err != nil {
				return nil, bad("count")
			}
			name := strings.Join(f[4:], " ")
			if f[0] == "seg" {
				if top.loop == nil || top.seg != nil {
					return nil, bad("a segment outside a loop")
				}
				s := &gseg{id: f[1], name: name, usage: f[2][0], maxUse: count}
				top.loop.items = append(top.loop.items, gitem{seg: s})
				g.known[s.id] = true
				stack = append(stack, open{depth: depth, seg: s})
				continue
			}
			l := &gloop{id: strings.TrimPrefix(f[1], "="), wrapper: f[1][0] == '=', name: name, usage: f[2][0], repeat: count}
			switch {
			case g.root == nil && top.loop == nil:
				g.root = l
			case top.loop != nil:
				top.loop.items = append(top.loop.items, gitem{loop: l})
			default:
				return nil, bad("a loop inside a segment")
			}
			stack = append(stack, open{depth: depth, loop: l})
		case "syntax":
			if top.seg == nil || len(f) != 2 || len(f[1]) < 5 || (len(f[1])-1)%2 != 0 {
				return nil, bad("want: syntax RULE inside a segment")
			}
			r := syntaxRule{kind: f[1][0]}
			for i := 1; i < len(f[1]); i += 2 {
				p, err := strconv.Atoi(f[1][i : i+2])
				if err != nil {
					return nil, bad("syntax positions")
				}
				r.elems = append(r.elems, p)
			}
			top.seg.syntax = append(top.seg.syntax, r)
		case "el", "comp":
			if len(f) < 4 || len(f[2]) != 1 {
				return nil, bad("want: " + f[0] + " SEQ USAGE ELEMENT …")
			}
			seq, err := strconv.Atoi(f[1])
			if err != nil {
				return nil, bad("sequence")
			}
			e := gelem{seq: seq, usage: f[2][0], ref: f[3]}
			if f[0] == "el" {
				if len(f) < 8 {
					return nil, bad("want: el SEQ USAGE ELEMENT TYPE MIN MAX CODES")
				}
				e.typ = f[4]
				if e.min, err = strconv.Atoi(f[5]); err != nil {
					return nil, bad("min length")
				}
				if e.max, err = strconv.Atoi(f[6]); err != nil {
					return nil, bad("max length")
				}
				switch cs := f[7]; {
				case cs == "-":
				case cs[0] == '@':
					e.external = cs[1:]
				default:
					e.codes = newCodeSet(strings.Split(cs, ","))
				}
				if len(f) > 8 {
					// The only pattern the guides use: [0-9]{N}.
					p, ok := strings.CutPrefix(f[8], "[0-9]{")
					d, err := strconv.Atoi(strings.TrimSuffix(p, "}"))
					if !ok || err != nil || d <= 0 {
						return nil, bad("a pattern other than [0-9]{N}")
					}
					e.digits = d
				}
			}
			switch {
			case top.comp != nil && f[0] == "el":
				top.comp.comp = append(top.comp.comp, e)
			case top.seg != nil:
				if n := len(top.seg.elems); n > 0 && top.seg.elems[n-1].seq >= seq {
					return nil, bad("elements out of order") // the walk stops at the last required one
				}
				top.seg.elems = append(top.seg.elems, e)
				if e.usage == 'R' {
					top.seg.lastRequired = seq
				}
				if f[0] == "comp" {
					stack = append(stack, open{depth: depth, comp: &top.seg.elems[len(top.seg.elems)-1]})
				}
			default:
				return nil, bad("an element outside a segment")
			}
		default:
			return nil, bad("unknown line")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if g.Version == "" || g.root == nil {
		return nil, fmt.Errorf("no version line or no loops")
	}
	g.setKeys(g.root)
	if len(g.root.items) == 0 || g.root.items[0].seg == nil || g.root.items[0].seg.id != "ST" {
		return nil, fmt.Errorf("structure: the first loop must begin with ST")
	}
	if err := check(g.root); err != nil {
		return nil, err
	}
	return g, nil
}

// check reports a loop that no segment begins, or a segment without
// elements: the walker needs both.
func check(l *gloop) error {
	if len(l.items) == 0 || (!l.wrapper && l.items[0].seg == nil) {
		return fmt.Errorf("structure: loop %s does not begin with a segment", l.id)
	}
	for _, it := range l.items {
		switch {
		case it.loop != nil:
			if err := check(it.loop); err != nil {
				return err
			}
		case len(it.seg.elems) == 0:
			return fmt.Errorf("structure: segment %s of loop %s has no elements", it.seg.id, l.id)
		}
	}
	return nil
}

// setKeys finds each segment's qualifier: element 01 when it is a required
// ID element with the guide's values (the first component of a composite
// 01 likewise, as HI's), HL03 for HL.
// Loops with nothing in them (pyx12's empty footer) are dropped.
func (g *Guide) setKeys(l *gloop) {
	items := l.items[:0]
	for _, it := range l.items {
		if it.loop == nil || len(it.loop.items) > 0 {
			items = append(items, it)
		}
	}
	l.items = items
	l.required = l.required[:0]
	for i, it := range l.items {
		if (it.seg != nil && it.seg.usage == 'R') || (it.loop != nil && it.loop.usage == 'R') {
			l.required = append(l.required, i)
		}
	}
	for i := range l.items {
		it := &l.items[i]
		if it.loop != nil {
			g.setKeys(it.loop)
			it.key = idKey(it.loop.first().id)
			continue
		}
		it.key = idKey(it.seg.id)
		s := it.seg
		for _, e := range s.elems {
			switch {
			case s.id == "HL" && e.seq == 3 && e.codes != nil:
				s.key, s.keyCodes = 3, e.codes
			case s.id != "HL" && e.seq == 1 && e.typ == "ID" && e.usage == 'R' && e.codes != nil:
				s.key, s.keyCodes = 1, e.codes
			case s.id != "HL" && e.seq == 1 && e.typ == "" && len(e.comp) > 0 && e.comp[0].typ == "ID" && e.comp[0].codes != nil:
				s.key, s.keyComp, s.keyCodes = 1, 1, e.comp[0].codes
			}
		}
	}
}
