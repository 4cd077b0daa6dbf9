package crosswalk

import (
	"fmt"
	"strings"
	"testing"

	"github.com/claimscreen/claimscreen/internal/civil"
)

// BenchmarkLookup looks codes up in a chart of exact rows, ranges and
// prefixes over three systems, as the screener does for every code.
func BenchmarkLookup(b *testing.B) {
	var rows strings.Builder
	rows.WriteString(head)
	for i := range 2000 {
		fmt.Fprintf(&rows, "ICD-10-CM,E%04d,DX-%d,2015-10-01,,\n", i, i)
	}
	for _, sys := range []string{"ICD-10-CM", "HCPCS", "CPT"} {
		for _, c := range "ABCDEFGHIJ0123456789" {
			fmt.Fprintf(&rows, "%s,%c*,%s-%c,2000-01-01,,\n", sys, c, sys[:3], c)
		}
	}
	rows.WriteString("CPT,99201-99215,EM,2000-01-01,,\n")
	c, err := Parse("bench.csv", strings.NewReader(rows.String()))
	if err != nil {
		b.Fatal(err)
	}
	codes := []struct{ sys, code string }{{"ICD-10-CM", "E0042"}, {"ICD-10-CM", "I10"}, {"HCPCS", "G0439"}, {"CPT", "99213"}, {"CPT", "80053"}}
	d, _ := civil.Parse("2025-11-12")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := codes[i%len(codes)]
		if _, ok := c.Lookup(k.sys, k.code, d); !ok {
			b.Fatal(k)
		}
	}
}
