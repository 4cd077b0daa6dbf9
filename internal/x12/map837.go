package x12

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
)

// Claim is one CLM of an 837 mapped onto claim.v1, and where it stood.
type Claim struct {
	JSON []byte // claim.v1 (originator_id as Claims was given it)
	// Text is the claim.v1 as the strings JSON was written from, for the
	// decoder to read without reading JSON again (claim.Decoder.DecodeText).
	Text *claim.Text
	// Source: ISA13, GS06, ST02 and the CLM's place among the set's claims
	// (1-based), for review.v1 and the 277CA.
	Interchange, Group, Set string
	Position                int
	ClaimID                 string // CLM01
	Problems                []string

	// For the 277CA: the claim's charge (CLM02), service period, type of
	// bill, patient, billing provider and the submitter and trace of its
	// transaction set.
	Charge, From, Through, BillType string
	PatientLast, PatientFirst       string
	MemberID                        string
	ProviderName, ProviderNPI       string
	SubmitterName, SubmitterID      string
	Trace                           string // BHT03
	// Lines are the claim's service lines as sent, in order (claim.v1's
	// lines[i] is Lines[i]), for the 277CA's line loop.
	Lines []Line
}

// Line is one service line (LX) of an 837 as sent: SV1 or SV2, REF*6R,
// DTP*472.
type Line struct {
	Qualifier, Procedure string // SV101/SV202 composite: HC, the code
	Modifiers            []string
	Revenue              string // SV201 (837I)
	Charge, Units        string
	Control              string // REF*6R, the line item control number
	From, Through        string // DTP*472, CCYYMMDD
}

// HierarchyError is an HL tree the mapping refuses: the transaction set is
// rejected (999 IK3/IK4 at Segment) and its claims are not screened.
type HierarchyError struct {
	Segment Segment
	Reason  string
}

func (e *HierarchyError) Error() string {
	return fmt.Sprintf("segment %d: %s", e.Segment.Pos, e.Reason)
}

// hl is one hierarchical level: 20 billing provider, 22 subscriber, 23
// patient.
type hl struct {
	level              string // HL03
	up                 *hl    // the parent level (HL02's), made before this one; nil at the top
	member, birth, sex string // from the level's NM1 and DMG
	last, first        string // NM103, NM104 of the level's subscriber or patient
	provider, npi      string // billing provider (level 20): NM103, NM109
}

// Claims maps every CLM of an 837 transaction set onto claim.v1. The form
// is professional for 005010X222* and institutional for 005010X223*.
// received is the claims' received_at (the service passes the Kafka
// timestamp); zero takes BHT04/BHT05, as for a file. originator is the
// claims' originator_id, from the trading-partner table (never from the
// interchange); "" when the sender is not known.
func Claims(ic *Interchange, g *Group, s *Set, received time.Time, originator string) ([]Claim, error) {
	form := ""
	switch {
	case strings.HasPrefix(s.Version, "005010X222"):
		form = "professional"
	case strings.HasPrefix(s.Version, "005010X223"):
		form = "institutional"
	default:
		return nil, fmt.Errorf("transaction set %s: version %q is neither 837P (005010X222A1) nor 837I (005010X223A2)", s.Control, s.Version)
	}
	sep := ic.Separators
	// Room for every claim and line at once (counted first), and scratch
	// for the claim.v1 being written, reused claim after claim: the
	// mapping allocates per set, not per claim.
	nCLM, nLX, nHL := 0, 0, 0
	for i := range s.Len() {
		switch s.Segment(i).ID() {
		case "CLM":
			nCLM++
		case "LX":
			nLX++
		case "HL":
			nHL++
		}
	}
	out := make([]Claim, 0, nCLM)
	sent := window[Line]{buf: make([]Line, 0, nLX)}
	// Each claim's claim.Text is kept (the decider reads it): the Texts,
	// patients and periods of the set are one slice each, their
	// diagnoses and lines runs of one.
	texts := make([]claim.Text, nCLM)
	patients := make([]claim.TextPatient, nCLM)
	periods := make([]claim.TextPeriod, nCLM)
	dxRuns := window[claim.Dx]{buf: make([]claim.Dx, 0, 4*nCLM)}
	lineRuns := window[claim.TextLine]{buf: make([]claim.TextLine, 0, nLX)}
	// A composite's components are read into comps, reused: what is kept
	// of them is strings (substrings of the input) or copied (nonEmpty).
	var comps [24]string
	components := func(seg Segment, i int) []string { return seg.AppendComponents(comps[:0], i, sep) }
	// Dates as claim.v1 writes them, made once each: a set repeats its
	// service dates line after line.
	isoDates := map[string]string{}
	var lastDate, lastISO string // the line before's, most often the same
	iso := func(s string) string {
		if s == lastDate && s != "" {
			return lastISO
		}
		v, ok := isoDates[s]
		if !ok {
			v = d8(s)
			isoDates[s] = v
		}
		lastDate, lastISO = s, v
		return v
	}
	// The line being read is built in lineBuf, reused line after line.
	var lineBuf claim.TextLine
	var cur *claim.Text
	var curProblems []string
	var line *claim.TextLine
	var lines []Line // the current claim's, as sent
	// arena holds the claims' JSON, one after the other, in chunks of 256
	// KB: a few allocations for the set rather than one or more a claim.
	var arena []byte
	// The HL levels, taken from one array sized by a count of the set's HL
	// (a new one only if that ran out: a level never moves once made, so
	// pointers to it stay good).
	hls := make(map[string]*hl, nHL)
	hlBuf := make([]hl, 0, nHL)
	var level *hl  // the current HL
	var inCOB bool // inside 2320/2330 (other subscriber): parsed and ignored
	var nm1 string // the entity of the last NM1 (IL, QC, 85 …)
	var trace, submitter, submitterID string
	receivedAt := ""
	if !received.IsZero() {
		receivedAt = received.UTC().Format(time.RFC3339)
	}
	finish := func() {
		if cur == nil {
			return
		}
		if line != nil {
			cur.Lines = append(cur.Lines, *line)
			line = nil
		}
		cur.Diagnoses, cur.Lines = dxRuns.done(cur.Diagnoses), lineRuns.done(cur.Lines)
		// The patient: the patient level when there is one (2000C), else
		// the subscriber (2000B).
		for h := level; h != nil; h = h.up {
			if h.level == "23" || h.level == "22" {
				cur.Patient = &patients[len(out)]
				*cur.Patient = claim.TextPatient{MemberID: h.member, BirthDate: h.birth, Sex: h.sex}
				if h.level == "23" && cur.Patient.MemberID == "" && h.up != nil {
					cur.Patient.MemberID = h.up.member
				}
				break
			}
		}
		if cap(arena)-len(arena) < 4096 {
			arena = make([]byte, 0, 256*1024) // a new chunk; the claims in the old one keep it
		}
		start := len(arena)
		arena = cur.AppendJSON(arena)
		b := arena[start:len(arena):len(arena)] // its own bytes: later appends never reach them
		c := Claim{JSON: b, Text: cur, Interchange: ic.Control, Group: g.Control, Set: s.Control, Position: len(out) + 1, ClaimID: cur.ClaimID, Problems: curProblems,
			Charge: cur.TotalCharge, BillType: cur.BillType, SubmitterName: submitter, SubmitterID: submitterID, Trace: trace, Lines: sent.done(lines)}
		lines = nil
		if cur.StatementPeriod != nil {
			c.From, c.Through = cur.StatementPeriod.From, cur.StatementPeriod.Through
		}
		for _, l := range cur.Lines {
			if l.ServiceDate != "" && (c.From == "" || l.ServiceDate < c.From) {
				c.From = l.ServiceDate
			}
			if l.ServiceDate > c.Through {
				c.Through = l.ServiceDate
			}
		}
		if cur.Patient != nil {
			c.MemberID = cur.Patient.MemberID
		}
		for h := level; h != nil; h = h.up {
			if (h.level == "23" || h.level == "22") && c.PatientLast == "" {
				c.PatientLast, c.PatientFirst = h.last, h.first
			}
			if h.level == "20" {
				c.ProviderName, c.ProviderNPI = h.provider, h.npi
			}
		}
		out = append(out, c)
		cur, curProblems = nil, nil
	}
	for i := range s.Len() {
		seg := s.Segment(i)
		switch seg.ID() {
		case "BHT":
			trace = seg.E(3)
			// A file's claims were received when the interchange was made
			// (BHT04/BHT05); the service's, at the Kafka timestamp.
			if t, err := time.Parse("20060102 1504", seg.E(4)+" "+padTime(seg.E(5))); err == nil && received.IsZero() {
				receivedAt = t.UTC().Format(time.RFC3339)
			}
		case "HL":
			finish()
			inCOB = false
			id, parent := seg.E(1), seg.E(2)
			if _, dup := hls[id]; dup {
				return out, &HierarchyError{seg, fmt.Sprintf("HL01 %q is used twice", id)}
			}
			var up *hl
			if parent != "" {
				if up = hls[parent]; up == nil {
					return out, &HierarchyError{seg, fmt.Sprintf("HL02 %q names no earlier HL", parent)}
				}
			}
			if len(hlBuf) == cap(hlBuf) {
				hlBuf = make([]hl, 0, 16)
			}
			hlBuf = append(hlBuf, hl{level: seg.E(3), up: up})
			level = &hlBuf[len(hlBuf)-1]
			hls[id] = level
		case "NM1":
			nm1 = seg.E(1)
			if nm1 == "41" && level == nil {
				submitter, submitterID = seg.E(3), seg.E(9)
			}
			if inCOB || level == nil {
				continue
			}
			if nm1 == "85" && level.level == "20" {
				level.provider, level.npi = seg.E(3), seg.E(9)
			}
			if (nm1 == "IL" && level.level == "22") || (nm1 == "QC" && level.level == "23") {
				level.last, level.first = seg.E(3), seg.E(4)
			}
			if (nm1 == "IL" && level.level == "22") || (nm1 == "QC" && level.level == "23") {
				if seg.E(8) == "MI" || nm1 == "QC" {
					level.member = seg.E(9)
				}
			}
		case "DMG":
			if inCOB || level == nil || (nm1 != "IL" && nm1 != "QC") {
				continue
			}
			if seg.E(1) == "D8" {
				level.birth = d8(seg.E(2)) // one a patient: not worth the cache
			}
			switch seg.E(3) {
			case "F", "M", "U":
				level.sex = seg.E(3)
			}
		case "CLM":
			finish()
			inCOB = false
			cur = &texts[len(out)]
			*cur = claim.Text{ClaimID: seg.E(1), OriginatorID: originator, Form: form, TotalCharge: seg.E(2), ReceivedAt: receivedAt, Diagnoses: dxRuns.open(), Lines: lineRuns.open()}
			lines = sent.open()
			c5 := components(seg, 5)
			if len(c5) > 0 {
				if form == "professional" {
					cur.PlaceOfService = c5[0]
				}
			}
			if len(c5) > 2 {
				cur.Frequency = c5[2]
			}
			if form == "institutional" && len(c5) > 0 {
				freq := ""
				if len(c5) > 2 {
					freq = c5[2]
				}
				cur.BillType = c5[0] + freq
			}
		case "HI":
			if cur == nil || inCOB {
				continue
			}
			for i := 1; i < seg.Len(); i++ {
				c := components(seg, i)
				if len(c) < 2 {
					continue
				}
				switch c[0] {
				case "ABK", "ABF":
					cur.Diagnoses = append(cur.Diagnoses, claim.Dx{Code: c[1], System: claim.ICD10CM})
				case "BK", "BF":
					cur.Diagnoses = append(cur.Diagnoses, claim.Dx{Code: c[1], System: claim.ICD9CM})
				default:
					// ABJ admitting, APR reason for visit, ABN external
					// cause, BBR/BBQ procedures, BH/BI/BE/BG occurrence,
					// value and condition codes: read, not diagnoses.
				}
			}
		case "DTP":
			if cur == nil || inCOB {
				continue
			}
			switch seg.E(1) {
			case "434": // statement period
				from, through := dates(seg.E(2), seg.E(3), iso)
				cur.StatementPeriod = &periods[len(out)]
				*cur.StatementPeriod = claim.TextPeriod{From: from, Through: through}
			case "472": // service date
				if line != nil {
					line.ServiceDate, _ = dates(seg.E(2), seg.E(3), iso)
					// As sent (CCYYMMDD), for the 277CA: substrings of
					// the input, not the ISO dates with their dashes taken out.
					lines[len(lines)-1].From, lines[len(lines)-1].Through = dates(seg.E(2), seg.E(3), d8digits)
				}
			}
		case "SBR":
			if cur != nil { // 2320: other subscriber information (COB)
				inCOB = true
			}
		case "LX":
			if cur == nil {
				continue
			}
			inCOB = false
			if line != nil {
				cur.Lines = append(cur.Lines, *line)
			}
			n, _ := strconv.Atoi(seg.E(1))
			lineBuf = claim.TextLine{Number: n}
			line = &lineBuf
			lines = append(lines, Line{})
		case "REF":
			if line != nil && !inCOB && seg.E(1) == "6R" {
				lines[len(lines)-1].Control = seg.E(2)
			}
		case "SV1":
			if line == nil {
				continue
			}
			p := components(seg, 1)
			src := &lines[len(lines)-1]
			if len(p) > 1 {
				line.Procedure = claim.TextProcedure{Code: p[1], Modifiers: nonEmpty(p[2:])}
				src.Qualifier, src.Procedure, src.Modifiers = p[0], p[1], line.Procedure.Modifiers
			}
			line.Charge, line.Units, line.PlaceOfService = seg.E(2), json.Number(units(seg.E(4))), seg.E(5)
			src.Charge, src.Units = seg.E(2), seg.E(4)
			for _, ptr := range components(seg, 7) {
				if n, err := strconv.Atoi(ptr); err == nil {
					line.Pointers = append(line.Pointers, n)
				}
			}
		case "SV2":
			if line == nil {
				continue
			}
			p := components(seg, 2)
			src := &lines[len(lines)-1]
			src.Revenue, src.Charge, src.Units = seg.E(1), seg.E(3), seg.E(5)
			if len(p) > 1 {
				line.Procedure = claim.TextProcedure{Code: p[1], Modifiers: nonEmpty(p[2:])}
				src.Qualifier, src.Procedure, src.Modifiers = p[0], p[1], line.Procedure.Modifiers
			} else {
				curProblems = append(curProblems, fmt.Sprintf("line %d: SV2 has no procedure (revenue code %s only)", line.Number, seg.E(1)))
			}
			line.Charge, line.Units = seg.E(3), json.Number(units(seg.E(5)))
		}
	}
	finish()
	return out, nil
}

// d8 turns CCYYMMDD into YYYY-MM-DD ("" when it is not one).
func d8(s string) string {
	if len(s) != 8 || !allDigits(s) {
		return s
	}
	return s[:4] + "-" + s[4:6] + "-" + s[6:]
}

// dates reads a DTP date: D8 CCYYMMDD or RD8 CCYYMMDD-CCYYMMDD, each
// turned by d8 (d8, or a cache of it).
func dates(format, v string, d8 func(string) string) (from, through string) {
	if format == "RD8" {
		a, b, _ := strings.Cut(v, "-")
		return d8(a), d8(b)
	}
	return d8(v), d8(v)
}

func padTime(s string) string {
	if len(s) >= 4 {
		return s[:4]
	}
	return "0000"
}

// units is SV104/SV205 when it is a JSON number, else "" (no units).
func units(s string) string {
	if allDigits(s) && (len(s) == 1 || s[0] != '0') { // most units: "1", "12"
		return s
	}
	if s == "" || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') || !json.Valid([]byte(s)) {
		return ""
	}
	return s
}

func nonEmpty(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
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
