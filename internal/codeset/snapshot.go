package codeset

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/claimscreen/claimscreen/internal/civil"
)

// Status is what a snapshot says of a code on a date.
type Status uint8

// Statuses.
const (
	// NotLoaded: no loaded release of the system covers the date.
	NotLoaded Status = iota
	// Valid: the release in force lists the code, billable, on the date.
	Valid
	// Header: the release in force lists the code as a category header
	// (ICD-10-CM), not valid for submission.
	Header
	// NotEffective: the code is in some loaded release of the system, but
	// not in force on the date.
	NotEffective
	// Unknown: no loaded release of the system has the code.
	Unknown
)

func (s Status) String() string {
	return [...]string{"not-loaded", "valid", "header", "not-effective", "unknown"}[s]
}

// Result answers a lookup: the status and the release in force on the date
// (nil when NotLoaded).
type Result struct {
	Status  Status
	Release *Release
	// ID is the code's number in its system's index (-1 when no loaded
	// release has the code): MCEFlagsAt takes it.
	ID int32
	// HCPCS is what a HCPCS release says of the code beside its dates, when
	// it says something the rules read (a coverage code S, M or I, or a
	// cross-reference); nil otherwise. HCPCSInfoOf has the rest.
	HCPCS *HCPCSInfo
}

// Snapshot is an immutable index of loaded releases. It is safe for
// concurrent use, and lookups allocate nothing.
type Snapshot struct {
	releases []*Release
	systems  map[string]*SystemIndex
	ptp      map[string]*ptpIndex // by system
	mue      map[string][]*mueIndex
	mce      []*mceIndex // by version, newest first
	tabular  []*tabIndex // in order of preference for a date
}

// SystemIndex is one system's codes in a snapshot; a caller looking up
// many codes of one system keeps it (Snapshot.System).
type SystemIndex struct {
	ids  *idMap
	rels []*relIndex // in order of preference for a date
}

type relIndex struct {
	rel     *Release
	entries []entry // by code id
	spans   []span
	infos   []HCPCSInfo // by code id, for a HCPCS release with coverage details
}

// entry is one code in one release. Most codes have one row that spans the
// release's whole coverage (every ICD-10-CM code): kind says so, and the
// lookup reads no span.
type entry struct {
	first int32
	n     uint16
	kind  uint8
	// info is set when the release's HCPCSInfo of the code holds what a
	// rule reads (rulesRead): the 40-byte info is read only then, and the
	// entry stays 8 bytes.
	info bool
}

const (
	absent uint8 = iota
	wholeBillable
	wholeHeader
	dated
)

type span struct {
	valid    civil.Range
	billable bool
}

type pair struct{ a, b string }

type ptpIndex struct {
	rel   *Release
	edits map[pair][]PTPEdit
}

type mueIndex struct {
	rel  *Release
	rows map[string]MUERow
}

// NewSnapshot indexes releases. Two releases with the same system, version
// and part are an error: versions are kept side by side, never merged.
func NewSnapshot(rels []*Release) (*Snapshot, error) {
	s := &Snapshot{systems: map[string]*SystemIndex{}, ptp: map[string]*ptpIndex{}, mue: map[string][]*mueIndex{}}
	byKey := map[string]*Release{}
	bySys := map[string][]*Release{}
	for _, r := range rels {
		if prev, dup := byKey[r.Key()]; dup {
			return nil, fmt.Errorf("%s is loaded twice, from %s and from %s; keep one", r.Key(), prev.Source, r.Source)
		}
		byKey[r.Key()] = r
		bySys[r.System] = append(bySys[r.System], r)
	}
	s.releases = append([]*Release(nil), rels...)
	sort.SliceStable(s.releases, func(i, j int) bool { return s.releases[i].Key() < s.releases[j].Key() })
	for sys, rs := range bySys {
		switch {
		case sys == NCCIPTP || sys == NCCIPTPHospital:
			s.ptp[sys] = buildPTP(rs)
		case sys == MUE || sys == MUEHospital || sys == MUEDME:
			s.mue[sys] = buildMUE(rs)
		case sys == MCE:
			// indexed below, by the ICD-10-CM code ids
		case sys == ICD10CMTabular:
			// indexed below, by the ICD-10-CM code ids
		default:
			s.systems[sys] = buildSys(rs)
		}
	}
	if len(bySys[MCE])+len(bySys[ICD10CMTabular]) > 0 {
		icd := s.systems[ICD10CM]
		if icd == nil {
			icd = &SystemIndex{ids: newIDMap()}
			s.systems[ICD10CM] = icd
		}
		s.mce = buildMCE(bySys[MCE], icd.ids)
		s.tabular = buildTabular(bySys[ICD10CMTabular], icd.ids)
	}
	s.dropRows()
	return s, nil
}

// dropRows makes the snapshot hold release headers without their rows: the
// indexes have what lookups need, and a heap without 300,000 code strings
// is one the garbage collector scans quickly.
func (s *Snapshot) dropRows() {
	hdr := map[*Release]*Release{}
	light := func(r *Release) *Release {
		if h, ok := hdr[r]; ok {
			return h
		}
		h := *r
		h.Codes, h.Edits, h.MUEs, h.DxFlags, h.AgeRanges = nil, nil, nil, nil, nil
		hdr[r] = &h
		return &h
	}
	for i, r := range s.releases {
		s.releases[i] = light(r)
	}
	for _, ix := range s.systems {
		for _, ri := range ix.rels {
			ri.rel = light(ri.rel)
		}
	}
	for _, ix := range s.ptp {
		if ix.rel != nil {
			ix.rel = light(ix.rel)
		}
	}
	for _, ms := range s.mue {
		for _, m := range ms {
			m.rel = light(m.rel)
		}
	}
	for _, m := range s.mce {
		if m.flags != nil {
			m.flags = light(m.flags)
		}
		if m.ages != nil {
			m.ages = light(m.ages)
		}
	}
	for _, t := range s.tabular {
		t.rel = light(t.rel)
	}
}

func buildSys(rs []*Release) *SystemIndex {
	ix := &SystemIndex{ids: newIDMap()}
	codeIDs := make([][]int32, len(rs))
	for i, r := range rs {
		codeIDs[i] = make([]int32, len(r.Codes))
		for j, c := range r.Codes {
			codeIDs[i][j] = ix.ids.add(c.Code)
		}
	}
	// The release in force on a date is the covering one that ends first
	// (a quarter's file before a later one's), and of those the one that
	// starts last (an April update before its October release).
	sorted := append([]*Release(nil), rs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].Coverage, sorted[j].Coverage
		if a.To != b.To {
			return a.To < b.To
		}
		if a.From != b.From {
			return a.From > b.From
		}
		return sorted[i].Version > sorted[j].Version
	})
	pos := map[*Release]int{}
	for i, r := range rs {
		pos[r] = i
	}
	for _, r := range sorted {
		ids := codeIDs[pos[r]]
		ri := &relIndex{rel: r, entries: make([]entry, ix.ids.len())}
		// Rows of one code may be apart in the file: group them.
		order := make([]int, len(r.Codes))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(i, j int) bool { return ids[order[i]] < ids[order[j]] })
		ri.spans = make([]span, 0, len(r.Codes))
		for _, i := range order {
			c := r.Codes[i]
			e := &ri.entries[ids[i]]
			if e.n == 0 {
				e.first = int32(len(ri.spans))
			}
			e.n++
			ri.spans = append(ri.spans, span{c.Valid, c.Billable})
			switch {
			case e.n > 1 || c.Valid != r.Coverage:
				e.kind = dated
			case c.Billable:
				e.kind = wholeBillable
			default:
				e.kind = wholeHeader
			}
		}
		if len(r.HCPCS) > 0 {
			ri.infos = make([]HCPCSInfo, ix.ids.len())
			for code, info := range r.HCPCS {
				if id, ok := ix.ids.get(code); ok {
					ri.infos[id] = info
					if int(id) < len(ri.entries) && info.rulesRead() {
						ri.entries[id].info = true
					}
				}
			}
		}
		ix.rels = append(ix.rels, ri)
	}
	return ix
}

// NCCI files carry every edit with its own dates, so the newest version is
// used for every date.
func buildPTP(rs []*Release) *ptpIndex {
	newest := ""
	for _, r := range rs {
		if versionLess(newest, r.Version) {
			newest = r.Version
		}
	}
	ix := &ptpIndex{edits: map[pair][]PTPEdit{}}
	for _, r := range rs {
		if r.Version != newest {
			continue
		}
		if ix.rel == nil {
			ix.rel = r
		}
		for _, e := range r.Edits {
			k := pair{e.Column1, e.Column2}
			ix.edits[k] = append(ix.edits[k], e)
		}
	}
	return ix
}

// versionLess orders NCCI versions vNNNrN by number.
func versionLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

func buildMUE(rs []*Release) []*mueIndex {
	var out []*mueIndex
	for _, r := range rs {
		m := &mueIndex{rel: r, rows: make(map[string]MUERow, len(r.MUEs))}
		for _, row := range r.MUEs {
			m.rows[row.Code] = row
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rel.Coverage.From > out[j].rel.Coverage.From })
	return out
}

// Releases returns every loaded release, ordered by system and version.
func (s *Snapshot) Releases() []*Release { return s.releases }

// Covers returns the release of system in force on d, or nil.
func (s *Snapshot) Covers(system string, d civil.Date) *Release {
	return s.systems[system].Covers(d)
}

// Covers is Snapshot.Covers within one system (nil: a system no release
// has).
func (ix *SystemIndex) Covers(d civil.Date) *Release {
	if ix == nil {
		return nil
	}
	if ri := ix.inForce(d); ri != nil {
		return ri.rel
	}
	return nil
}

func (ix *SystemIndex) inForce(d civil.Date) *relIndex {
	for _, ri := range ix.rels {
		if ri.rel.Coverage.Contains(d) {
			return ri
		}
	}
	return nil
}

// Lookup says whether code (normalised: upper case, no dot) is valid for
// system on d, and in which release.
func (s *Snapshot) Lookup(system, code string, d civil.Date) Result {
	return s.System(system).Lookup(code, d)
}

// System returns system's index, nil when no release of it is loaded.
func (s *Snapshot) System(system string) *SystemIndex { return s.systems[system] }

// Lookup is Snapshot.Lookup within one system.
func (ix *SystemIndex) Lookup(code string, d civil.Date) Result {
	if ix == nil {
		return Result{}
	}
	ri := ix.inForce(d)
	if ri == nil {
		return Result{}
	}
	id, ok := ix.ids.get(code)
	if !ok {
		return Result{Unknown, ri.rel, -1, nil}
	}
	if int(id) >= len(ri.entries) { // numbered for the MCE table only
		return Result{Unknown, ri.rel, id, nil}
	}
	e := ri.entries[id]
	var info *HCPCSInfo
	if e.info {
		info = &ri.infos[id]
	}
	switch e.kind {
	case absent:
		return Result{NotEffective, ri.rel, id, info}
	case wholeBillable:
		return Result{Valid, ri.rel, id, info}
	case wholeHeader:
		return Result{Header, ri.rel, id, info}
	}
	for _, sp := range ri.spans[e.first : e.first+int32(e.n)] {
		if sp.valid.Contains(d) {
			if sp.billable {
				return Result{Valid, ri.rel, id, info}
			}
			return Result{Header, ri.rel, id, info}
		}
	}
	return Result{NotEffective, ri.rel, id, info}
}

// PTP returns the edit in force on d for the pair (column 1, column 2), if
// any, from the NCCI PTP system given. Edits with indicator 9 are not edits
// and are never returned.
func (s *Snapshot) PTP(system, col1, col2 string, d civil.Date) (PTPEdit, *Release, bool) {
	ix := s.ptp[system]
	if ix == nil {
		return PTPEdit{}, nil, false
	}
	for _, e := range ix.edits[pair{col1, col2}] {
		if e.Valid.Contains(d) && e.Modifier != '9' {
			return e, ix.rel, true
		}
	}
	return PTPEdit{}, nil, false
}

// HasPTP reports whether an NCCI PTP system is loaded.
func (s *Snapshot) HasPTP(system string) bool { return s.ptp[system] != nil }

// MUE returns the MUE of code in force on d, from the MUE system given.
func (s *Snapshot) MUE(system, code string, d civil.Date) (MUERow, *Release, bool) {
	for _, m := range s.mue[system] {
		if m.rel.Coverage.Contains(d) {
			row, ok := m.rows[code]
			return row, m.rel, ok
		}
	}
	return MUERow{}, nil, false
}

// mceIndex is one MCE version: its flag periods by ICD-10-CM code id and
// its age ranges.
type mceIndex struct {
	version     string
	flags, ages *Release // the two parts; either may be missing
	// byID[id] is code id's first flagged period, inline, so that a lookup
	// reads one slot; a code with more periods has the rest in more.
	byID []mceSlot
	// flagged has bit id set when code id has a flagged period: a small
	// table (a bit a code) read before byID, so that the unflagged codes
	// cost no read of byID's larger lines.
	flagged []uint64
	// whole[id] is code id's flags when it has one flagged period that
	// spans the release's whole coverage and the flags fit (most codes): two
	// bytes a code, eight times denser than byID, so that the flagged
	// codes a claim lists are mostly found in lines already cached. 0: read
	// byID.
	whole  []uint16
	more   map[int32][]mceSpan
	ranges []AgeRange
}

type mceSlot struct {
	span  mceSpan // flags 0: no flagged period
	extra bool    // more periods in more
}

type mceSpan struct {
	valid civil.Range
	flags MCEFlags
}

// buildMCE indexes MCE releases by the ICD-10-CM code ids; a code no
// ICD-10-CM release has is numbered after theirs (Lookup answers Unknown
// for it).
func buildMCE(rs []*Release, ids *idMap) []*mceIndex {
	for _, r := range rs {
		for _, f := range r.DxFlags {
			if f.Flags != 0 {
				ids.add(f.Code)
			}
		}
	}
	byVersion := map[string]*mceIndex{}
	var out []*mceIndex
	for _, r := range rs {
		m := byVersion[r.Version]
		if m == nil {
			m = &mceIndex{version: r.Version}
			byVersion[r.Version] = m
			out = append(out, m)
		}
		switch r.Part {
		case PartMCEDxFlags:
			m.flags = r
			m.byID, m.more = make([]mceSlot, ids.len()), map[int32][]mceSpan{}
			m.flagged = make([]uint64, (ids.len()+63)/64)
			for _, f := range r.DxFlags {
				if f.Flags == 0 {
					continue // a period without flags answers as an absent code does
				}
				id, _ := ids.get(f.Code)
				m.flagged[id/64] |= 1 << (id % 64)
				sl := &m.byID[id]
				switch {
				case sl.span.flags == 0:
					sl.span = mceSpan{f.Valid, f.Flags}
				default:
					sl.extra = true
					m.more[id] = append(m.more[id], mceSpan{f.Valid, f.Flags})
				}
			}
			m.whole = make([]uint16, ids.len())
			cov := r.Coverage
			for id, sl := range m.byID {
				if !sl.extra && sl.span.flags != 0 && sl.span.flags < 1<<16 && sl.span.valid.From <= cov.From && sl.span.valid.To >= cov.To {
					m.whole[id] = uint16(sl.span.flags)
				}
			}
		case PartMCEAgeRanges:
			m.ages = r
			m.ranges = append(m.ranges, r.AgeRanges...)
		}
	}
	sort.Slice(out, func(i, j int) bool { return mceVersionLess(out[j].version, out[i].version) })
	return out
}

// mceVersionLess orders v43 before v44 before v100.
func mceVersionLess(a, b string) bool {
	na, ea := strconv.Atoi(strings.TrimPrefix(a, "v"))
	nb, eb := strconv.Atoi(strings.TrimPrefix(b, "v"))
	if ea == nil && eb == nil {
		return na < nb
	}
	return a < b
}

// MCEFlags returns the MCE flags of a diagnosis code (normalised) on d and
// the MCE release they come from; the release is nil when no loaded MCE
// release covers d, and the flags are 0 for a code the table does not flag
// on d.
func (s *Snapshot) MCEFlags(code string, d civil.Date) (MCEFlags, *Release) {
	id := int32(-1)
	if icd := s.systems[ICD10CM]; icd != nil {
		if i, ok := icd.ids.get(code); ok {
			id = i
		}
	}
	return s.MCEFlagsAt(id, d)
}

// MCEFlagsAt is MCEFlags for the ICD-10-CM code id a Lookup returned.
func (s *Snapshot) MCEFlagsAt(id int32, d civil.Date) (MCEFlags, *Release) {
	for _, m := range s.mce {
		if m.flags == nil || !m.flags.Coverage.Contains(d) {
			continue
		}
		if id >= 0 && int(id) < len(m.byID) && m.flagged[id/64]&(1<<(id%64)) != 0 {
			if w := m.whole[id]; w != 0 {
				return MCEFlags(w), m.flags // in force on every day the release covers, d among them
			}
			sl := &m.byID[id]
			if sl.span.flags != 0 && sl.span.valid.Contains(d) {
				return sl.span.flags, m.flags
			}
			if sl.extra {
				for _, sp := range m.more[id] {
					if sp.valid.Contains(d) {
						return sp.flags, m.flags
					}
				}
			}
		}
		return 0, m.flags
	}
	return 0, nil
}

// MCEAge returns the ages an MCE age flag (newborn, pediatric, maternity,
// adult) allows on d, from the newest MCE release whose age ranges cover d.
func (s *Snapshot) MCEAge(flag MCEFlags, d civil.Date) (AgeRange, *Release, bool) {
	for _, m := range s.mce {
		if m.ages == nil || !m.ages.Coverage.Contains(d) {
			continue
		}
		for _, a := range m.ranges {
			if a.Flag == flag && a.Valid.Contains(d) {
				return a, m.ages, true
			}
		}
		return AgeRange{}, m.ages, false
	}
	return AgeRange{}, nil, false
}

type tabIndex struct {
	rel *Release
	t   *Tabular
	// The Excludes1 notes under ICD-10-CM code id and the categories above
	// it are notes[start[id]:start[id+1]], found once here rather than by
	// walking the code's prefixes on every claim.
	start, notes []int32
}

// buildTabular orders Tabular releases as code systems are: on a date, the
// covering one that ends first, then the one that starts last (an April
// update before its October release).
func buildTabular(rs []*Release, ids *idMap) []*tabIndex {
	sorted := append([]*Release(nil), rs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].Coverage, sorted[j].Coverage
		if a.To != b.To {
			return a.To < b.To
		}
		return a.From > b.From
	})
	codes := ids.codes()
	out := make([]*tabIndex, 0, len(sorted))
	for _, r := range sorted {
		if r.Tabular == nil {
			continue
		}
		if r.Tabular.bySource == nil {
			r.Tabular.index()
		}
		ti := &tabIndex{rel: r, t: r.Tabular, start: make([]int32, len(codes)+1)}
		for id, code := range codes {
			ti.start[id] = int32(len(ti.notes))
			ti.notes = r.Tabular.NotesOf(code, ti.notes)
		}
		ti.start[len(codes)] = int32(len(ti.notes))
		out = append(out, ti)
	}
	return out
}

// Excludes1Notes returns the Excludes1 notes (indexes into the Tabular in
// force on d) under the ICD-10-CM code id a Lookup returned and under the
// categories above it; nil when no Tabular List covers d.
func (s *Snapshot) Excludes1Notes(d civil.Date, id int32) []int32 {
	for _, t := range s.tabular {
		if t.rel.Coverage.Contains(d) {
			if id < 0 || int(id)+1 >= len(t.start) {
				return nil
			}
			return t.notes[t.start[id]:t.start[id+1]]
		}
	}
	return nil
}

// TabularOn returns the Tabular List in force on d and its release, or
// nil when none covers d.
func (s *Snapshot) TabularOn(d civil.Date) (*Tabular, *Release) {
	for _, t := range s.tabular {
		if t.rel.Coverage.Contains(d) {
			return t.t, t.rel
		}
	}
	return nil, nil
}

// HCPCSInfo returns what the HCPCS release rel says of code beside its
// dates.
func HCPCSInfoOf(rel *Release, code string) (HCPCSInfo, bool) {
	if rel == nil || rel.HCPCS == nil {
		return HCPCSInfo{}, false
	}
	i, ok := rel.HCPCS[code]
	return i, ok
}
