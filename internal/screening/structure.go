package screening

import (
	"fmt"
	"strconv"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/rule"
)

// structure runs the stage 1 rules: DATE_INVALID, TOTAL_MISMATCH,
// POINTER_INVALID and DX_WRONG_REVISION (MISSING_FIELD and INVALID_FIELD
// come from decoding).
func (st *state) structure() {
	st.dateRules()
	st.totalRule()
	st.pointerRule()
	st.revisionRule()
}

func (st *state) dateRules() {
	c := st.c
	recv := c.ReceivedDay()
	if p := c.StatementPeriod; p != nil && p.From.OK && p.Through.OK {
		if p.Through.Day < p.From.Day {
			st.add(rule.New(rule.DateInvalid, 0, "statement_period.through", p.Through.Text,
				"the statement period ends ("+p.Through.Text+") before it starts ("+p.From.Text+")"))
		}
		if p.Through.Day > recv {
			st.add(rule.New(rule.DateInvalid, 0, "statement_period.through", p.Through.Text,
				"the statement period ends ("+p.Through.Text+") after the claim was received ("+recv.String()+"); services cannot be billed before they happen"))
		}
	}
	for i := range c.Lines {
		sd := c.Lines[i].ServiceDate
		if !sd.OK {
			continue
		}
		if sd.Day > recv {
			st.add(rule.New(rule.DateInvalid, i+1, claim.ServiceDatePath(i), sd.Text,
				"service date "+sd.Text+" is after the claim was received ("+recv.String()+"); services cannot be billed before they happen"))
		}
		if p := c.Patient; p != nil && p.BirthDate.OK && sd.Day < p.BirthDate.Day {
			st.add(rule.New(rule.DateInvalid, i+1, claim.ServiceDatePath(i), sd.Text,
				"service date "+sd.Text+" is before the patient's birth date"))
		}
	}
}

func (st *state) totalRule() {
	c := st.c
	if !c.TotalCharge.OK {
		return
	}
	var sum int64
	for i := range c.Lines {
		if !c.Lines[i].Charge.OK {
			return // a missing or bad charge is reported on its own
		}
		sum += c.Lines[i].Charge.Cents
	}
	if sum != c.TotalCharge.Cents {
		st.add(rule.New(rule.TotalMismatch, 0, "total_charge", c.TotalCharge.Text,
			fmt.Sprintf("total charge %s does not equal the sum of the line charges, %s", c.TotalCharge.Text, cents(sum))))
	}
}

func cents(n int64) string {
	return fmt.Sprintf("%d.%02d", n/100, n%100)
}

func (st *state) pointerRule() {
	c := st.c
	n := len(c.Diagnoses)
	for i := range c.Lines {
		l := &c.Lines[i]
		if l.PointerCount <= claim.MaxPointers && pointersOK(l.Pointers, n) {
			continue // the common case: no finding, no path to build
		}
		path := claim.LinePath(i, "diagnosis_pointers")
		if l.PointerCount > claim.MaxPointers {
			st.add(rule.New(rule.PointerInvalid, i+1, path, "",
				fmt.Sprintf("line %d has %d diagnosis pointers; at most %d are allowed", i+1, l.PointerCount, claim.MaxPointers)))
		}
		for j, p := range l.Pointers {
			if j >= claim.MaxPointers {
				break
			}
			pp := path + "[" + strconv.Itoa(j) + "]"
			switch {
			case p < 1 || p > n:
				st.add(rule.New(rule.PointerInvalid, i+1, pp, strconv.Itoa(p),
					fmt.Sprintf("diagnosis pointer %d points to no diagnosis; this claim has %d, numbered from 1", p, n)))
			case indexOf(l.Pointers[:j], p) >= 0:
				st.add(rule.New(rule.PointerInvalid, i+1, pp, strconv.Itoa(p),
					fmt.Sprintf("diagnosis pointer %d is repeated on line %d", p, i+1)))
			}
		}
	}
}

// pointersOK reports whether every pointer is in 1..n and none repeats.
func pointersOK(ps []int, n int) bool {
	for j, p := range ps {
		if p < 1 || p > n || indexOf(ps[:j], p) >= 0 {
			return false
		}
	}
	return true
}

func indexOf(xs []int, x int) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func (st *state) revisionRule() {
	c := st.c
	var has9, has10 bool
	for _, d := range c.Diagnoses {
		if d.System == claim.ICD9CM {
			has9 = true
		} else {
			has10 = true
		}
	}
	if has9 && has10 {
		st.add(rule.New(rule.DxWrongRevision, 0, "diagnoses", "",
			"the claim mixes ICD-9-CM and ICD-10-CM diagnoses; use one revision, the one in force on the dates of service"))
		return
	}
	for i, d := range c.Diagnoses {
		if d.Code == "" {
			continue
		}
		for _, day := range st.datesOf(i) {
			if d.System == claim.ICD9CM && day >= claim.ICD10Start {
				st.add(rule.NewDx(rule.DxWrongRevision, i == 0, claim.DxCodePath(i), d.Code,
					dotted(d.System, d.Code)+" is an ICD-9-CM code; services on or after 2015-10-01 ("+day.String()+") are coded in ICD-10-CM"))
				break
			}
			if d.System == claim.ICD10CM && day < claim.ICD10Start {
				st.add(rule.NewDx(rule.DxWrongRevision, i == 0, claim.DxCodePath(i), d.Code,
					dotted(d.System, d.Code)+" is an ICD-10-CM code; services before 2015-10-01 ("+day.String()+") are coded in ICD-9-CM"))
				break
			}
		}
	}
}
