package gen

import (
	"encoding/json"
	"testing"

	"github.com/claimscreen/claimscreen/internal/samples"
)

// TestDistinctDiagnoses: a generated claim lists each diagnosis once, as
// real claims do; the Zipf law drawn with replacement listed a common code
// twice in a fifth of them.
func TestDistinctDiagnoses(t *testing.T) {
	rels, err := samples.Releases()
	if err != nil {
		t.Fatal(err)
	}
	for _, uniform := range []bool{false, true} {
		g, err := New(rels, Options{Seed: 1, Uniform: uniform})
		if err != nil {
			t.Fatal(err)
		}
		multi := 0
		for i := 0; i < 2000; i++ {
			m, _ := g.Next()
			var c struct {
				Diagnoses []struct{ Code string } `json:"diagnoses"`
			}
			if err := json.Unmarshal(m, &c); err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, d := range c.Diagnoses {
				if seen[d.Code] {
					t.Fatalf("uniform=%v claim %d lists %s twice", uniform, i, d.Code)
				}
				seen[d.Code] = true
			}
			if len(c.Diagnoses) > 1 {
				multi++
			}
		}
		if multi < 1500 { // 1-12 diagnoses: eleven claims in twelve have several
			t.Errorf("uniform=%v: only %d of 2000 claims have more than one diagnosis", uniform, multi)
		}
	}
}
