// Package rule is the one place where screening rules are named. Each rule
// has a stable id, a default severity, and the X12 277CA status, CARC and
// RARC that a billing office acts on; the table below is that mapping, kept
// as data so that documentation, configuration and findings all read it.
package rule

import (
	"errors"
	"fmt"
	"sort"

	"github.com/claimscreen/claimscreen/internal/jsonw"
)

// ID is a rule's stable, machine-readable id.
type ID string

// The rules of ARCHITECTURE §5.
const (
	MissingField     ID = "MISSING_FIELD"
	InvalidField     ID = "INVALID_FIELD"
	DateInvalid      ID = "DATE_INVALID"
	TotalMismatch    ID = "TOTAL_MISMATCH"
	DxUnknown        ID = "DX_UNKNOWN"
	DxNotBillable    ID = "DX_NOT_BILLABLE"
	DxNotEffective   ID = "DX_NOT_EFFECTIVE"
	DxWrongRevision  ID = "DX_WRONG_REVISION"
	PxUnknown        ID = "PX_UNKNOWN"
	PxNotEffective   ID = "PX_NOT_EFFECTIVE"
	ModifierInvalid  ID = "MODIFIER_INVALID"
	PosInvalid       ID = "POS_INVALID"
	PointerInvalid   ID = "POINTER_INVALID"
	XwalkMissing     ID = "XWALK_MISSING"
	NcciPTP          ID = "NCCI_PTP"
	MueExceeded      ID = "MUE_EXCEEDED"
	Duplicate        ID = "DUPLICATE"
	CodesetNotLoaded ID = "CODESET_NOT_LOADED"

	// The editors' diagnosis and coverage edits (MCE, IOCE, clearinghouse
	// front ends), from the MCE tables, the Tabular List and HCPCS.
	DxExternalCauseFirst    ID = "DX_EXTERNAL_CAUSE_FIRST"
	DxManifestationFirst    ID = "DX_MANIFESTATION_FIRST"
	DxSequelaFirst          ID = "DX_SEQUELA_FIRST"
	DxAgeConflict           ID = "DX_AGE_CONFLICT"
	DxSexConflict           ID = "DX_SEX_CONFLICT"
	DxExcludes1             ID = "DX_EXCLUDES1"
	DxDuplicate             ID = "DX_DUPLICATE"
	DxUnacceptablePrincipal ID = "DX_UNACCEPTABLE_PRINCIPAL"
	DxQuestionableAdmission ID = "DX_QUESTIONABLE_ADMISSION"
	PxNotCovered            ID = "PX_NOT_COVERED"
)

// Severity says what a finding does to the claim's outcome.
type Severity string

// Severities. Reject sends the claim back to its originator; Hold keeps it
// for operations; Flag and Info travel with an accepted claim; Off drops the
// finding altogether.
const (
	Reject Severity = "reject"
	Hold   Severity = "hold"
	Flag   Severity = "flag"
	Info   Severity = "info"
	Off    Severity = "off"
)

// ParseSeverity checks a severity named in configuration.
func ParseSeverity(s string) (Severity, error) {
	switch Severity(s) {
	case Reject, Hold, Flag, Info, Off:
		return Severity(s), nil
	}
	return "", fmt.Errorf("severity %q is not one of reject, hold, flag, info, off", s)
}

// Stage is the step of evaluation a rule belongs to.
type Stage int

// Stages of ARCHITECTURE §5.
const (
	StageStructure Stage = 1 // needs no code set
	StageCoverage  Stage = 2 // a needed code set is not loaded
	StageCodes     Stage = 3 // code rules
)

// Spec describes one rule.
type Spec struct {
	ID      ID
	Default Severity
	Stage   Stage
	// X12 is the 277CA status (category:status). X12Principal, when set, is
	// used instead for the principal diagnosis.
	X12, X12Principal string
	CARC              string
	// RARC is the remark code; RARCOther, when set, replaces it for a
	// diagnosis that is not the principal one.
	RARC, RARCOther string
	// X12Entity is the entity the 277CA status names (STC01-3: QC the
	// patient), "" none; X12Line: a finding of the rule that names a claim
	// line is reported on that line too, in the 277CA's 2220D loop (SVC,
	// STC, REF*FJ), not only at the claim.
	X12Entity string
	X12Line   bool
	When      string
}

// Table is every rule, in the order of ARCHITECTURE §5.
var Table = []Spec{
	{MissingField, Reject, StageStructure, "A6:21", "", "16", "MA130", "", "", true, "a required element is absent"},
	{InvalidField, Reject, StageStructure, "A7:21", "", "16", "MA130", "", "", true, "wrong format: date, money, code shape, enum"},
	{DateInvalid, Reject, StageStructure, "A7:187", "", "16", "", "", "", true, "service date in the future, through before from"},
	{TotalMismatch, Reject, StageStructure, "A7:400", "", "16", "", "", "", false, "total_charge differs from the sum of line charges"},
	{DxUnknown, Reject, StageCodes, "A7:255", "A7:254", "16", "M76", "M64", "", false, "diagnosis code in no loaded ICD-10-CM release"},
	{DxNotBillable, Reject, StageCodes, "A7:255", "A7:254", "16", "M81", "", "", false, "a header (category) code in the release in force"},
	{DxNotEffective, Reject, StageCodes, "A7:255", "A7:254", "146", "", "", "", false, "in some release, not in the one in force on the date"},
	{DxWrongRevision, Reject, StageStructure, "A7:255", "", "16", "M76", "", "", false, "ICD-9-CM on or after 2015-10-01, ICD-10-CM before it, or both on one claim"},
	{PxUnknown, Reject, StageCodes, "A7:454", "", "16", "M51", "", "", true, "procedure code in no loaded release"},
	{PxNotEffective, Reject, StageCodes, "A7:454", "", "181", "", "", "", true, "outside its add/termination dates on the service date"},
	{ModifierInvalid, Reject, StageCodes, "A7:453", "", "182", "N519", "", "", true, "modifier unknown or not effective on the date"},
	{PosInvalid, Reject, StageCodes, "A7:249", "", "58", "M77", "", "", true, "place of service unknown or not effective"},
	{PointerInvalid, Reject, StageStructure, "A7:255", "", "16", "M76", "", "", true, "a pointer outside 1..n, repeated, or more than 4"},
	{XwalkMissing, Reject, StageCodes, "A7:255", "", "16", "N56", "", "", true, "no crosswalk entry for a valid external code on the date"},
	{NcciPTP, Flag, StageCodes, "", "", "97", "M15", "", "", true, "a procedure pair on one date with an NCCI PTP edit in force and no allowed modifier"},
	{MueExceeded, Flag, StageCodes, "", "", "151", "", "", "", true, "units over the MUE for the code and date"},
	{Duplicate, Flag, StageCodes, "", "", "18", "", "", "", false, "the same originator and claim id already decided with different content and frequency 1"},
	{CodesetNotLoaded, Hold, StageCoverage, "", "", "", "", "", "", false, "no loaded release of a needed code system covers the date"},
	{DxExternalCauseFirst, Reject, StageCodes, "A7:254", "", "16", "MA63", "", "", false, "the first diagnosis is an external cause code (MCE ecodepdx; Tabular chapter 20)"},
	{DxManifestationFirst, Reject, StageCodes, "A7:254", "", "16", "MA63", "", "", false, "the first diagnosis is a manifestation code (MCE manifestation; Tabular title)"},
	{DxSequelaFirst, Reject, StageCodes, "A7:254", "", "16", "MA63", "", "", false, "the first diagnosis is a sequela (7th character S meaning sequela in the Tabular List)"},
	{DxAgeConflict, Reject, StageCodes, "A7:255", "A7:254", "9", "", "", "QC", false, "an MCE newborn, pediatric, maternity or adult diagnosis outside the patient's age range on the date"},
	{DxSexConflict, Reject, StageCodes, "A7:255", "A7:254", "10", "", "", "QC", false, "an MCE female or male diagnosis in force on the date and a patient of the other sex"},
	{DxExcludes1, Flag, StageCodes, "", "", "16", "M64", "", "", false, "two diagnoses form an Excludes1 pair of the Tabular List"},
	{DxDuplicate, Flag, StageCodes, "", "", "16", "M64", "", "", false, "the same diagnosis is listed twice"},
	{DxUnacceptablePrincipal, Flag, StageCodes, "", "", "16", "MA63", "", "", false, "inpatient (bill type 11x): MCE unacceptable principal diagnosis"},
	{DxQuestionableAdmission, Flag, StageCodes, "", "", "50", "", "", "", false, "inpatient (bill type 11x): MCE questionable admission on the principal diagnosis"},
	{PxNotCovered, Flag, StageCodes, "", "", "96", "", "", "", true, "a HCPCS code whose coverage code is S (statutory exclusion) or M (non-covered); I gives an info finding"},
}

// specRef is a spec and its place in Table.
type specRef struct {
	*Spec
	idx uint8
}

var byID = func() map[ID]specRef {
	m := make(map[ID]specRef, len(Table))
	for i := range Table {
		m[Table[i].ID] = specRef{&Table[i], uint8(i)}
	}
	return m
}()

// Lookup returns the spec of id.
func Lookup(id ID) (*Spec, bool) {
	s, ok := byID[id]
	return s.Spec, ok
}

// Finding is one problem found on a claim.
type Finding struct {
	Rule     ID       `json:"rule"`
	Severity Severity `json:"severity"`
	// Line is the claim line's number, 1-based; 0 means the claim level.
	Line    int    `json:"line"`
	Path    string `json:"path"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
	X12     string `json:"x12,omitempty"`
	CARC    string `json:"carc,omitempty"`
	RARC    string `json:"rarc,omitempty"`

	// spec is the rule's place in Table plus one (0: not known, as for a
	// finding read back from JSON), so that the policy reads its severity
	// without a map lookup each stage.
	spec uint8
}

// New builds a finding of rule id with its table codes and default
// severity. It panics on an id that is not in the table: that is a
// programming error, not input.
func New(id ID, line int, path, code, message string) Finding {
	s, ok := byID[id]
	if !ok {
		panic("rule: unknown rule id " + string(id))
	}
	return newFinding(s, line, path, code, message)
}

func newFinding(s specRef, line int, path, code, message string) Finding {
	return Finding{Rule: s.ID, Severity: s.Default, Line: line, Path: path, Code: code,
		Message: message, X12: s.X12, CARC: s.CARC, RARC: s.RARC, spec: s.idx + 1}
}

// NewDx builds a finding about a diagnosis; the principal diagnosis (the
// first) has its own X12 status and, for some rules, its own RARC.
func NewDx(id ID, principal bool, path, code, message string) Finding {
	s, ok := byID[id]
	if !ok {
		panic("rule: unknown rule id " + string(id))
	}
	f := newFinding(s, 0, path, code, message)
	if principal && s.X12Principal != "" {
		f.X12 = s.X12Principal
	}
	if !principal && s.RARCOther != "" {
		f.RARC = s.RARCOther
	}
	return f
}

// Policy holds the severities in force, the defaults overridden by
// configuration.
type Policy struct {
	sev   map[ID]Severity
	byIdx []Severity // by place in Table
}

// DefaultPolicy is the table's default severities.
func DefaultPolicy() *Policy {
	p, _ := NewPolicy(nil)
	return p
}

// NewPolicy overrides the defaults with the given severities. It names every
// unknown rule id at once.
func NewPolicy(overrides map[string]string) (*Policy, error) {
	p := &Policy{sev: make(map[ID]Severity, len(Table))}
	for _, s := range Table {
		p.sev[s.ID] = s.Default
	}
	var errs []error
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := byID[ID(k)]; !ok {
			errs = append(errs, fmt.Errorf("rule %q is not a rule id", k))
			continue
		}
		sev, err := ParseSeverity(overrides[k])
		if err != nil {
			errs = append(errs, fmt.Errorf("rule %s: %w", k, err))
			continue
		}
		p.sev[ID(k)] = sev
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	p.byIdx = make([]Severity, len(Table))
	for i, s := range Table {
		p.byIdx[i] = p.sev[s.ID]
	}
	return p, nil
}

// Severity returns the severity in force for id.
func (p *Policy) Severity(id ID) Severity { return p.sev[id] }

// Apply sets each finding's severity from the policy and drops the findings
// whose rule is off. It reuses fs's storage.
func (p *Policy) Apply(fs []Finding) []Finding {
	out := fs[:0]
	for _, f := range fs {
		var sev, def Severity
		if f.spec > 0 {
			sev, def = p.byIdx[f.spec-1], Table[f.spec-1].Default
		} else {
			sev = p.sev[f.Rule]
			if s, ok := byID[f.Rule]; ok {
				def = s.Default
			}
		}
		// A rule's informational case (a finding it made at Info below its
		// default) stays informational unless the rule is turned off.
		if f.Severity == Info && sev != Off && def != Info {
			sev = Info
		}
		f.Severity = sev
		if f.Severity != Off {
			out = append(out, f)
		}
	}
	return out
}

// AppendJSON appends the finding as encoding/json writes it.
func (f *Finding) AppendJSON(b []byte) []byte {
	b = append(b, `{"rule":`...)
	b = jsonw.String(b, string(f.Rule))
	b = append(b, `,"severity":`...)
	b = jsonw.String(b, string(f.Severity))
	b = append(b, `,"line":`...)
	b = jsonw.Int(b, f.Line)
	b = append(b, `,"path":`...)
	b = jsonw.String(b, f.Path)
	if f.Code != "" {
		b = append(b, `,"code":`...)
		b = jsonw.String(b, f.Code)
	}
	b = append(b, `,"message":`...)
	b = jsonw.String(b, f.Message)
	for _, o := range [...]struct{ name, v string }{{"x12", f.X12}, {"carc", f.CARC}, {"rarc", f.RARC}} {
		if o.v != "" {
			b = jsonw.Field(b, o.name, false)
			b = jsonw.String(b, o.v)
		}
	}
	return append(b, '}')
}

// AppendFindings appends a list of findings as encoding/json writes the
// slice (null when nil).
func AppendFindings(b []byte, fs []Finding) []byte {
	if fs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		b = fs[i].AppendJSON(b)
	}
	return append(b, ']')
}
