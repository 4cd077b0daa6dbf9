package x12

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/claimscreen/claimscreen/internal/jsonw"
)

// Claim is one CLM of an 837 mapped onto claim.v1, and where it stood.
type Claim struct {
	JSON []byte // claim.v1 (originator_id as Claims was given it)
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

// claimV1 is the claim.v1 the mapping writes (docs/x12.md has the table).
type claimV1 struct {
	ClaimID         string     `json:"claim_id"`
	OriginatorID    string     `json:"originator_id"`
	Frequency       string     `json:"frequency,omitempty"`
	Form            string     `json:"form"`
	ReceivedAt      string     `json:"received_at,omitempty"`
	Patient         *patientV1 `json:"patient,omitempty"`
	PlaceOfService  string     `json:"place_of_service,omitempty"`
	BillType        string     `json:"bill_type,omitempty"`
	StatementPeriod *periodV1  `json:"statement_period,omitempty"`
	Diagnoses       []dxV1     `json:"diagnoses"`
	Lines           []lineV1   `json:"lines"`
	TotalCharge     string     `json:"total_charge,omitempty"`
}

type patientV1 struct {
	MemberID  string `json:"member_id,omitempty"`
	BirthDate string `json:"birth_date,omitempty"`
	Sex       string `json:"sex,omitempty"`
}

type periodV1 struct {
	From    string `json:"from,omitempty"`
	Through string `json:"through,omitempty"`
}

type dxV1 struct {
	Code   string `json:"code"`
	System string `json:"system"`
}

type lineV1 struct {
	Number         int         `json:"number"`
	Procedure      procedureV1 `json:"procedure"`
	ServiceDate    string      `json:"service_date,omitempty"`
	Units          json.Number `json:"units,omitempty"`
	Charge         string      `json:"charge,omitempty"`
	PlaceOfService string      `json:"place_of_service,omitempty"`
	Pointers       []int       `json:"diagnosis_pointers,omitempty"`
}

type procedureV1 struct {
	Code      string   `json:"code"`
	Modifiers []string `json:"modifiers,omitempty"`
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
	var dxScratch []dxV1
	var lineScratch []lineV1
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
	// The claim, its patient and period and the line being read are built
	// in these, reused claim after claim (each claim's JSON is written out
	// before the next one starts): no allocation a claim or a line.
	var claimBuf claimV1
	var patientBuf patientV1
	var periodBuf periodV1
	var lineBuf lineV1
	var cur *claimV1
	var curProblems []string
	var line *lineV1
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
		if cur.Diagnoses == nil {
			cur.Diagnoses = []dxV1{}
		}
		if cur.Lines == nil {
			cur.Lines = []lineV1{}
		}
		// The patient: the patient level when there is one (2000C), else
		// the subscriber (2000B).
		for h := level; h != nil; h = h.up {
			if h.level == "23" || h.level == "22" {
				patientBuf = patientV1{MemberID: h.member, BirthDate: h.birth, Sex: h.sex}
				cur.Patient = &patientBuf
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
		arena = cur.appendJSON(arena)
		b := arena[start:len(arena):len(arena)] // its own bytes: later appends never reach them
		dxScratch, lineScratch = cur.Diagnoses[:0], cur.Lines[:0]
		c := Claim{JSON: b, Interchange: ic.Control, Group: g.Control, Set: s.Control, Position: len(out) + 1, ClaimID: cur.ClaimID, Problems: curProblems,
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
			claimBuf = claimV1{ClaimID: seg.E(1), OriginatorID: originator, Form: form, TotalCharge: seg.E(2), ReceivedAt: receivedAt, Diagnoses: dxScratch[:0], Lines: lineScratch[:0]}
			cur = &claimBuf
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
					cur.Diagnoses = append(cur.Diagnoses, dxV1{c[1], "ICD-10-CM"})
				case "BK", "BF":
					cur.Diagnoses = append(cur.Diagnoses, dxV1{c[1], "ICD-9-CM"})
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
				periodBuf = periodV1{From: from, Through: through}
				cur.StatementPeriod = &periodBuf
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
			lineBuf = lineV1{Number: n}
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
				line.Procedure = procedureV1{Code: p[1], Modifiers: nonEmpty(p[2:])}
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
				line.Procedure = procedureV1{Code: p[1], Modifiers: nonEmpty(p[2:])}
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

// appendJSON writes the claim as encoding/json would, byte for byte
// (TestClaimJSONIsEncodingJSONs), without reflection.
func (c *claimV1) appendJSON(b []byte) []byte {
	str := func(b []byte, name, v string, first, omitEmpty bool) []byte {
		if omitEmpty && v == "" {
			return b
		}
		b = jsonw.Field(b, name, first)
		return jsonw.String(b, v)
	}
	b = append(b, '{')
	b = str(b, "claim_id", c.ClaimID, true, false)
	b = str(b, "originator_id", c.OriginatorID, false, false)
	b = str(b, "frequency", c.Frequency, false, true)
	b = str(b, "form", c.Form, false, false)
	b = str(b, "received_at", c.ReceivedAt, false, true)
	if p := c.Patient; p != nil {
		b = append(jsonw.Field(b, "patient", false), '{')
		n := len(b)
		b = str(b, "member_id", p.MemberID, true, true)
		b = str(b, "birth_date", p.BirthDate, len(b) == n, true)
		b = str(b, "sex", p.Sex, len(b) == n, true)
		b = append(b, '}')
	}
	b = str(b, "place_of_service", c.PlaceOfService, false, true)
	b = str(b, "bill_type", c.BillType, false, true)
	if p := c.StatementPeriod; p != nil {
		b = append(jsonw.Field(b, "statement_period", false), '{')
		n := len(b)
		b = str(b, "from", p.From, true, true)
		b = str(b, "through", p.Through, len(b) == n, true)
		b = append(b, '}')
	}
	b = jsonw.Array(jsonw.Field(b, "diagnoses", false), c.Diagnoses, func(b []byte, d *dxV1) []byte {
		return append(str(str(append(b, '{'), "code", d.Code, true, false), "system", d.System, false, false), '}')
	})
	b = jsonw.Array(jsonw.Field(b, "lines", false), c.Lines, func(b []byte, l *lineV1) []byte {
		b = jsonw.Int(jsonw.Field(append(b, '{'), "number", true), l.Number)
		b = append(jsonw.Field(b, "procedure", false), '{')
		b = str(b, "code", l.Procedure.Code, true, false)
		if len(l.Procedure.Modifiers) > 0 {
			b = jsonw.Strings(jsonw.Field(b, "modifiers", false), l.Procedure.Modifiers)
		}
		b = append(b, '}')
		b = str(b, "service_date", l.ServiceDate, false, true)
		if l.Units != "" {
			b = append(jsonw.Field(b, "units", false), l.Units...)
		}
		b = str(b, "charge", l.Charge, false, true)
		b = str(b, "place_of_service", l.PlaceOfService, false, true)
		if len(l.Pointers) > 0 {
			b = jsonw.Ints(jsonw.Field(b, "diagnosis_pointers", false), l.Pointers)
		}
		return append(b, '}')
	})
	b = str(b, "total_charge", c.TotalCharge, false, true)
	return append(b, '}')
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
