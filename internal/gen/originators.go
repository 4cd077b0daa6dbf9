package gen

import (
	"strings"

	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/samples"
)

// SampleClaims is ForOriginators on the bundled sample code sets.
func SampleClaims(n int, orgs []string, seed uint64) ([][]byte, error) {
	rels, err := samples.Releases()
	if err != nil {
		return nil, err
	}
	return ForOriginators(rels, n, orgs, seed)
}

// ForOriginators makes n distinct claims from rels for the originators
// named (in place of the generator's ORIG-000, ORIG-001, …).
func ForOriginators(rels []*codeset.Release, n int, orgs []string, seed uint64) ([][]byte, error) {
	g, err := New(rels, Options{Seed: seed, Originators: len(orgs)})
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		b, _ := g.Next()
		for j, o := range orgs {
			b = []byte(strings.Replace(string(b), Originator(j), o, 1))
		}
		out = append(out, b)
	}
	return out, nil
}
