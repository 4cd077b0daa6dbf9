package screening

import (
	"github.com/claimscreen/claimscreen/internal/civil"
	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/rule"
)

// coverage adds CODESET_NOT_LOADED for every code system the claim needs
// on a date that no loaded release covers, once per system and date.
func (st *state) coverage() {
	c := st.c
	type need struct {
		sys string
		d   civil.Date
	}
	var reported []need
	check := func(sys string, d civil.Date, line int, path string) {
		if st.codes.of(sys, st.s.snap.System).Covers(d) != nil {
			return
		}
		for _, n := range reported {
			if n.sys == sys && n.d == d {
				return
			}
		}
		reported = append(reported, need{sys, d})
		st.add(rule.New(rule.CodesetNotLoaded, line, path, "",
			"no "+sys+" release covering "+d.String()+" is loaded; the claim is held and will be screened in full once it is"))
	}
	for i, dx := range c.Diagnoses {
		for _, d := range st.datesOf(i) {
			check(dx.System, d, 0, claim.DxCodePath(i))
		}
	}
	for i := range c.Lines {
		d, ok := c.LineDate(i)
		if !ok {
			continue
		}
		l := &c.Lines[i]
		check(l.Procedure.System, d, i+1, claim.ProcPath(i))
		for j, m := range l.Procedure.Modifiers {
			check(claim.ModifierSystem(m), d, i+1, claim.ModPath(i, j))
		}
		if pos, path := c.LinePOS(i); pos != "" {
			check("POS", d, i+1, path)
		}
	}
	if st.s.chart.Len() == 0 && st.s.policy.Severity(rule.XwalkMissing) != rule.Off {
		st.add(rule.New(rule.CodesetNotLoaded, 0, "", "",
			"no crosswalk chart is loaded; the claim is held and will be screened in full once one is"))
	}
}
