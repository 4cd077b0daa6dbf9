package codeset

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"regexp"
	"strconv"
	"strings"

	"github.com/claimscreen/claimscreen/internal/civil"
)

// The ICD-10-CM Tabular List (icd10cm_tabular_2026.xml, or the April
// update icd10cm_tabular_2026_april.xml; plain or .gz), read as a stream:
// per code its chapter and whether its title is a manifestation title, the
// 7th-character definitions, and the Excludes1 notes as rules (a source
// code or category, and the codes and ranges it names), not expanded into
// pairs.

var reTabular = regexp.MustCompile(`(?i)^icd10c(?:m)?[_-]tabular[_-](?:(april)[_-](?:1[_-])?)?(\d{4})(?:[_-](april))?\.xml$`)

// Tabular is what the rules read from the Tabular List.
type Tabular struct {
	// codes are every category and code (no dot), numbered by ids, with
	// their entries in byID: tables without pointers, which the collector
	// does not scan (a string map of the ~98,000 codes held 3.5 MB it
	// scanned every cycle).
	ids  *idMap
	byID []TabCode
	// SevenChr are the 7th-character definitions, by the code or category
	// that defines them (they apply to every code below it).
	SevenChr map[string][]SevenChrDef
	// Excludes1 are the Excludes1 notes under codes and categories.
	Excludes1 []Excludes1Note

	bySource map[string][]int32 // Excludes1 notes by source
}

// TabCode is one code of the Tabular List.
type TabCode struct {
	Chapter       uint8
	Manifestation bool // its title reads "in diseases classified elsewhere"
}

// SevenChrDef is one 7th character and its meaning.
type SevenChrDef struct {
	Char byte
	Text string
}

// Excludes1Note is one Excludes1 note: the codes below Source may not be
// reported with the codes Targets name.
type Excludes1Note struct {
	Source  string // code or category, no dot
	Note    string // as written
	Targets []CodeSpan
}

// CodeSpan is a code and every code below it (From == To), or an inclusive
// range of them (A00-A09): a code is in it when its first len(From)
// characters lie between From and To.
type CodeSpan struct{ From, To string }

// Contains reports whether code (no dot) is in the span.
func (s CodeSpan) Contains(code string) bool {
	k := len(s.From)
	if len(code) < k {
		return false
	}
	p := code[:k]
	if p < s.From {
		return false
	}
	if len(code) >= len(s.To) {
		return code[:len(s.To)] <= s.To
	}
	return code <= s.To
}

func (s CodeSpan) String() string {
	if s.From == s.To {
		return s.From
	}
	return s.From + "-" + s.To
}

// index builds the lookup of notes by source; the readers and the
// PostgreSQL loader call it once the notes are in.
func (t *Tabular) index() {
	t.bySource = make(map[string][]int32, len(t.Excludes1))
	for i, n := range t.Excludes1 {
		t.bySource[n.Source] = append(t.bySource[n.Source], int32(i))
	}
}

// Index prepares a Tabular built outside the reader (from PostgreSQL).
func (t *Tabular) Index() { t.index() }

// NewTabular returns an empty Tabular List, for SetCode to fill (a reader
// of its rows from elsewhere, PostgreSQL).
func NewTabular() *Tabular {
	return &Tabular{ids: newIDMap(), SevenChr: map[string][]SevenChrDef{}}
}

// SetCode sets a code's entry.
func (t *Tabular) SetCode(code string, c TabCode) {
	id := t.ids.add(code)
	if int(id) == len(t.byID) {
		t.byID = append(t.byID, c)
	} else {
		t.byID[id] = c
	}
}

// Len returns the number of codes and categories.
func (t *Tabular) Len() int { return len(t.byID) }

// Codes yields every code and category with its entry, in no set order.
func (t *Tabular) Codes() iter.Seq2[string, TabCode] {
	return func(yield func(string, TabCode) bool) {
		for id, code := range t.ids.codes() {
			if !yield(code, t.byID[id]) {
				return
			}
		}
	}
}

// entry returns the entry of code itself.
func (t *Tabular) entry(code string) (TabCode, bool) {
	if id, ok := t.ids.get(code); ok {
		return t.byID[id], true
	}
	return TabCode{}, false
}

// Code returns a code's entry, or its nearest listed ancestor's.
func (t *Tabular) Code(code string) (TabCode, bool) {
	for k := len(code); k >= 3; k-- {
		if c, ok := t.entry(code[:k]); ok {
			return c, true
		}
	}
	return TabCode{}, false
}

// Manifestation reports whether the code's title, or its category's, is a
// manifestation title.
func (t *Tabular) Manifestation(code string) bool {
	for k := len(code); k >= 3; k-- {
		if c, ok := t.entry(code[:k]); ok && c.Manifestation {
			return true
		}
	}
	return false
}

// SevenChars returns the 7th characters that apply to code: those of the
// nearest code or category above it that defines them.
func (t *Tabular) SevenChars(code string) []SevenChrDef {
	for k := min(len(code), 6); k >= 3; k-- {
		if d, ok := t.SevenChr[code[:k]]; ok {
			return d
		}
	}
	return nil
}

// Excludes1 returns the note that keeps a and b apart: one under a (or a
// category above it) naming b, or one under b naming a.
func (t *Tabular) Excludes1Of(a, b string) (Excludes1Note, bool) {
	if n, ok := t.excludes(a, b); ok {
		return n, true
	}
	return t.excludes(b, a)
}

// NotesOf appends to buf the Excludes1 notes that stand under code or a
// category above it.
func (t *Tabular) NotesOf(code string, buf []int32) []int32 {
	for k := len(code); k >= 3; k-- {
		buf = append(buf, t.bySource[code[:k]]...)
	}
	return buf
}

// NoteNaming returns the first of notes (from NotesOf) that names code.
func (t *Tabular) NoteNaming(notes []int32, code string) (Excludes1Note, bool) {
	for _, i := range notes {
		for _, sp := range t.Excludes1[i].Targets {
			if sp.Contains(code) {
				return t.Excludes1[i], true
			}
		}
	}
	return Excludes1Note{}, false
}

func (t *Tabular) excludes(src, other string) (Excludes1Note, bool) {
	for k := len(src); k >= 3; k-- {
		for _, i := range t.bySource[src[:k]] {
			n := t.Excludes1[i]
			for _, sp := range n.Targets {
				if sp.Contains(other) {
					return n, true
				}
			}
		}
	}
	return Excludes1Note{}, false
}

// Code references in notes: "(A05.-)", "(J20.9)", "(A00-A09)",
// "(M50.1.-, M51.1.-)". A parenthesised group counts only when every item
// in it is a code or a range.
var (
	reNoteGroup = regexp.MustCompile(`\(([^()]*)\)`)
	reNoteCode  = regexp.MustCompile(`^[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{0,4}){0,2}-?$`)
)

// noteTargets are the codes and ranges a note names.
func noteTargets(note string) []CodeSpan {
	var out []CodeSpan
	for _, m := range reNoteGroup.FindAllStringSubmatch(note, -1) {
		var group []CodeSpan
		ok := true
		for _, item := range strings.Split(m[1], ",") {
			item = strings.TrimSpace(item)
			from, to, isRange := strings.Cut(item, "-")
			if isRange && to != "" && reNoteCode.MatchString(from) && reNoteCode.MatchString(to) {
				group = append(group, CodeSpan{noteCode(from), noteCode(to)})
				continue
			}
			if reNoteCode.MatchString(item) {
				c := noteCode(item)
				group = append(group, CodeSpan{c, c})
				continue
			}
			ok = false
			break
		}
		if ok {
			out = append(out, group...)
		}
	}
	return out
}

// noteSpelling drops the dots and the dash of a note's "X.-" category.
var noteSpelling = strings.NewReplacer(".", "", "-", "")

func noteCode(s string) string { return noteSpelling.Replace(s) }

// manifestationTitle is the phrase of a manifestation code's title.
const manifestationTitle = "in diseases classified elsewhere"

// readTabular streams the Tabular List.
func readTabular(name, base string, r io.Reader) ([]*Release, error) {
	m := reTabular.FindStringSubmatch(base)
	if m == nil {
		return nil, fmt.Errorf("%s: a Tabular List is named icd10cm_tabular_YYYY.xml or icd10cm_tabular_YYYY_april.xml, so its release can be told", name)
	}
	fy, _ := strconv.Atoi(m[2])
	april := m[1] != "" || m[3] != ""
	rel := &Release{System: ICD10CMTabular, Version: fmt.Sprintf("FY%d", fy),
		Coverage: civil.Range{From: civil.FromYMD(fy-1, 10, 1), To: civil.FromYMD(fy, 9, 30)}}
	if april {
		rel.Version += "-APR"
		rel.Coverage.From = civil.FromYMD(fy, 4, 1)
	}
	t := NewTabular()
	dec := xml.NewDecoder(r)
	dec.Strict = true
	var path []string // element names from the root
	var diags []string
	var chapter uint8
	var text strings.Builder
	var version string
	var ext byte // the char of the <extension> being read
	inside := func(names ...string) bool {
		if len(path) < len(names) {
			return false
		}
		for i, n := range names {
			if path[len(path)-len(names)+i] != n {
				return false
			}
		}
		return true
	}
	fail := func(format string, args ...any) error {
		line, _ := dec.InputPos()
		return &LineError{name, line, fmt.Errorf(format, args...)}
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			return nil, &LineError{name, line, fmt.Errorf("not a well-formed Tabular List: %v", err)}
		}
		switch e := tok.(type) {
		case xml.StartElement:
			path = append(path, e.Name.Local)
			text.Reset()
			switch e.Name.Local {
			case "diag":
				diags = append(diags, "")
			case "extension":
				ext = 0
				for _, a := range e.Attr {
					if a.Name.Local == "char" && len(a.Value) == 1 {
						ext = a.Value[0]
					}
				}
				if ext == 0 {
					return nil, fail("a 7th-character extension without a one-character char attribute")
				}
			}
			if len(path) == 1 && e.Name.Local != "ICD10CM.tabular" {
				return nil, fail("the root element is %s, not ICD10CM.tabular", e.Name.Local)
			}
		case xml.CharData:
			if text.Len() < 4096 {
				text.Write(e)
			}
		case xml.EndElement:
			s := strings.TrimSpace(text.String())
			cur := ""
			if len(diags) > 0 {
				cur = diags[len(diags)-1]
			}
			switch {
			case inside("ICD10CM.tabular", "version"):
				version = s
			case inside("chapter", "name"):
				n, err := strconv.Atoi(s)
				if err != nil || n < 1 || n > 255 {
					return nil, fail("chapter number %q is not a number", s)
				}
				chapter = uint8(n)
			case inside("diag", "name"):
				code := noteCode(strings.ToUpper(s))
				if !validCodeChars(code) || len(code) < 3 {
					return nil, fail("code %q is not an ICD-10-CM code", s)
				}
				diags[len(diags)-1] = code
				t.SetCode(code, TabCode{Chapter: chapter})
			case inside("diag", "desc"):
				if cur != "" && strings.Contains(strings.ToLower(s), manifestationTitle) {
					c, _ := t.entry(cur)
					c.Manifestation = true
					t.SetCode(cur, c)
				}
			case inside("diag", "excludes1", "note"):
				if cur != "" {
					t.Excludes1 = append(t.Excludes1, Excludes1Note{Source: cur, Note: s, Targets: noteTargets(s)})
				}
			case inside("diag", "sevenChrDef", "extension"):
				if cur != "" {
					t.SevenChr[cur] = append(t.SevenChr[cur], SevenChrDef{Char: ext, Text: s})
				}
			case e.Name.Local == "diag":
				diags = diags[:len(diags)-1]
			}
			path = path[:len(path)-1]
			text.Reset()
		}
	}
	if t.Len() == 0 {
		return nil, fmt.Errorf("%s: no codes in the Tabular List", name)
	}
	if version != "" && version != strconv.Itoa(fy) {
		return nil, fmt.Errorf("%s: the file says version %s, its name %d", name, version, fy)
	}
	t.index()
	rel.Tabular, rel.Rows = t, t.Len()
	return []*Release{rel}, nil
}
