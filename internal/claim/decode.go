package claim

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/valyala/fastjson"

	"github.com/claimscreen/claimscreen/internal/civil"
	"github.com/claimscreen/claimscreen/internal/rule"
)

// Reasons a message cannot be answered. They go into the dead-letter
// headers; they never quote the message (it may hold health information).
const (
	ReasonMalformed = "MALFORMED"
	ReasonTooLarge  = "TOO_LARGE"
)

// DecodeError says why a message cannot be answered at all.
type DecodeError struct {
	Reason string // ReasonMalformed or ReasonTooLarge
	Detail string // what is wrong, without quoting the input
}

func (e *DecodeError) Error() string { return strings.ToLower(e.Reason) + ": " + e.Detail }

// Limits bound what the decoder accepts. The zero value of a field means its
// default.
type Limits struct {
	MaxBytes  int // largest message, default 1 MiB
	MaxDepth  int // deepest JSON nesting, default 16
	MaxString int // longest string value in bytes, default 256
}

// Defaults for Limits.
const (
	DefaultMaxBytes  = 1 << 20
	DefaultMaxDepth  = 16
	DefaultMaxString = 256
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxString <= 0 {
		l.MaxString = DefaultMaxString
	}
	return l
}

// Decoder decodes claim.v1 messages. It is safe for concurrent use.
type Decoder struct {
	lim     Limits
	parsers fastjson.ParserPool
}

// NewDecoder returns a decoder with the given limits.
func NewDecoder(lim Limits) *Decoder { return &Decoder{lim: lim.withDefaults()} }

// Limits returns the limits in force.
func (d *Decoder) Limits() Limits { return d.lim }

// Decode decodes one claim.v1 message. received is used as received_at when
// the message has none (the Kafka timestamp, or the time of reading). The
// findings are MISSING_FIELD and INVALID_FIELD, with default severities.
// A *DecodeError means the message cannot be answered.
func (d *Decoder) Decode(msg []byte, received time.Time) (*Claim, []rule.Finding, error) {
	// A plain message with nothing to report is read in one pass (scan.go);
	// the rest by the JSON parser and the walker below, with the same
	// result either way.
	if c, ok := d.scan(msg, received); ok {
		return c, nil, nil
	}
	return d.decodeFull(msg, received)
}

// DecodeByParser is Decode by the JSON parser and the walker alone, for
// any message: the reference the one-pass readings (Decode's scan,
// DecodeText) are tested against.
func (d *Decoder) DecodeByParser(msg []byte, received time.Time) (*Claim, []rule.Finding, error) {
	return d.decodeFull(msg, received)
}

// decodeFull is Decode by the JSON parser and the walker, for any message.
func (d *Decoder) decodeFull(msg []byte, received time.Time) (*Claim, []rule.Finding, error) {
	if len(msg) > d.lim.MaxBytes {
		return nil, nil, &DecodeError{ReasonTooLarge, fmt.Sprintf("message is %d bytes, more than the limit of %d", len(msg), d.lim.MaxBytes)}
	}
	if !utf8.Valid(msg) {
		return nil, nil, &DecodeError{ReasonMalformed, "message is not valid UTF-8"}
	}
	// The nesting is measured on the parsed values (a walk over ~100 of
	// them, cheaper than a scan of every byte); when the parser gives up,
	// on the bytes, so that too deep a message says so either way (the
	// parser stops at 300 levels, and recurses no deeper).
	p := d.parsers.Get()
	defer d.parsers.Put(p)
	v, err := p.ParseBytes(msg)
	depth := 0
	if err != nil {
		depth = jsonDepth(msg)
	} else {
		depth = valueDepth(v)
	}
	if depth > d.lim.MaxDepth {
		return nil, nil, &DecodeError{ReasonMalformed, fmt.Sprintf("JSON is nested %d deep, more than the limit of %d", depth, d.lim.MaxDepth)}
	}
	if err != nil {
		return nil, nil, &DecodeError{ReasonMalformed, "message is not valid JSON"}
	}
	obj, err := v.Object()
	if err != nil {
		return nil, nil, &DecodeError{ReasonMalformed, "message is not a JSON object"}
	}
	w := walker{lim: d.lim, c: &Claim{}, size: len(msg)/3 + 16}
	if err := w.identity(obj); err != nil {
		return nil, nil, err
	}
	w.claim(obj, received)
	return w.c, w.fs, nil
}

var defaultDecoder = sync.OnceValue(func() *Decoder { return NewDecoder(Limits{}) })

// Decode decodes with the default limits.
func Decode(msg []byte, received time.Time) (*Claim, []rule.Finding, error) {
	return defaultDecoder().Decode(msg, received)
}

// valueDepth is the nesting of v: 1 for an object or array of scalars.
func valueDepth(v *fastjson.Value) int {
	m := 0
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		o.Visit(func(_ []byte, x *fastjson.Value) { m = max(m, valueDepth(x)) })
	case fastjson.TypeArray:
		a, _ := v.Array()
		for _, x := range a {
			m = max(m, valueDepth(x))
		}
	default:
		return 0
	}
	return m + 1
}

// jsonDepth returns the deepest nesting of arrays and objects in b, outside
// strings. It does not validate. Strings are skipped with IndexByte.
func jsonDepth(b []byte) int {
	depth, max := 0, 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			for {
				k := bytes.IndexByte(b[i+1:], '"')
				if k < 0 {
					return max
				}
				i += k + 1
				bs := 0
				for p := i - 1; p >= 0 && b[p] == '\\'; p-- {
					bs++
				}
				if bs%2 == 0 {
					break
				}
			}
		case '{', '[':
			depth++
			if depth > max {
				max = depth
			}
		case '}', ']':
			depth--
		}
	}
	return max
}

// LinePath returns the JSON path of a field of line i ("lines[i].field").
func LinePath(i int, field string) string {
	return "lines[" + strconv.Itoa(i) + "]." + field
}

// DxPath returns the JSON path of diagnosis i's code.
func DxPath(i int) string { return "diagnoses[" + strconv.Itoa(i) + "].code" }

// ModifierPath returns the JSON path of modifier j of line i.
func ModifierPath(i, j int) string {
	return LinePath(i, "procedure.modifiers["+strconv.Itoa(j)+"]")
}

// Show returns s fit to quote in a finding: at most 40 bytes, with control
// characters replaced.
func Show(s string) string {
	const max = 40
	cut := false
	if len(s) > max {
		s, cut = s[:max], true
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if cut {
		s += "…"
	}
	return s
}

type walker struct {
	lim Limits
	c   *Claim
	fs  []rule.Finding
	// Backing arrays (take) for the claim's strings (arena: their bytes),
	// its lines' pointers and modifiers: a few allocations a message rather
	// than one a field. A string made from the arena is never written again.
	arena []byte
	size  int // room of a new arena: part of the message's length
	ints  []int
	strs  []string
}

// take returns an empty slice with room for n, from buf's backing array
// (a new one of at least chunk when it is full): many fields to one
// allocation. The room is capped, so an append never reaches the next.
func take[T any](buf *[]T, n, chunk int) []T {
	if n == 0 {
		return []T{}
	}
	if cap(*buf)-len(*buf) < n {
		*buf = make([]T, 0, max(n, chunk))
	}
	l := len(*buf)
	*buf = (*buf)[:l+n]
	return (*buf)[l : l : l+n]
}

// keep returns the bytes b as a string held in the arena.
func (w *walker) keep(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	s := append(take(&w.arena, len(b), w.size), b...)
	return unsafe.String(&s[0], len(s))
}

// normalize is NormalizeCode with the result held in the arena.
func (w *walker) normalize(code string) string {
	if isNormal(code) {
		return code
	}
	s := appendNormal(take(&w.arena, len(code), w.size), code)
	if len(s) == 0 {
		return ""
	}
	return unsafe.String(&s[0], len(s))
}

func (w *walker) missing(line int, path, what string) {
	f := rule.New(rule.MissingField, line, path, "", what+" is missing")
	if strings.HasPrefix(path, "diagnoses") {
		f.X12 = "A6:255"
	} else if st := missingStatus[lastField(path)]; st != "" {
		f.X12 = st
	}
	w.fs = append(w.fs, f)
}

// missingStatus is the 277CA status of an absent element that has one of
// its own; others use A6:21.
var missingStatus = map[string]string{
	"code":             "A6:454",
	"service_date":     "A6:187",
	"place_of_service": "A6:249",
	"charge":           "A6:400",
	"lines":            "A6:454",
}

func lastField(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		path = path[i+1:]
	}
	if i := strings.IndexByte(path, '['); i >= 0 {
		path = path[:i]
	}
	return path
}

func (w *walker) invalid(line int, path, code, msg string) {
	w.fs = append(w.fs, rule.New(rule.InvalidField, line, path, Show(code), msg))
}

// str reads a string value; it reports wrong types, control characters and
// overlong strings, and returns ok=false for them and for null.
func (w *walker) str(line int, path string, v *fastjson.Value) (string, bool) {
	switch v.Type() {
	case fastjson.TypeNull:
		w.null(line, path)
		return "", false
	case fastjson.TypeString:
	default:
		w.invalid(line, path, "", path+" must be a string")
		return "", false
	}
	b := v.GetStringBytes()
	if len(b) > w.lim.MaxString {
		w.invalid(line, path, string(b), fmt.Sprintf("%s is %d bytes long, more than the limit of %d", path, len(b), w.lim.MaxString))
		return "", false
	}
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			w.invalid(line, path, string(b), path+" contains a control character")
			return "", false
		}
	}
	return w.keep(b), true
}

func (w *walker) date(line int, path string, v *fastjson.Value) Date {
	s, ok := w.str(line, path, v)
	if !ok {
		return Date{}
	}
	d, err := civil.Parse(s)
	if err != nil {
		w.invalid(line, path, s, path+" must be a date YYYY-MM-DD")
		return Date{Text: s}
	}
	return Date{Text: s, Day: d, OK: true}
}

func (w *walker) money(line int, path string, v *fastjson.Value) Money {
	s, ok := w.str(line, path, v)
	if !ok {
		return Money{}
	}
	cents, ok := parseMoney(s)
	if !ok {
		w.invalid(line, path, s, path+` must be an amount such as "125.00" (digits, at most two decimals, not negative)`)
		return Money{Text: s}
	}
	return Money{Text: s, Cents: cents, OK: true}
}

// parseMoney reads up to 10 digits, optionally a point and 1-2 decimals.
func parseMoney(s string) (int64, bool) {
	whole, frac, hasPoint := strings.Cut(s, ".")
	if len(whole) == 0 || len(whole) > 10 || !allDigits(whole) {
		return 0, false
	}
	if hasPoint && (len(frac) == 0 || len(frac) > 2 || !allDigits(frac)) {
		return 0, false
	}
	n, _ := strconv.ParseInt(whole, 10, 64)
	c := int64(0)
	if hasPoint {
		c, _ = strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			c *= 10
		}
	}
	return n*100 + c, true
}

// code reads a code string and normalises it.
func (w *walker) code(line int, path string, v *fastjson.Value) (string, bool) {
	n, _, ok := w.codeRaw(line, path, v)
	return n, ok
}

// codeRaw is code, and the code as written.
func (w *walker) codeRaw(line int, path string, v *fastjson.Value) (string, string, bool) {
	s, ok := w.str(line, path, v)
	if !ok {
		return "", "", false
	}
	n := w.normalize(s)
	for i := 0; i < len(n); i++ {
		if c := n[i]; !isUpper(c) && !isDigit(c) {
			w.invalid(line, path, s, path+" may hold only letters, digits and dots")
			return "", "", false
		}
	}
	if n == "" {
		w.missing(line, path, path)
		return "", "", false
	}
	return n, s, true
}

func (w *walker) null(line int, path string) {
	w.invalid(line, path, "", path+" is null; leave it out or give it a value")
}

func (w *walker) object(line int, path string, v *fastjson.Value) (*fastjson.Object, bool) {
	if v.Type() == fastjson.TypeNull {
		w.null(line, path)
		return nil, false
	}
	o, err := v.Object()
	if err != nil {
		w.invalid(line, path, "", path+" must be an object")
		return nil, false
	}
	return o, true
}

func (w *walker) array(line int, path string, v *fastjson.Value) ([]*fastjson.Value, bool) {
	if v.Type() == fastjson.TypeNull {
		w.null(line, path)
		return nil, false
	}
	a, err := v.Array()
	if err != nil {
		w.invalid(line, path, "", path+" must be an array")
		return nil, false
	}
	return a, true
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// maxFields bounds the keys of one claim.v1 object (claimFields has the
// most).
const maxFields = 16

// field is one member of an object: its key's index in the known keys,
// and its value.
type field struct {
	k int
	v *fastjson.Value
}

// fields returns o's known members in input order, in buf (no closure a
// field: the callers switch over what it returns), reporting unknown and
// repeated keys; known lists the accepted keys in order (more than
// maxFields would spill buf onto the heap, nothing worse).
func (w *walker) fields(line int, prefix string, o *fastjson.Object, known []string, buf *[maxFields]field) []field {
	var seen uint32
	out := buf[:0]
	o.Visit(func(key []byte, v *fastjson.Value) {
		k := -1
		for i, name := range known {
			if string(key) == name {
				k = i
				break
			}
		}
		if k < 0 {
			name := Show(string(key))
			if name == "" {
				name = `""`
			}
			w.invalid(line, join(prefix, name), "", "unknown field "+strconv.Quote(name)+" in claim.v1")
			return
		}
		if seen&(1<<k) != 0 {
			w.invalid(line, join(prefix, known[k]), "", known[k]+" is given twice")
			return
		}
		seen |= 1 << k
		out = append(out, field{k, v})
	})
	return out
}

// OriginatorIDPattern is the rule for an originator id (ARCHITECTURE §2).
// It is the only place it is written: the decoder, the originator tables
// and the command line all ask ValidOriginatorID.
const OriginatorIDPattern = `^[A-Za-z0-9._-]{1,64}$`

// ValidOriginatorID reports whether s matches OriginatorIDPattern. An
// originator id becomes part of a topic name, so nothing else may pass.
func ValidOriginatorID(s string) bool { return NameOf(s, 64) }

// NameOf reports whether s is 1 to max letters, digits, '.', '_' and '-':
// an originator id (64), and a Kafka topic name (249).
func NameOf(s string, max int) bool {
	if len(s) < 1 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || isUpper(c) || (c >= 'a' && c <= 'z') || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// identity reads claim_id and originator_id: without both, nobody can be
// answered.
func (w *walker) identity(o *fastjson.Object) error {
	id := o.Get("claim_id")
	if id == nil || id.Type() != fastjson.TypeString {
		return &DecodeError{ReasonMalformed, "claim_id is missing or not a string"}
	}
	s := w.keep(id.GetStringBytes())
	if len(s) < 1 || len(s) > MaxClaimID {
		return &DecodeError{ReasonMalformed, fmt.Sprintf("claim_id must be 1 to %d characters", MaxClaimID)}
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return &DecodeError{ReasonMalformed, "claim_id may hold only printable ASCII characters"}
		}
	}
	org := o.Get("originator_id")
	if org == nil || org.Type() != fastjson.TypeString {
		return &DecodeError{ReasonMalformed, "originator_id is missing or not a string"}
	}
	os := w.keep(org.GetStringBytes())
	if !ValidOriginatorID(os) {
		return &DecodeError{ReasonMalformed, "originator_id must match " + OriginatorIDPattern}
	}
	w.c.ClaimID, w.c.OriginatorID = s, os
	return nil
}

var claimFields = []string{"claim_id", "originator_id", "frequency", "form", "received_at", "patient",
	"place_of_service", "statement_period", "diagnoses", "lines", "total_charge", "bill_type"}

func (w *walker) claim(o *fastjson.Object, received time.Time) {
	c := w.c
	var dxs, lines []*fastjson.Value
	var hasDx, hasLines, hasForm, hasReceived bool
	dxOK, linesOK := true, true
	var fb [maxFields]field
	for _, f := range w.fields(0, "", o, claimFields, &fb) {
		k, v := f.k, f.v
		switch k {
		case 0, 1: // read by identity
		case 2:
			if s, ok := w.str(0, "frequency", v); ok {
				if !validFrequency(s) {
					w.invalid(0, "frequency", s, `frequency must be "1" (original), "7" (replacement) or "8" (void)`)
				}
				c.Frequency = s
			}
		case 3:
			hasForm = true
			if s, ok := w.str(0, "form", v); ok {
				if !validForm(s) {
					w.invalid(0, "form", s, `form must be "professional" or "institutional"`)
				}
				c.Form = Form(s)
			}
		case 4:
			if s, ok := w.str(0, "received_at", v); ok {
				t, err := time.Parse(time.RFC3339, s)
				if err != nil {
					w.invalid(0, "received_at", s, "received_at must be an RFC 3339 time such as 2025-11-02T14:05:00Z")
				} else {
					hasReceived = true
					c.ReceivedAt = t
				}
			}
		case 5:
			if po, ok := w.object(0, "patient", v); ok {
				c.Patient = w.patient(po)
			}
		case 6:
			c.PlaceOfService = w.pos(0, "place_of_service", v)
		case 7:
			if po, ok := w.object(0, "statement_period", v); ok {
				c.StatementPeriod = w.period(po)
			}
		case 8:
			hasDx = true
			dxs, dxOK = w.array(0, "diagnoses", v)
		case 9:
			hasLines = true
			lines, linesOK = w.array(0, "lines", v)
		case 10:
			c.TotalCharge = w.money(0, "total_charge", v)
		case 11:
			if s, ok := w.str(0, "bill_type", v); ok {
				if bt, ok := billType(s); !ok {
					w.invalid(0, "bill_type", bt, "bill_type must be a three-digit type of bill such as 111 (facility type and frequency)")
				} else {
					c.BillType = bt
				}
			}
		}
	}
	if c.BillType != "" && c.Form == Professional {
		w.invalid(0, "bill_type", c.BillType, "bill_type is given only on institutional claims")
		c.BillType = ""
	}
	if c.Frequency == "" {
		c.Frequency = FrequencyOriginal
	}
	if !hasForm {
		w.missing(0, "form", "form (professional or institutional)")
	}
	if !hasReceived {
		c.ReceivedAt = received
	}
	c.received = dayOf(c.ReceivedAt)

	maxDx, maxLines := MaxDiagnosesInstitutional, MaxLinesInstitutional
	if c.Form == Professional {
		maxDx, maxLines = MaxDiagnosesProfessional, MaxLinesProfessional
	}
	switch {
	case !hasDx || (dxOK && len(dxs) == 0):
		w.missing(0, "diagnoses", "diagnoses (at least one; the first is the principal diagnosis)")
	case len(dxs) > maxDx:
		w.invalid(0, "diagnoses", "", fmt.Sprintf("%d diagnoses on a %s claim; at most %d are allowed", len(dxs), formName(c.Form), maxDx))
	}
	if len(dxs) > maxDx {
		dxs = dxs[:maxDx]
	}
	c.Diagnoses = make([]Dx, 0, len(dxs))
	for i, v := range dxs {
		c.Diagnoses = append(c.Diagnoses, w.dx(i, v))
	}

	switch {
	case !hasLines || (linesOK && len(lines) == 0):
		w.missing(0, "lines", "lines (at least one service line)")
	case len(lines) > maxLines:
		w.invalid(0, "lines", "", fmt.Sprintf("%d lines on a %s claim; at most %d are allowed", len(lines), formName(c.Form), maxLines))
	}
	if len(lines) > maxLines {
		lines = lines[:maxLines]
	}
	c.Lines = make([]Line, len(lines))
	for i, v := range lines {
		w.line(i, v)
	}
	if c.Form == Institutional && c.StatementPeriod == nil {
		w.missing(0, "statement_period", "statement_period (from and through) of an institutional claim")
	}
}

// The value tests of claim.v1's fields, shared by the walker and Build.
func validFrequency(s string) bool {
	return s == FrequencyOriginal || s == FrequencyReplacement || s == FrequencyVoid
}

func validForm(s string) bool { return s == string(Professional) || s == string(Institutional) }

func validSex(s string) bool { return s == "F" || s == "M" || s == "U" }

// posShape: a place of service is two digits.
func posShape(s string) bool { return len(s) == 2 && allDigits(s) }

// billType is a type of bill without its one leading zero (0111 is 111),
// and whether it is then three digits.
func billType(s string) (string, bool) {
	s = strings.TrimPrefix(s, "0")
	return s, len(s) == 3 && allDigits(s)
}

func formName(f Form) string {
	if f == Professional {
		return "professional"
	}
	return "institutional"
}

func dayOf(t time.Time) civil.Date {
	y, m, d := t.Date()
	return civil.FromYMD(y, int(m), d)
}

var patientFields = []string{"member_id", "birth_date", "sex"}

func (w *walker) patient(o *fastjson.Object) *Patient {
	p := &Patient{}
	var fb [maxFields]field
	for _, f := range w.fields(0, "patient", o, patientFields, &fb) {
		k, v := f.k, f.v
		switch k {
		case 0:
			p.MemberID, _ = w.str(0, "patient.member_id", v)
		case 1:
			p.BirthDate = w.date(0, "patient.birth_date", v)
		case 2:
			if s, ok := w.str(0, "patient.sex", v); ok {
				if !validSex(s) {
					w.invalid(0, "patient.sex", s, `patient.sex must be "F", "M" or "U"`)
				}
				p.Sex = s
			}
		}
	}
	return p
}

var periodFields = []string{"from", "through"}

func (w *walker) period(o *fastjson.Object) *Period {
	p := &Period{}
	var fb [maxFields]field
	for _, f := range w.fields(0, "statement_period", o, periodFields, &fb) {
		k, v := f.k, f.v
		if k == 0 {
			p.From = w.date(0, "statement_period.from", v)
		} else {
			p.Through = w.date(0, "statement_period.through", v)
		}
	}
	if p.From.Text == "" {
		w.missing(0, "statement_period.from", "statement_period.from")
	}
	if p.Through.Text == "" {
		w.missing(0, "statement_period.through", "statement_period.through")
	}
	return p
}

func (w *walker) pos(line int, path string, v *fastjson.Value) string {
	s, ok := w.str(line, path, v)
	if !ok {
		return ""
	}
	if !posShape(s) {
		w.invalid(line, path, s, path+" must be a two-digit place of service code such as 11")
		return ""
	}
	return s
}

var dxFields = []string{"code", "system"}

func (w *walker) dx(i int, v *fastjson.Value) Dx {
	d := Dx{System: ICD10CM}
	ps := &dxPathSets[i]
	path := ps.base
	o, ok := w.object(0, path, v)
	if !ok {
		return d
	}
	var raw string
	hasCode := false
	var fb [maxFields]field
	for _, f := range w.fields(0, path, o, dxFields, &fb) {
		k, v := f.k, f.v
		switch k {
		case 0:
			hasCode = true
			d.Code, raw, _ = w.codeRaw(0, ps.code, v)
		case 1:
			if s, ok := w.str(0, ps.system, v); ok {
				if s != ICD10CM && s != ICD9CM {
					w.invalid(0, ps.system, s, ps.system+` must be "ICD-10-CM" or "ICD-9-CM"`)
				} else {
					d.System = s
				}
			}
		}
	}
	switch {
	case !hasCode:
		w.missing(0, ps.code, ps.code)
	case d.Code == "":
		// reported by code()
	case d.System == ICD10CM && !ValidICD10Shape(d.Code):
		w.invalid(0, ps.code, raw, raw+" is not shaped like an ICD-10-CM code (a letter, a digit, then 1 to 5 letters or digits)")
	case d.System == ICD9CM && !ValidICD9Shape(d.Code):
		w.invalid(0, ps.code, raw, raw+" is not shaped like an ICD-9-CM diagnosis code")
	}
	return d
}

var lineFields = []string{"number", "procedure", "service_date", "units", "charge", "place_of_service", "diagnosis_pointers"}

func (w *walker) line(i int, v *fastjson.Value) {
	c := w.c
	l := &c.Lines[i]
	n := i + 1
	l.Number = n
	l.Units = 1
	ps := &linePathSets[i]
	path := ps.base
	o, ok := w.object(n, path, v)
	if !ok {
		return
	}
	var hasProc, hasCharge, hasPointers, hasDate bool
	var fb [maxFields]field
	for _, f := range w.fields(n, path, o, lineFields, &fb) {
		k, v := f.k, f.v
		switch k {
		case 0:
			num, err := v.Int()
			if err != nil || num != n {
				w.invalid(n, ps.number, v.String(), fmt.Sprintf("%s.number must be %d: lines are numbered 1, 2, 3 … in order", path, n))
			}
		case 1:
			hasProc = true
			if po, ok := w.object(n, ps.procedure, v); ok {
				w.procedure(i, po)
			}
		case 2:
			hasDate = true
			l.ServiceDate = w.date(n, ps.serviceDate, v)
		case 3:
			if v.Type() == fastjson.TypeNull {
				w.null(n, ps.units)
				continue
			}
			u, err := v.Float64()
			if err != nil || v.Type() != fastjson.TypeNumber {
				w.invalid(n, ps.units, "", path+".units must be a number")
				continue
			}
			if u <= 0 || u > 99999 {
				w.invalid(n, ps.units, strconv.FormatFloat(u, 'g', 10, 64), path+".units must be more than 0 and at most 99999")
				continue
			}
			l.Units = u
		case 4:
			l.Charge = w.money(n, ps.charge, v)
			hasCharge = true
		case 5:
			l.PlaceOfService = w.pos(n, ps.pos, v)
		case 6:
			a, ok := w.array(n, ps.pointers, v)
			hasPointers = !ok || len(a) > 0
			if !ok {
				continue
			}
			l.PointerCount = len(a)
			if len(a) > MaxDiagnosesInstitutional {
				a = a[:MaxDiagnosesInstitutional]
			}
			l.Pointers = take(&w.ints, len(a), 2*len(w.c.Lines))
			for j, pv := range a {
				p, err := pv.Int()
				if err != nil || pv.Type() != fastjson.TypeNumber {
					w.invalid(n, fmt.Sprintf("%s.diagnosis_pointers[%d]", path, j), "", "a diagnosis pointer must be a whole number from 1 to the number of diagnoses")
					continue
				}
				l.Pointers = append(l.Pointers, p)
			}
		}
	}
	if !hasProc {
		w.missing(n, ps.procCode, "the procedure code")
	}
	if !hasCharge {
		w.missing(n, ps.charge, "the line charge")
	}
	if !hasDate && (c.StatementPeriod == nil || c.Form == Professional) {
		w.missing(n, ps.serviceDate, "the service date")
	}
	if c.Form == Professional && !hasPointers {
		w.missing(n, ps.pointers, "diagnosis pointers (which diagnoses this service treats)")
	}
}

var procFields = []string{"code", "modifiers"}

func (w *walker) procedure(i int, o *fastjson.Object) {
	l := &w.c.Lines[i]
	n := i + 1
	ps := &linePathSets[i]
	path := ps.procedure
	var raw string
	hasCode := false
	var fb [maxFields]field
	for _, f := range w.fields(n, path, o, procFields, &fb) {
		k, v := f.k, f.v
		switch k {
		case 0:
			hasCode = true
			l.Procedure.Code, raw, _ = w.codeRaw(n, ps.procCode, v)
		case 1:
			a, ok := w.array(n, ps.procMods, v)
			if !ok {
				continue
			}
			if len(a) > MaxModifiers {
				w.invalid(n, ps.procMods, "", fmt.Sprintf("%d modifiers on one line; at most %d are allowed", len(a), MaxModifiers))
				a = a[:MaxModifiers]
			}
			l.Procedure.Modifiers = take(&w.strs, len(a), len(w.c.Lines))
			for j, mv := range a {
				mp := ModPath(i, j)
				m, ok := w.code(n, mp, mv)
				if !ok {
					continue
				}
				if len(m) != 2 {
					w.invalid(n, mp, m, mp+" must be two letters or digits, such as 25 or LT")
					continue
				}
				l.Procedure.Modifiers = append(l.Procedure.Modifiers, m)
			}
		}
	}
	switch {
	case !hasCode:
		w.missing(n, ps.procCode, "the procedure code")
	case l.Procedure.Code == "":
	default:
		l.Procedure.System = ProcedureSystem(l.Procedure.Code)
		if l.Procedure.System == "" {
			w.invalid(n, ps.procCode, raw, raw+" is not shaped like a CPT code (five digits, or four digits and F, T or U) or a HCPCS Level II code (a letter and four digits)")
		}
	}
}
