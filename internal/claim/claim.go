// Package claim holds the claim.v1 model and its decoder.
//
// Decoding is strict and bounded: a message larger than the size limit,
// nested deeper than the depth limit, not UTF-8, not a JSON object, or
// without a usable claim_id and originator_id cannot be answered and is a
// *DecodeError (the caller dead-letters it). Every other problem is a finding
// on the claim (MISSING_FIELD, INVALID_FIELD), all of them at once, so the
// originator can fix everything in one resubmission. Codes are normalised:
// upper case, no dots, no spaces.
//
// The package is pure: no I/O, no logging, deterministic.
package claim

import (
	"time"

	"github.com/claimscreen/claimscreen/internal/civil"
)

// Form is the claim form.
type Form string

// Forms.
const (
	Professional  Form = "professional"
	Institutional Form = "institutional"
)

// Frequencies (X12 CLM05-3).
const (
	FrequencyOriginal    = "1"
	FrequencyReplacement = "7"
	FrequencyVoid        = "8"
)

// Diagnosis code systems.
const (
	ICD10CM = "ICD-10-CM"
	ICD9CM  = "ICD-9-CM"
)

// Procedure code systems, told by the code's shape.
const (
	CPT   = "CPT"
	HCPCS = "HCPCS"
)

// ICD10Start is the first day on which ICD-10-CM is used (and ICD-9-CM no
// longer is).
var ICD10Start = civil.FromYMD(2015, 10, 1)

// Limits of claim.v1 that are business rules, the same for every deployment.
const (
	MaxDiagnosesProfessional  = 12
	MaxDiagnosesInstitutional = 25
	MaxLinesProfessional      = 50
	MaxLinesInstitutional     = 999
	MaxModifiers              = 4
	MaxPointers               = 4
	MaxClaimID                = 38
)

// Claim is a decoded, normalised claim.v1. Encoding it as JSON gives the
// normalised claim.v1 back.
type Claim struct {
	ClaimID         string     `json:"claim_id"`
	OriginatorID    string     `json:"originator_id"`
	Frequency       string     `json:"frequency"`
	Form            Form       `json:"form"`
	ReceivedAt      time.Time  `json:"received_at"`
	Patient         *Patient   `json:"patient,omitempty"`
	PlaceOfService  string     `json:"place_of_service,omitempty"`
	BillType        string     `json:"bill_type,omitempty"` // institutional: type of bill, facility type + frequency (111 = hospital inpatient, original)
	StatementPeriod *Period    `json:"statement_period,omitempty"`
	Diagnoses       []Dx       `json:"diagnoses"`
	Lines           []Line     `json:"lines"`
	TotalCharge     Money      `json:"total_charge,omitzero"`
	received        civil.Date // ReceivedAt's calendar day, in its own offset
}

// ReceivedDay is the calendar day of ReceivedAt, in the offset it was given in.
func (c *Claim) ReceivedDay() civil.Date { return c.received }

// Patient is the member the claim is for. Its fields are protected health
// information: never log them.
type Patient struct {
	MemberID  string `json:"member_id,omitempty"`
	BirthDate Date   `json:"birth_date,omitzero"`
	Sex       string `json:"sex,omitempty"`
}

// Period is the institutional statement period.
type Period struct {
	From    Date `json:"from,omitzero"`
	Through Date `json:"through,omitzero"`
}

// Dx is one diagnosis; the first on a claim is the principal one.
type Dx struct {
	Code   string `json:"code"`
	System string `json:"system"`
}

// Line is one service line.
type Line struct {
	Number         int       `json:"number"`
	Procedure      Procedure `json:"procedure"`
	ServiceDate    Date      `json:"service_date,omitzero"`
	Units          float64   `json:"units"`
	Charge         Money     `json:"charge,omitzero"`
	PlaceOfService string    `json:"place_of_service,omitempty"`
	Pointers       []int     `json:"diagnosis_pointers,omitempty"`
	// PointerCount is how many pointers the message held; Pointers keeps at
	// most MaxDiagnosesInstitutional of them.
	PointerCount int `json:"-"`
}

// Procedure is a line's procedure code and modifiers.
type Procedure struct {
	Code      string   `json:"code"`
	System    string   `json:"-"` // CPT or HCPCS, from the code's shape
	Modifiers []string `json:"modifiers,omitempty"`
}

// Date is a date as given ("YYYY-MM-DD") and, when OK, its parsed day.
type Date struct {
	Text string
	Day  civil.Date
	OK   bool
}

// IsZero reports an absent date (for omitzero).
func (d Date) IsZero() bool { return d.Text == "" }

// MarshalJSON writes the date as given.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.Text), nil }

// Money is a decimal amount as given and, when OK, in cents.
type Money struct {
	Text  string
	Cents int64
	OK    bool
}

// IsZero reports an absent amount (for omitzero).
func (m Money) IsZero() bool { return m.Text == "" }

// MarshalJSON writes the amount as given.
func (m Money) MarshalText() ([]byte, error) { return []byte(m.Text), nil }

// Inpatient reports whether the claim is a hospital inpatient institutional
// claim (type of bill 11x).
func (c *Claim) Inpatient() bool {
	return c.Form == Institutional && len(c.BillType) == 3 && c.BillType[:2] == "11"
}

// LineDate is the date that selects code-set versions for line i: its
// service date, or else the statement period's first day.
func (c *Claim) LineDate(i int) (civil.Date, bool) {
	l := &c.Lines[i]
	if l.ServiceDate.OK {
		return l.ServiceDate.Day, true
	}
	if c.StatementPeriod != nil && c.StatementPeriod.From.OK {
		return c.StatementPeriod.From.Day, true
	}
	return 0, false
}

// LinePOS is the place of service of line i: its own, or the claim's.
func (c *Claim) LinePOS(i int) (code, path string) {
	if p := c.Lines[i].PlaceOfService; p != "" {
		return p, linePOSPath(i)
	}
	if c.PlaceOfService != "" {
		return c.PlaceOfService, "place_of_service"
	}
	return "", ""
}

// Key is the message key of every output about this claim.
func (c *Claim) Key() string { return c.OriginatorID + "/" + c.ClaimID }

// ContentHash is the SHA-256 of the normalised claim, received_at left out
// (an exact resubmission received later is the same content). It is the
// ledger's idempotency key with the originator and claim id.
func (c *Claim) ContentHash() string {
	_, h := c.Encode()
	return h
}

// ProcedureSystem tells a procedure code's system by its shape, as X12 HC
// does: five digits, or four digits and F, T or U, is CPT; a letter and four
// digits is HCPCS Level II. It returns "" for any other shape.
func ProcedureSystem(code string) string {
	if len(code) != 5 || !isDigit(code[1]) || !isDigit(code[2]) || !isDigit(code[3]) {
		return ""
	}
	first, last := code[0], code[4]
	switch {
	case isDigit(first) && (isDigit(last) || last == 'F' || last == 'T' || last == 'U'):
		return CPT
	case isUpper(first) && isDigit(last):
		return HCPCS
	}
	return ""
}

// ModifierSystem tells which list a modifier belongs to: two digits are
// CPT modifiers, anything else HCPCS Level II modifiers.
func ModifierSystem(m string) string {
	if len(m) == 2 && isDigit(m[0]) && isDigit(m[1]) {
		return "CPT-MODIFIER"
	}
	return "HCPCS-MODIFIER"
}

// ValidICD10Shape reports whether code (normalised) has the shape of an
// ICD-10-CM code: a letter, a digit, then 1 to 5 letters or digits.
func ValidICD10Shape(code string) bool {
	if len(code) < 3 || len(code) > 7 || !isUpper(code[0]) || !isDigit(code[1]) {
		return false
	}
	for i := 2; i < len(code); i++ {
		if !isUpper(code[i]) && !isDigit(code[i]) {
			return false
		}
	}
	return true
}

// ValidICD9Shape reports whether code (normalised) has the shape of an
// ICD-9-CM diagnosis: 3-5 digits, V and 2-4 digits, or E and 3-4 digits.
func ValidICD9Shape(code string) bool {
	n := len(code)
	switch {
	case n == 0:
		return false
	case code[0] == 'V':
		return n >= 3 && n <= 5 && allDigits(code[1:])
	case code[0] == 'E':
		return n >= 4 && n <= 5 && allDigits(code[1:])
	default:
		return n >= 3 && n <= 5 && allDigits(code)
	}
}

// NormalizeCode upper-cases code and drops dots and spaces, the forms in
// which codes arrive. It returns code itself when nothing changes.
func NormalizeCode(code string) string {
	if isNormal(code) {
		return code
	}
	return string(appendNormal(make([]byte, 0, len(code)), code))
}

// isNormal reports whether NormalizeCode leaves code as it is.
func isNormal(code string) bool {
	for i := 0; i < len(code); i++ {
		if c := code[i]; c == '.' || c == ' ' || (c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// appendNormal appends code normalised to dst.
func appendNormal(dst []byte, code string) []byte {
	for i := 0; i < len(code); i++ {
		switch c := code[i]; {
		case c == '.' || c == ' ':
		case c >= 'a' && c <= 'z':
			dst = append(dst, c-'a'+'A')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

func linePOSPath(i int) string {
	if i < len(posPaths) {
		return posPaths[i]
	}
	return LinePath(i, "place_of_service")
}
