package crosswalk

import (
	"strings"
	"testing"

	"github.com/claimscreen/claimscreen/internal/civil"
)

func FuzzChart(f *testing.F) {
	f.Add(head + "ICD-10-CM,E11*,X,2015-10-01,,\nCPT,99200-99300,Y,2020-01-01,,\n")
	f.Add(head + "HCPCS,G0438-G0439,SVC,2011-01-01,2020-01-01,n\n")
	f.Add("system,code\n\"")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse("f.csv", strings.NewReader(s))
		if err != nil {
			return
		}
		for _, r := range c.Rows {
			c.Lookup(r.System, r.lo, r.Valid.From)
			c.Lookup(r.System, r.hi, civil.Max)
		}
	})
}
