package claim

import (
	"encoding/json"
	"time"

	"github.com/claimscreen/claimscreen/internal/civil"
	"github.com/claimscreen/claimscreen/internal/jsonw"
	"github.com/claimscreen/claimscreen/internal/rule"
)

// Text is a claim.v1 as an intake writes it, every field the string it
// sends: the X12 mapping builds one per CLM. AppendJSON writes it as the
// claim.v1 message; Decoder.DecodeText reads it without that message when
// decoding the message would find nothing to say.
type Text struct {
	ClaimID         string       `json:"claim_id"`
	OriginatorID    string       `json:"originator_id"`
	Frequency       string       `json:"frequency,omitempty"`
	Form            string       `json:"form"`
	ReceivedAt      string       `json:"received_at,omitempty"`
	Patient         *TextPatient `json:"patient,omitempty"`
	PlaceOfService  string       `json:"place_of_service,omitempty"`
	BillType        string       `json:"bill_type,omitempty"`
	StatementPeriod *TextPeriod  `json:"statement_period,omitempty"`
	Diagnoses       []Dx         `json:"diagnoses"`
	Lines           []TextLine   `json:"lines"`
	TotalCharge     string       `json:"total_charge,omitempty"`
}

// TextPatient is a Text's patient.
type TextPatient struct {
	MemberID  string `json:"member_id,omitempty"`
	BirthDate string `json:"birth_date,omitempty"`
	Sex       string `json:"sex,omitempty"`
}

// TextPeriod is a Text's statement period.
type TextPeriod struct {
	From    string `json:"from,omitempty"`
	Through string `json:"through,omitempty"`
}

// TextLine is a Text's service line.
type TextLine struct {
	Number         int           `json:"number"`
	Procedure      TextProcedure `json:"procedure"`
	ServiceDate    string        `json:"service_date,omitempty"`
	Units          json.Number   `json:"units,omitempty"`
	Charge         string        `json:"charge,omitempty"`
	PlaceOfService string        `json:"place_of_service,omitempty"`
	Pointers       []int         `json:"diagnosis_pointers,omitempty"`
}

// TextProcedure is a TextLine's procedure.
type TextProcedure struct {
	Code      string   `json:"code"`
	Modifiers []string `json:"modifiers,omitempty"`
}

// AppendJSON appends the claim.v1 message of t as encoding/json would
// write it, byte for byte (TestTextJSONIsEncodingJSONs), without
// reflection.
func (t *Text) AppendJSON(b []byte) []byte {
	str := func(b []byte, name, v string, first, omitEmpty bool) []byte {
		if omitEmpty && v == "" {
			return b
		}
		b = jsonw.Field(b, name, first)
		return jsonw.String(b, v)
	}
	b = append(b, '{')
	b = str(b, "claim_id", t.ClaimID, true, false)
	b = str(b, "originator_id", t.OriginatorID, false, false)
	b = str(b, "frequency", t.Frequency, false, true)
	b = str(b, "form", t.Form, false, false)
	b = str(b, "received_at", t.ReceivedAt, false, true)
	if p := t.Patient; p != nil {
		b = append(jsonw.Field(b, "patient", false), '{')
		n := len(b)
		b = str(b, "member_id", p.MemberID, true, true)
		b = str(b, "birth_date", p.BirthDate, len(b) == n, true)
		b = str(b, "sex", p.Sex, len(b) == n, true)
		b = append(b, '}')
	}
	b = str(b, "place_of_service", t.PlaceOfService, false, true)
	b = str(b, "bill_type", t.BillType, false, true)
	if p := t.StatementPeriod; p != nil {
		b = append(jsonw.Field(b, "statement_period", false), '{')
		n := len(b)
		b = str(b, "from", p.From, true, true)
		b = str(b, "through", p.Through, len(b) == n, true)
		b = append(b, '}')
	}
	b = jsonw.Array(jsonw.Field(b, "diagnoses", false), t.Diagnoses, func(b []byte, d *Dx) []byte {
		return append(str(str(append(b, '{'), "code", d.Code, true, false), "system", d.System, false, false), '}')
	})
	b = jsonw.Array(jsonw.Field(b, "lines", false), t.Lines, func(b []byte, l *TextLine) []byte {
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
	b = str(b, "total_charge", t.TotalCharge, false, true)
	return append(b, '}')
}

// DecodeText decodes msg, the claim.v1 message t was written as
// (t.AppendJSON): what Decode(msg, received) returns, always
// (TestDecodeTextIsDecode, FuzzDecodeText), read from t's strings when
// the message is one Decode would find nothing to say of (Build), from msg
// otherwise.
func (d *Decoder) DecodeText(t *Text, msg []byte, received time.Time) (*Claim, []rule.Finding, error) {
	if len(msg) <= d.lim.MaxBytes {
		if c, ok := d.Build(t, received); ok {
			return c, nil, nil
		}
	}
	return d.decodeFull(msg, received)
}

// textDepth is the deepest nesting of a Text's message: claim, lines, a
// line, its procedure, its modifiers.
const textDepth = 5

// Build is the claim of t when decoding t's message would give no finding
// and no error: each field well formed by the tests the decoder applies,
// each string printable ASCII (so that its JSON reads back as itself), the
// units whole numbers. ok is false for anything else, and the message is
// then for the decoder to read and report on. The claim's strings, and
// its lines' modifiers and pointers, are t's; nothing else of t is kept.
func (d *Decoder) Build(t *Text, received time.Time) (c *Claim, ok bool) {
	if d.lim.MaxDepth < textDepth || t.ClaimID == "" || len(t.ClaimID) > MaxClaimID || !d.plain(t.ClaimID) || !ValidOriginatorID(t.OriginatorID) {
		return nil, false
	}
	// The claim and its patient are one allocation.
	cp := &struct {
		c Claim
		p Patient
	}{}
	c = &cp.c
	*c = Claim{ClaimID: t.ClaimID, OriginatorID: t.OriginatorID, Frequency: t.Frequency, Form: Form(t.Form), ReceivedAt: received}
	if c.Frequency == "" {
		c.Frequency = FrequencyOriginal
	} else if !validFrequency(c.Frequency) {
		return nil, false
	}
	maxDx, maxLines := MaxDiagnosesInstitutional, MaxLinesInstitutional
	switch c.Form {
	case Professional:
		maxDx, maxLines = MaxDiagnosesProfessional, MaxLinesProfessional
		if t.BillType != "" {
			return nil, false
		}
	case Institutional:
		if t.StatementPeriod == nil {
			return nil, false
		}
	default:
		return nil, false
	}
	if t.ReceivedAt != "" {
		r, err := time.Parse(time.RFC3339, t.ReceivedAt)
		if err != nil || !d.plain(t.ReceivedAt) {
			return nil, false
		}
		c.ReceivedAt = r
	}
	c.received = dayOf(c.ReceivedAt)
	if p := t.Patient; p != nil {
		birth, ok := d.date(p.BirthDate, true)
		if !ok || !d.plain(p.MemberID) || !(p.Sex == "" || validSex(p.Sex)) {
			return nil, false
		}
		cp.p = Patient{MemberID: p.MemberID, BirthDate: birth, Sex: p.Sex}
		c.Patient = &cp.p
	}
	if !d.pos(t.PlaceOfService) {
		return nil, false
	}
	c.PlaceOfService = t.PlaceOfService
	if t.BillType != "" {
		bt, ok := billType(t.BillType)
		if !ok {
			return nil, false
		}
		c.BillType = bt
	}
	if p := t.StatementPeriod; p != nil {
		from, ok1 := d.date(p.From, false)
		through, ok2 := d.date(p.Through, false)
		if !ok1 || !ok2 {
			return nil, false
		}
		c.StatementPeriod = &Period{From: from, Through: through}
	}
	if len(t.Diagnoses) == 0 || len(t.Diagnoses) > maxDx || len(t.Lines) == 0 || len(t.Lines) > maxLines {
		return nil, false
	}
	for _, dx := range t.Diagnoses {
		switch {
		case !d.code(dx.Code):
			return nil, false
		case dx.System == ICD10CM && ValidICD10Shape(dx.Code), dx.System == ICD9CM && ValidICD9Shape(dx.Code):
		default:
			return nil, false
		}
	}
	c.Diagnoses = append(make([]Dx, 0, len(t.Diagnoses)), t.Diagnoses...) // the claim's own: t's may be scratch
	if c.TotalCharge, ok = d.money(t.TotalCharge, true); !ok {
		return nil, false
	}
	c.Lines = make([]Line, len(t.Lines))
	for i := range t.Lines {
		tl, l := &t.Lines[i], &c.Lines[i]
		if tl.Number != i+1 || !d.code(tl.Procedure.Code) || len(tl.Procedure.Modifiers) > MaxModifiers || !d.pos(tl.PlaceOfService) {
			return nil, false
		}
		l.Number, l.PlaceOfService = tl.Number, tl.PlaceOfService
		l.Procedure = Procedure{Code: tl.Procedure.Code, System: ProcedureSystem(tl.Procedure.Code)}
		if l.Procedure.System == "" {
			return nil, false
		}
		if n := len(tl.Procedure.Modifiers); n > 0 { // none is nil, as decoded
			l.Procedure.Modifiers = tl.Procedure.Modifiers[:n:n]
		}
		for _, m := range tl.Procedure.Modifiers {
			if len(m) != 2 || !d.code(m) {
				return nil, false
			}
		}
		if l.Units, ok = units(tl.Units); !ok {
			return nil, false
		}
		if l.Charge, ok = d.money(tl.Charge, false); !ok {
			return nil, false
		}
		if tl.ServiceDate == "" && (c.StatementPeriod == nil || c.Form == Professional) {
			return nil, false
		}
		if l.ServiceDate, ok = d.date(tl.ServiceDate, true); !ok {
			return nil, false
		}
		if c.Form == Professional && len(tl.Pointers) == 0 || len(tl.Pointers) > MaxDiagnosesInstitutional {
			return nil, false
		}
		for _, p := range tl.Pointers {
			if p < 1 || p > 99 { // within what any decoder reads back exactly
				return nil, false
			}
		}
		if len(tl.Pointers) > 0 {
			l.Pointers, l.PointerCount = tl.Pointers[:len(tl.Pointers):len(tl.Pointers)], len(tl.Pointers)
		}
	}
	return c, true
}

// plain reports whether s is a string the decoder takes as it is: at most
// MaxString bytes of printable ASCII ("" too).
func (d *Decoder) plain(s string) bool {
	if len(s) > d.lim.MaxString {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// code reports whether s is a code the decoder takes as it is: plain,
// already normal, and only capital letters and digits.
func (d *Decoder) code(s string) bool {
	if s == "" || !d.plain(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isUpper(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// pos reports whether s is an absent or well-formed place of service.
func (d *Decoder) pos(s string) bool { return s == "" || posShape(s) }

// date is s as a Date when it is one (or, with optional, absent).
func (d *Decoder) date(s string, optional bool) (Date, bool) {
	if s == "" {
		return Date{}, optional
	}
	day, err := civil.Parse(s)
	if err != nil || !d.plain(s) {
		return Date{}, false
	}
	return Date{Text: s, Day: day, OK: true}, true
}

// money is s as Money when it is an amount (or, with optional, absent).
func (d *Decoder) money(s string, optional bool) (Money, bool) {
	if s == "" {
		return Money{}, optional
	}
	cents, ok := parseMoney(s)
	if !ok || !d.plain(s) {
		return Money{}, false
	}
	return Money{Text: s, Cents: cents, OK: true}, true
}

// units is a line's units: 1 when absent, a whole number from 1 to 99999
// as it is (its float is exact); anything else is for the decoder.
func units(s json.Number) (float64, bool) {
	if s == "" {
		return 1, true
	}
	if len(s) > 5 || !allDigits(string(s)) || s[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return float64(n), true
}
