package screening

import (
	"github.com/claimscreen/claimscreen/internal/civil"
	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/rule"
)

// diagnoses checks every diagnosis on each of its dates, and charts the
// valid ones: DX_UNKNOWN, DX_NOT_BILLABLE, DX_NOT_EFFECTIVE, XWALK_MISSING.
func (st *state) diagnoses() {
	c := st.c
	for i, dx := range c.Diagnoses {
		principal := i == 0
		path := claim.DxCodePath(i)
		mapped := false
		st.dxID[i] = -1
		for k, d := range st.datesOf(i) {
			r := st.lookup(dx.System, dx.Code, d)
			if k == 0 {
				st.dxID[i] = r.ID
			}
			if r.Release != nil {
				st.d.Codesets.add(r.Release.System, r.Release.Version)
			}
			if f, bad := dxFinding(r, principal, path, dx, d); bad {
				if f.Rule == rule.DxNotBillable || f.Rule == rule.DxUnknown {
					f.Message += st.sevenChars(dx.Code, d)
				}
				st.add(f)
				break
			}
			if mapped {
				continue
			}
			if st.chartCode(dx.System, dx.Code, d, path, 0, "A7:255") {
				mapped = true
			} else {
				break
			}
		}
	}
}

// dotted writes a diagnosis code as billing offices read it: E78.01.
func dotted(system, code string) string {
	if system != claim.ICD10CM && system != claim.ICD9CM {
		return code
	}
	n := 3
	if system == claim.ICD9CM && len(code) > 0 && code[0] == 'E' {
		n = 4
	}
	if len(code) <= n {
		return code
	}
	return code[:n] + "." + code[n:]
}

func dxFinding(r codeset.Result, principal bool, path string, dx claim.Dx, d civil.Date) (rule.Finding, bool) {
	switch r.Status {
	case codeset.Unknown, codeset.Header, codeset.NotEffective:
	default:
		return rule.Finding{}, false // valid: no message to build
	}
	shown := dotted(dx.System, dx.Code)
	what := "diagnosis"
	if principal {
		what = "principal diagnosis"
	}
	switch r.Status {
	case codeset.Unknown:
		return rule.NewDx(rule.DxUnknown, principal, path, dx.Code,
			shown+" is not a valid "+dx.System+" code in any loaded release; check the "+what+" code"), true
	case codeset.Header:
		return rule.NewDx(rule.DxNotBillable, principal, path, dx.Code,
			shown+" is a category header in "+dx.System+" "+r.Release.Version+", not valid for submission; code to the highest specificity"), true
	case codeset.NotEffective:
		return rule.NewDx(rule.DxNotEffective, principal, path, dx.Code,
			shown+" is not valid in "+dx.System+" "+r.Release.Version+", the release in force on "+d.String()+"; use the code valid on the date of service"), true
	}
	return rule.Finding{}, false
}

// chartCode looks a valid external code up in the crosswalk chart: it adds
// the internal code, or XWALK_MISSING, and reports whether it mapped.
func (st *state) chartCode(system, code string, d civil.Date, path string, line int, x12 string) bool {
	row, ok := st.chart.of(system, st.s.chart.System).Lookup(code, d)
	if !ok {
		f := rule.New(rule.XwalkMissing, line, path, code,
			system+" "+dotted(system, code)+" is valid but has no entry in the payer's crosswalk for "+d.String()+"; contact the payer before resubmitting")
		f.X12 = x12
		st.add(f)
		return false
	}
	if !st.charted && st.s.chart.Version != "" {
		st.charted = true
		st.d.Codesets.add("crosswalk", st.s.chart.Version)
	}
	if st.d.InternalCodes == nil {
		st.d.InternalCodes = make([]InternalCode, 0, len(st.c.Diagnoses)+len(st.c.Lines))
	}
	st.d.InternalCodes = append(st.d.InternalCodes, InternalCode{Path: path, Code: code, Internal: row.Internal})
	return true
}

// lines checks each line's procedure, modifiers and place of service:
// PX_UNKNOWN, PX_NOT_EFFECTIVE, MODIFIER_INVALID, POS_INVALID,
// XWALK_MISSING.
func (st *state) lines() {
	c := st.c
	var claimPOSReported bool
	for i := range c.Lines {
		l := &c.Lines[i]
		d, _ := c.LineDate(i)
		n := i + 1
		px := l.Procedure
		r := st.lookup(px.System, px.Code, d)
		if r.Release != nil {
			st.d.Codesets.add(r.Release.System, r.Release.Version)
		}
		path := claim.ProcPath(i)
		switch r.Status {
		case codeset.Unknown:
			st.add(rule.New(rule.PxUnknown, n, path, px.Code,
				px.Code+" is not a valid "+px.System+" procedure code in any loaded release"))
		case codeset.NotEffective, codeset.Header:
			msg := px.System + " " + px.Code + " is not effective on the date of service " + d.String() + " (" + px.System + " " + r.Release.Version + "); use the code in effect on that date"
			if r.HCPCS != nil && r.HCPCS.XRef != "" && r.HCPCS.XRef != px.Code {
				msg += "; CMS cross-references it to " + r.HCPCS.XRef
			}
			st.add(rule.New(rule.PxNotEffective, n, path, px.Code, msg))
		case codeset.Valid:
			st.chartCode(px.System, px.Code, d, path, n, "A7:454")
			if r.HCPCS != nil {
				st.coverageCode(px, *r.HCPCS, n, path)
			}
		}
		for j, m := range px.Modifiers {
			sys := claim.ModifierSystem(m)
			r := st.lookup(sys, m, d)
			if r.Release != nil {
				st.d.Codesets.add(r.Release.System, r.Release.Version)
			}
			switch r.Status {
			case codeset.Unknown:
				st.add(rule.New(rule.ModifierInvalid, n, claim.ModPath(i, j), m,
					"modifier "+m+" is not a valid "+sys+" in any loaded release"))
			case codeset.NotEffective, codeset.Header:
				st.add(rule.New(rule.ModifierInvalid, n, claim.ModPath(i, j), m,
					"modifier "+m+" is not effective on the date of service "+d.String()))
			}
		}
		pos, posPath := c.LinePOS(i)
		if pos == "" {
			continue
		}
		r = st.lookup("POS", pos, d)
		if r.Release != nil {
			st.d.Codesets.add(r.Release.System, r.Release.Version)
		}
		if r.Status == codeset.Valid {
			continue
		}
		claimLevel := posPath == "place_of_service"
		if claimLevel && claimPOSReported {
			continue
		}
		line := n
		if claimLevel {
			claimPOSReported, line = true, 0
		}
		msg := "place of service " + pos + " is not a valid place of service code"
		if r.Status != codeset.Unknown {
			msg = "place of service " + pos + " is not effective on the date of service " + d.String()
		}
		st.add(rule.New(rule.PosInvalid, line, posPath, pos, msg))
	}
}

// coverageCode: PX_NOT_COVERED on a HCPCS code whose coverage code is S
// (statutory exclusion) or M (not covered), and an informational one for I
// (not payable by Medicare).
func (st *state) coverageCode(px claim.Procedure, info codeset.HCPCSInfo, line int, path string) {
	var msg string
	switch info.Coverage {
	case 'S':
		msg = px.Code + " is excluded from Medicare coverage by statute"
		if info.Statute != "" {
			msg += " (" + info.Statute + ")"
		}
		msg += "; it is not paid unless the member's plan covers it"
	case 'M':
		msg = px.Code + " is not covered by Medicare (HCPCS coverage code M); it is not paid unless the member's plan covers it"
	case 'I':
		msg = px.Code + " is not payable by Medicare (HCPCS coverage code I); another code may describe the service"
	default:
		return
	}
	f := rule.New(rule.PxNotCovered, line, path, px.Code, msg)
	if info.Coverage == 'I' {
		f.Severity = rule.Info
	}
	st.add(f)
}
