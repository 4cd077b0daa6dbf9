// Package crosswalk reads the insurer's internal crosswalk chart and maps an
// external code (ICD-10-CM, CPT, HCPCS …) to the internal code in force on a
// date.
//
// A chart row's code is an exact code, a prefix ending in "*", or an
// inclusive range "A-B" of codes of one length. The most specific row in
// force wins: exact, then range (the narrowest), then the longest prefix.
// Loading refuses overlapping rows for the same code and dates, bad dates
// and unknown systems, naming the file and line. The package is pure.
package crosswalk

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/claimscreen/claimscreen/internal/civil"
	"github.com/claimscreen/claimscreen/internal/codeset"
)

// Systems a chart may map. Modifiers and places of service are not charted.
var Systems = []string{"ICD-10-CM", "ICD-9-CM", "CPT", "HCPCS"}

// Row is one chart row.
type Row struct {
	System   string
	Code     string // as written: exact, PREFIX*, or A-B
	Internal string
	Valid    civil.Range
	Note     string
	File     string
	Line     int
	kind     kind
	lo, hi   string // range ends, or the prefix in lo
}

type kind uint8

const (
	exact kind = iota
	rangeKind
	prefix
)

// Chart is an immutable, versioned chart. It is safe for concurrent use.
type Chart struct {
	Version string
	Sources []string
	SHA256  string
	Rows    []Row

	systems map[string]*System
}

// System indexes one system's rows. A lookup hashes the system once and
// then the code alone (string keys hash faster than a struct of two); a
// caller looking up many codes of one system keeps its System.
type System struct {
	exact    map[string][]*Row
	prefixes map[string][]*Row
	ranges   []*Row // narrowest first
	maxPre   int
}

// Empty returns a chart with no rows, for running without one.
func Empty() *Chart {
	c, _ := build("", nil, "", nil)
	return c
}

// LoadFS reads the chart file name in fsys, or every *.csv file of the
// folder name (in name order). The version is the file name without .csv;
// for a folder, the file names joined with "+".
func LoadFS(fsys fs.FS, name string) (*Chart, error) {
	st, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("crosswalk chart: %w", err)
	}
	files := []string{name}
	if st.IsDir() {
		files, err = fs.Glob(fsys, path.Join(name, "*.csv"))
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		if len(files) == 0 {
			return nil, fmt.Errorf("crosswalk chart folder %s holds no .csv file", name)
		}
	}
	var rows []Row
	var names []string
	h := sha256.New()
	for _, f := range files {
		fh, err := fsys.Open(f)
		if err != nil {
			return nil, fmt.Errorf("crosswalk chart: %w", err)
		}
		rs, err := Read(path.Base(f), io.TeeReader(fh, h))
		fh.Close()
		if err != nil {
			return nil, err
		}
		rows = append(rows, rs...)
		names = append(names, path.Base(f))
	}
	version := make([]string, len(names))
	for i, n := range names {
		version[i] = strings.TrimSuffix(n, path.Ext(n))
	}
	return build(strings.Join(version, "+"), names, hex.EncodeToString(h.Sum(nil)), rows)
}

// Parse reads one chart file's content and builds a chart of it.
func Parse(name string, r io.Reader) (*Chart, error) {
	h := sha256.New()
	rows, err := Read(name, io.TeeReader(r, h))
	if err != nil {
		return nil, err
	}
	return build(strings.TrimSuffix(name, path.Ext(name)), []string{name}, hex.EncodeToString(h.Sum(nil)), rows)
}

var header = []string{"system", "code", "internal_code", "effective_from", "effective_to", "note"}

// Read reads chart rows from one CSV file; name is used in errors.
func Read(name string, r io.Reader) ([]Row, error) {
	var rows []Row
	first := true
	err := codeset.ReadCSV(name, r, func(rec []string, line int) error {
		if first {
			first = false
			if len(rec) > 0 {
				rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
			}
			if len(rec) < 5 || len(rec) > 6 || !headerOK(rec) {
				return errors.New("header must be system,code,internal_code,effective_from,effective_to,note")
			}
			return nil
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			return nil
		}
		row, err := parseRow(rec)
		if err != nil {
			return err
		}
		row.File, row.Line = name, line
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func headerOK(rec []string) bool {
	for i, h := range rec {
		if strings.ToLower(strings.TrimSpace(h)) != header[i] {
			return false
		}
	}
	return true
}

func knownSystem(s string) bool {
	for _, k := range Systems {
		if s == k {
			return true
		}
	}
	return false
}

func alnum(s string) bool { return codeset.ValidCode(s) }

func parseRow(rec []string) (Row, error) {
	if len(rec) < 5 || len(rec) > 6 {
		return Row{}, fmt.Errorf("%d fields; a chart row has system,code,internal_code,effective_from,effective_to,note", len(rec))
	}
	r := Row{System: strings.TrimSpace(rec[0]), Code: strings.TrimSpace(rec[1]), Internal: strings.TrimSpace(rec[2])}
	if len(rec) == 6 {
		r.Note = strings.TrimSpace(rec[5])
	}
	if !knownSystem(r.System) {
		return r, fmt.Errorf("system %q is not one the chart maps (%s)", r.System, strings.Join(Systems, ", "))
	}
	if r.Internal == "" || len(r.Internal) > 64 {
		return r, fmt.Errorf("internal_code must be 1 to 64 characters")
	}
	code := codeset.NormalizeCode(r.Code)
	switch {
	case strings.HasSuffix(code, "*"):
		r.kind, r.lo = prefix, strings.TrimSuffix(code, "*")
		if !alnum(r.lo) {
			return r, fmt.Errorf("prefix %q must be letters or digits followed by *", r.Code)
		}
	case strings.Contains(code, "-"):
		lo, hi, _ := strings.Cut(code, "-")
		r.kind, r.lo, r.hi = rangeKind, lo, hi
		if !alnum(lo) || !alnum(hi) || len(lo) != len(hi) {
			return r, fmt.Errorf("range %q must be two codes of the same length, A-B", r.Code)
		}
		if lo > hi {
			return r, fmt.Errorf("range %q runs backwards", r.Code)
		}
	default:
		r.kind, r.lo = exact, code
		if !alnum(code) {
			return r, fmt.Errorf("code %q must be letters and digits (dots are dropped), a prefix ending in *, or a range A-B", r.Code)
		}
	}
	from, err := civil.Parse(strings.TrimSpace(rec[3]))
	if err != nil {
		return r, fmt.Errorf("effective_from %q is not a date YYYY-MM-DD", rec[3])
	}
	to := civil.Max
	if s := strings.TrimSpace(rec[4]); s != "" {
		if to, err = civil.Parse(s); err != nil {
			return r, fmt.Errorf("effective_to %q is not a date YYYY-MM-DD or empty", rec[4])
		}
	}
	if to < from {
		return r, fmt.Errorf("effective_to %s is before effective_from %s", to, from)
	}
	r.Valid = civil.Range{From: from, To: to}
	return r, nil
}

func build(version string, sources []string, sum string, rows []Row) (*Chart, error) {
	c := &Chart{Version: version, Sources: sources, SHA256: sum, Rows: rows, systems: map[string]*System{}}
	seen := map[string][]*Row{}
	for i := range c.Rows {
		r := &c.Rows[i]
		id := r.System + " " + r.kind.String() + " " + r.lo + "-" + r.hi
		for _, o := range seen[id] {
			if o.Valid.Overlaps(r.Valid) {
				return nil, &codeset.LineError{File: r.File, Line: r.Line, Err: fmt.Errorf("%s %s overlaps %s:%d for dates %s", r.System, r.Code, o.File, o.Line, r.Valid)}
			}
		}
		seen[id] = append(seen[id], r)
		sr := c.systems[r.System]
		if sr == nil {
			sr = &System{exact: map[string][]*Row{}, prefixes: map[string][]*Row{}}
			c.systems[r.System] = sr
		}
		switch r.kind {
		case exact:
			sr.exact[r.lo] = append(sr.exact[r.lo], r)
		case prefix:
			sr.prefixes[r.lo] = append(sr.prefixes[r.lo], r)
			sr.maxPre = max(sr.maxPre, len(r.lo))
		case rangeKind:
			// Two ranges that overlap without one holding the other leave
			// no single most specific row.
			for _, o := range sr.ranges {
				if o.Valid.Overlaps(r.Valid) && len(o.lo) == len(r.lo) && o.lo <= r.hi && r.lo <= o.hi &&
					!(o.lo <= r.lo && r.hi <= o.hi) && !(r.lo <= o.lo && o.hi <= r.hi) {
					return nil, &codeset.LineError{File: r.File, Line: r.Line, Err: fmt.Errorf("range %s partly overlaps range %s at %s:%d; ranges must be apart or nested", r.Code, o.Code, o.File, o.Line)}
				}
			}
			sr.ranges = append(sr.ranges, r)
		}
	}
	for _, sr := range c.systems {
		rs := sr.ranges
		sort.SliceStable(rs, func(i, j int) bool { return width(rs[i]) < width(rs[j]) })
	}
	return c, nil
}

func (k kind) String() string { return [...]string{"exact", "range", "prefix"}[k] }

// width orders ranges of one length: the narrower compares smaller. It
// compares the ends as base-36 numbers on their first differing places.
func width(r *Row) uint64 {
	var lo, hi uint64
	for i := 0; i < len(r.lo) && i < 12; i++ {
		lo = lo*36 + digit36(r.lo[i])
		hi = hi*36 + digit36(r.hi[i])
	}
	return hi - lo
}

func digit36(c byte) uint64 {
	if c >= '0' && c <= '9' {
		return uint64(c - '0')
	}
	return uint64(c-'A') + 10
}

// Lookup returns the chart row that maps code (normalised) of system on d:
// exact, then the narrowest range, then the longest prefix.
func (c *Chart) Lookup(system, code string, d civil.Date) (*Row, bool) {
	return c.System(system).Lookup(code, d)
}

// System returns system's rows; nil (a System without rows) when the chart
// has none.
func (c *Chart) System(system string) *System { return c.systems[system] }

// Lookup is Chart.Lookup within one system.
func (sr *System) Lookup(code string, d civil.Date) (*Row, bool) {
	if sr == nil {
		return nil, false
	}
	if len(sr.exact) > 0 {
		if r := inForce(sr.exact[code], d); r != nil {
			return r, true
		}
	}
	for _, r := range sr.ranges {
		if len(code) == len(r.lo) && code >= r.lo && code <= r.hi && r.Valid.Contains(d) {
			return r, true
		}
	}
	for n := min(len(code), sr.maxPre); n >= 1; n-- {
		if r := inForce(sr.prefixes[code[:n]], d); r != nil {
			return r, true
		}
	}
	return nil, false
}

func inForce(rs []*Row, d civil.Date) *Row {
	for _, r := range rs {
		if r.Valid.Contains(d) {
			return r
		}
	}
	return nil
}

// Len returns the number of rows.
func (c *Chart) Len() int { return len(c.Rows) }

// ParseRow reads one row's fields: system, code, internal_code,
// effective_from, effective_to[, note].
func ParseRow(rec []string) (Row, error) { return parseRow(rec) }

// Build makes a chart of rows read elsewhere (a database), with the same
// checks as Load.
func Build(version string, sources []string, sha256 string, rows []Row) (*Chart, error) {
	return build(version, sources, sha256, rows)
}
