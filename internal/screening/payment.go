package screening

import (
	"fmt"
	"strconv"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/rule"
)

// ncciModifiers are the NCCI-associated modifiers that let a pair with
// modifier indicator 1 through.
var ncciModifiers = map[string]bool{
	"24": true, "25": true, "27": true, "57": true, "58": true, "59": true, "78": true, "79": true, "91": true,
	"XE": true, "XP": true, "XS": true, "XU": true,
	"E1": true, "E2": true, "E3": true, "E4": true,
	"FA": true, "F1": true, "F2": true, "F3": true, "F4": true, "F5": true, "F6": true, "F7": true, "F8": true, "F9": true,
	"LC": true, "LD": true, "LM": true, "RC": true, "RI": true, "LT": true, "RT": true,
	"TA": true, "T1": true, "T2": true, "T3": true, "T4": true, "T5": true, "T6": true, "T7": true, "T8": true, "T9": true,
}

func hasNCCIModifier(l *claim.Line) bool {
	for _, m := range l.Procedure.Modifiers {
		if ncciModifiers[m] {
			return true
		}
	}
	return false
}

func (st *state) ptpSystem() string {
	if st.c.Form == claim.Institutional {
		return codeset.NCCIPTPHospital
	}
	return codeset.NCCIPTP
}

func (st *state) mueSystem() string {
	if st.c.Form == claim.Institutional {
		return codeset.MUEHospital
	}
	return codeset.MUE
}

// ncci flags each pair of lines on one date that an NCCI PTP edit in force
// forbids, unless the edit allows a modifier and an NCCI-associated
// modifier is on either line. The finding is on the column 2 line.
func (st *state) ncci() {
	sys := st.ptpSystem()
	if !st.s.snap.HasPTP(sys) {
		return
	}
	c := st.c
	for i := range c.Lines {
		di, _ := c.LineDate(i)
		for j := range c.Lines {
			if i == j {
				continue
			}
			dj, _ := c.LineDate(j)
			a, b := &c.Lines[i], &c.Lines[j]
			if di != dj || a.Procedure.Code == b.Procedure.Code {
				continue
			}
			e, rel, ok := st.s.snap.PTP(sys, a.Procedure.Code, b.Procedure.Code, di)
			if !ok {
				continue
			}
			st.d.Codesets.add(rel.System, rel.Version)
			if e.Modifier == '1' && (hasNCCIModifier(a) || hasNCCIModifier(b)) {
				continue
			}
			allowed := "no modifier allows the pair"
			if e.Modifier == '1' {
				allowed = "an NCCI-associated modifier (such as 59 or XS) allows the pair when the services were distinct"
			}
			st.add(rule.New(rule.NcciPTP, j+1, claim.ProcPath(j), b.Procedure.Code,
				fmt.Sprintf("%s on line %d is not paid with %s on line %d on the same date (NCCI PTP %s); %s",
					b.Procedure.Code, j+1, a.Procedure.Code, i+1, rel.Version, allowed)))
		}
	}
}

// mue flags units over the medically unlikely edit: per line for MAI 1,
// summed per code and date for MAI 2 and 3 (once, on the first line).
func (st *state) mue() {
	sys := st.mueSystem()
	c := st.c
	for i := range c.Lines {
		l := &c.Lines[i]
		d, _ := c.LineDate(i)
		row, rel, ok := st.s.snap.MUE(sys, l.Procedure.Code, d)
		if !ok {
			continue
		}
		st.d.Codesets.add(rel.System, rel.Version)
		units := l.Units
		if row.MAI != codeset.MAILine {
			first := true
			units = 0
			for k := range c.Lines {
				dk, _ := c.LineDate(k)
				if c.Lines[k].Procedure.Code == l.Procedure.Code && dk == d {
					if k < i {
						first = false
						break
					}
					units += c.Lines[k].Units
				}
			}
			if !first {
				continue
			}
		}
		if units <= float64(row.Value) {
			continue
		}
		per := "on one line"
		if row.MAI != codeset.MAILine {
			per = "on one date of service"
		}
		st.add(rule.New(rule.MueExceeded, i+1, claim.UnitsPath(i), l.Procedure.Code,
			fmt.Sprintf("%s units of %s %s exceed the medically unlikely edit of %d (MUE %s)",
				strconv.FormatFloat(units, 'f', -1, 64), l.Procedure.Code, per, row.Value, rel.Version)))
	}
}
