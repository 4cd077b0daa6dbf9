// Package codeset reads the official code-set files as CMS publishes them and
// answers, from an immutable Snapshot, whether a code is valid for a system
// on a date and in which release.
//
// Releases are kept side by side, never merged: the release in force on a
// date is chosen by its coverage window, and a code's own rows decide
// within it. The package is pure: readers take an io.Reader, nothing here
// opens files except Open/LoadDir, which are thin wrappers.
package codeset

import (
	"errors"
	"fmt"

	"github.com/claimscreen/claimscreen/internal/civil"
)

// Code systems.
const (
	ICD10CM       = "ICD-10-CM"
	ICD9CM        = "ICD-9-CM"
	CPT           = "CPT"
	CPTModifier   = "CPT-MODIFIER"
	HCPCS         = "HCPCS"
	HCPCSModifier = "HCPCS-MODIFIER"
	POS           = "POS"
	// NCCI PTP edits and MUEs: practitioner files apply to professional
	// claims, outpatient hospital files to institutional ones.
	NCCIPTP         = "NCCI-PTP"
	NCCIPTPHospital = "NCCI-PTP-HOSPITAL"
	MUE             = "MUE"
	MUEHospital     = "MUE-HOSPITAL"
	MUEDME          = "MUE-DME"
	// The editors' reference tables: the MCE diagnosis flags and age
	// ranges (parts of one MCE release), and the ICD-10-CM Tabular List.
	MCE            = "MCE"
	ICD10CMTabular = "ICD-10-CM-TABULAR"
)

// Parts of an MCE release.
const (
	PartMCEDxFlags   = "dx-flags"
	PartMCEAgeRanges = "age-ranges"
)

// Formats of the files the readers understand.
const (
	FormatICD10Order = "icd10cm-order"
	FormatHCPCSText  = "hcpcs-anweb"
	FormatHCPCSCSV   = "hcpcs-anweb-csv"
	FormatGeneric    = "generic-list"
	FormatNCCIPTP    = "ncci-ptp"
	FormatMUE        = "mue"
	FormatMCEDxFlags = "mce-dx-flags"
	FormatMCEAges    = "mce-age-ranges"
	FormatTabular    = "icd10cm-tabular"
)

// Release is one loaded release of one code system.
type Release struct {
	System  string
	Version string
	// Part tells apart files that together make one release (NCCI PTP
	// f1..f4); it is empty otherwise.
	Part     string
	Coverage civil.Range
	Source   string // the file name, "archive.zip!member" for a zip member
	Format   string
	SHA256   string // of the file's content, after decompression
	Rows     int    // data records read for this system

	Codes []Code    // code systems
	Edits []PTPEdit // NCCI PTP
	MUEs  []MUERow  // MUE

	DxFlags   []DxFlagRow // MCE diagnosis flags
	FlagNames []string    // MCE: the name of each flag bit (FlagNames[i] is bit 1<<i)
	AgeRanges []AgeRange  // MCE age ranges
	Tabular   *Tabular    // ICD-10-CM Tabular List

	// HCPCS holds, for HCPCS procedure releases, each code's coverage code,
	// statute and cross-reference (kept after the snapshot drops rows).
	HCPCS map[string]HCPCSInfo
}

// HCPCSInfo is what the HCPCS file says of a code beside its dates.
type HCPCSInfo struct {
	Coverage byte   // C, D, I, M, S (record column 230); 0 when blank
	Statute  string // statute number (columns 171-180)
	XRef     string // first cross-reference code (columns 205-209): the code to use instead
}

// rulesRead says whether the info holds what a rule reads: a coverage code
// that PX_NOT_COVERED reports (S, M, I) or a replacement code for the
// terminated-code message. Most codes' coverage is C or D, which no rule
// reads.
func (i HCPCSInfo) rulesRead() bool {
	return i.Coverage == 'S' || i.Coverage == 'M' || i.Coverage == 'I' || i.XRef != ""
}

// MCEFlags is a set of MCE diagnosis flags, one bit a flag.
type MCEFlags uint32

// The MCE flags the rules read; a release may hold others (FlagNames).
const (
	FlagECodePdx MCEFlags = 1 << iota
	FlagManifestation
	FlagUnacceptable
	FlagQAdm
	FlagNewborn
	FlagPediatric
	FlagMaternity
	FlagAdult
	FlagFemale
	FlagMale
)

// knownFlags are the names of the flags above, bit by bit.
var knownFlags = []string{"ecodepdx", "manifestation", "unacceptable", "qadm", "newborn", "pediatric", "maternity", "adult", "female", "male"}

// FlagName is the MCE name of a flag the rules read.
func FlagName(f MCEFlags) string {
	for i, n := range knownFlags {
		if f == 1<<i {
			return n
		}
	}
	return ""
}

// DxFlagRow is one dated period of a diagnosis code in the MCE table.
type DxFlagRow struct {
	Code  string
	Valid civil.Range
	Flags MCEFlags
}

// AgeRange is the ages (whole years) an MCE age flag allows in a period.
type AgeRange struct {
	Flag     MCEFlags
	Min, Max int
	Valid    civil.Range
}

// Key names a release uniquely.
func (r *Release) Key() string {
	k := r.System + " " + r.Version
	if r.Part != "" {
		k += " " + r.Part
	}
	return k
}

// String describes the release for operators.
func (r *Release) String() string {
	return fmt.Sprintf("%s %s (%s, covers %s, %d rows, from %s)", r.System, r.Version, r.Format, r.Coverage, r.Rows, r.Source)
}

// Code is one code's row in a release: the days it is valid and, for
// ICD-10-CM, whether it is billable (valid for HIPAA transactions) or a
// category header.
type Code struct {
	Code     string
	Valid    civil.Range
	Billable bool
}

// PTPEdit is one NCCI procedure-to-procedure edit: Column2 is not paid with
// Column1 on the same date unless the modifier indicator allows a modifier.
type PTPEdit struct {
	Column1, Column2 string
	Valid            civil.Range // effective to deletion date
	// Modifier is 0 (no modifier allowed), 1 (an NCCI-associated modifier
	// allows the pair) or 9 (not applicable: no edit).
	Modifier  byte
	Rationale string
}

// MUE adjudication indicators.
const (
	MAILine         = 1 // per line
	MAIDatePolicy   = 2 // per date of service, policy
	MAIDateClinical = 3 // per date of service, clinical
)

// MUERow is one medically unlikely edit.
type MUERow struct {
	Code      string
	Value     int
	MAI       int
	Rationale string
}

// LineError is a bad line in a code-set or chart file.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// ErrUnrecognized is returned for a file whose format cannot be told.
var ErrUnrecognized = errors.New("not a recognised code-set file")
