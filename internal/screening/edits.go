package screening

import (
	"strconv"
	"strings"

	"github.com/claimscreen/claimscreen/internal/civil"
	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/rule"
)

// The diagnosis edits of CMS's editors (MCE, IOCE) and of clearinghouse
// front ends, on the MCE diagnosis flags and age ranges and on the
// ICD-10-CM Tabular List in force on each diagnosis's date. Where the table
// a rule reads is not loaded for the date the rule does not fire: these
// rules never hold a claim, and the decision's codesets name the releases
// they read.

// editors runs every diagnosis edit.
func (st *state) editors() {
	c := st.c
	st.dxDuplicate()
	var usedMCE, usedTab *codeset.Release // recorded once, not per diagnosis
	for i, dx := range c.Diagnoses {
		if dx.System != claim.ICD10CM || len(st.datesOf(i)) == 0 {
			continue
		}
		d := st.datesOf(i)[0]
		flags, mce := st.s.snap.MCEFlagsAt(st.dxID[i], d)
		if mce != nil && mce != usedMCE {
			usedMCE = mce
			st.d.Codesets.add(codeset.MCE, mce.Version)
		}
		tab, trel := st.s.snap.TabularOn(d)
		if tab != nil && trel != usedTab {
			usedTab = trel
			st.d.Codesets.add(codeset.ICD10CMTabular, trel.Version)
		}
		if i == 0 {
			st.principal(dx, flags, mce, tab)
		}
		st.ageAndSex(i, dx, flags, mce)
	}
	st.excludes1()
}

// principal: the sequencing edits of the first-listed diagnosis, and the
// inpatient edits of the principal one.
func (st *state) principal(dx claim.Dx, flags codeset.MCEFlags, mce *codeset.Release, tab *codeset.Tabular) {
	path, shown := claim.DxCodePath(0), dotted(dx.System, dx.Code)
	external := flags&codeset.FlagECodePdx != 0
	manifestation := flags&codeset.FlagManifestation != 0
	if mce == nil && tab != nil {
		if tc, ok := tab.Code(dx.Code); ok && tc.Chapter == 20 {
			external = true
		}
		manifestation = tab.Manifestation(dx.Code)
	}
	if external {
		st.add(rule.NewDx(rule.DxExternalCauseFirst, true, path, dx.Code,
			shown+" is an external cause code and cannot be the first-listed diagnosis; list the injury or condition first and the external cause after it"))
	}
	if manifestation {
		st.add(rule.NewDx(rule.DxManifestationFirst, true, path, dx.Code,
			shown+" is a manifestation code (\"in diseases classified elsewhere\") and cannot be the first-listed diagnosis; list the underlying condition first"))
	}
	if tab != nil && len(dx.Code) == 7 && dx.Code[6] == 'S' {
		for _, def := range tab.SevenChars(dx.Code) {
			if def.Char == 'S' && strings.Contains(strings.ToLower(def.Text), "sequela") {
				st.add(rule.NewDx(rule.DxSequelaFirst, true, path, dx.Code,
					shown+" is a sequela code (7th character S) and cannot be the first-listed diagnosis; list the residual condition first and the sequela code after it"))
				break
			}
		}
	}
	if mce != nil && st.c.Inpatient() {
		if flags&codeset.FlagUnacceptable != 0 {
			st.add(rule.NewDx(rule.DxUnacceptablePrincipal, true, path, dx.Code,
				shown+" is not acceptable as the principal diagnosis of an inpatient claim (MCE "+mce.Version+"); report the condition that occasioned the admission first"))
		}
		if flags&codeset.FlagQAdm != 0 {
			st.add(rule.NewDx(rule.DxQuestionableAdmission, true, path, dx.Code,
				shown+" alone is a questionable reason for an inpatient admission (MCE "+mce.Version+"); the admission may need review"))
		}
	}
}

// ageAndSex: DX_AGE_CONFLICT and DX_SEX_CONFLICT on diagnosis i.
func (st *state) ageAndSex(i int, dx claim.Dx, flags codeset.MCEFlags, mce *codeset.Release) {
	p := st.c.Patient
	if mce == nil || p == nil || flags == 0 {
		return
	}
	path, shown, principal := claim.DxCodePath(i), dotted(dx.System, dx.Code), i == 0
	if p.BirthDate.OK {
		on := st.ageDate(i)
		age := ageOn(p.BirthDate.Day, on)
		for _, f := range []codeset.MCEFlags{codeset.FlagNewborn, codeset.FlagPediatric, codeset.FlagMaternity, codeset.FlagAdult} {
			if flags&f == 0 {
				continue
			}
			ar, arel, ok := st.s.snap.MCEAge(f, on)
			if arel != nil {
				st.d.Codesets.add(codeset.MCE, arel.Version)
			}
			if !ok || (age >= ar.Min && age <= ar.Max) {
				continue
			}
			st.add(rule.NewDx(rule.DxAgeConflict, principal, path, dx.Code,
				shown+" is a "+codeset.FlagName(f)+" diagnosis (ages "+strconv.Itoa(ar.Min)+" to "+strconv.Itoa(ar.Max)+"); the patient is "+
					strconv.Itoa(age)+" on "+on.String()+"; check the diagnosis and the birth date"))
			break
		}
	}
	var want string
	switch {
	case flags&codeset.FlagFemale != 0 && p.Sex == "M":
		want = "female"
	case flags&codeset.FlagMale != 0 && p.Sex == "F":
		want = "male"
	default:
		return
	}
	st.add(rule.NewDx(rule.DxSexConflict, principal, path, dx.Code,
		shown+" applies to "+want+" patients only and the patient's sex is "+p.Sex+"; check the diagnosis and the patient's sex"))
}

// ageDate is the day a patient's age is taken on for diagnosis i: the
// line's date on a professional claim, the statement period's first day on
// an institutional one.
func (st *state) ageDate(i int) civil.Date {
	if st.c.Form == claim.Institutional && st.c.StatementPeriod != nil && st.c.StatementPeriod.From.OK {
		return st.c.StatementPeriod.From.Day
	}
	return st.datesOf(i)[0]
}

// ageOn is the age in whole years of someone born on birth, on day.
func ageOn(birth, day civil.Date) int {
	by, bm, bd := birth.YMD()
	y, m, d := day.YMD()
	age := y - by
	if m < bm || (m == bm && d < bd) {
		age--
	}
	return age
}

// dxDuplicate: DX_DUPLICATE on the later of two equal diagnoses.
func (st *state) dxDuplicate() {
	dxs := st.c.Diagnoses
	for j := 1; j < len(dxs); j++ {
		for i := 0; i < j; i++ {
			// Code ids of one system are equal when the codes are; a code
			// no release has (id -1) is compared as text.
			a, b := st.dxID[i], st.dxID[j]
			if a >= 0 && b >= 0 && a != b {
				continue
			}
			if dxs[i].Code == dxs[j].Code && dxs[i].System == dxs[j].System {
				st.add(rule.NewDx(rule.DxDuplicate, false, claim.DxCodePath(j), dxs[j].Code,
					dotted(dxs[j].System, dxs[j].Code)+" is listed twice (diagnoses "+strconv.Itoa(i+1)+" and "+strconv.Itoa(j+1)+"); list each diagnosis once and point the lines at it"))
				break
			}
		}
	}
}

// excludes1: DX_EXCLUDES1 on the later diagnosis of each Excludes1 pair.
// Each diagnosis's notes (under it and the categories above it) are found
// once; a pair is then a look at the other code against those notes.
func (st *state) excludes1() {
	dxs := st.c.Diagnoses
	if len(dxs) < 2 {
		return
	}
	var tab *codeset.Tabular
	var d civil.Date // a date the Tabular List in use is in force on
	for i := range dxs {
		if dxs[i].System == claim.ICD10CM && len(st.datesOf(i)) > 0 {
			if tab, _ = st.s.snap.TabularOn(st.datesOf(i)[0]); tab != nil {
				d = st.datesOf(i)[0]
				break
			}
		}
	}
	if tab == nil {
		return
	}
	var notes [claim.MaxDiagnosesInstitutional][]int32
	any := false
	for i := range dxs {
		if dxs[i].System == claim.ICD10CM {
			notes[i] = st.s.snap.Excludes1Notes(d, st.dxID[i])
			any = any || len(notes[i]) > 0
		}
	}
	if !any {
		return
	}
	for j := 1; j < len(dxs); j++ {
		if dxs[j].System != claim.ICD10CM || len(st.datesOf(j)) == 0 {
			continue
		}
		if t, _ := st.s.snap.TabularOn(st.datesOf(j)[0]); t != tab {
			continue
		}
		for i := 0; i < j; i++ {
			if dxs[i].System != claim.ICD10CM || dxs[i].Code == dxs[j].Code {
				continue
			}
			n, ok := tab.NoteNaming(notes[i], dxs[j].Code)
			if !ok {
				n, ok = tab.NoteNaming(notes[j], dxs[i].Code)
			}
			if !ok {
				continue
			}
			a, b := dotted(claim.ICD10CM, dxs[i].Code), dotted(claim.ICD10CM, dxs[j].Code)
			st.add(rule.NewDx(rule.DxExcludes1, false, claim.DxCodePath(j), dxs[j].Code,
				a+" and "+b+" are an Excludes1 pair (at "+dotted(claim.ICD10CM, n.Source)+": \""+n.Note+"\"): they are not reported together unless the conditions are unrelated; keep the one that applies or document both"))
			break
		}
	}
}

// sevenChars says which 7th characters a code lacking one takes, from the
// Tabular List in force; "" when it cannot tell.
func (st *state) sevenChars(code string, d civil.Date) string {
	tab, _ := st.s.snap.TabularOn(d)
	if tab == nil || len(code) >= 7 {
		return ""
	}
	defs := tab.SevenChars(code)
	if len(defs) == 0 {
		return ""
	}
	chars := make([]string, len(defs))
	for i, def := range defs {
		chars[i] = string(def.Char)
	}
	s := "; it needs a 7th character (" + strings.Join(chars, ", ") + ")"
	if len(code) < 6 {
		s += ", with the placeholder X in the positions before it (" + dotted(claim.ICD10CM, code+strings.Repeat("X", 6-len(code))+string(defs[0].Char)) + ")"
	}
	return s
}
