package testenv

import (
	"strings"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
)

// PHIHits scans texts (log lines, metrics) for the member ids and birth
// dates of the claims in values; every hit is an error.
func PHIHits(t *testing.T, values [][]byte, texts []string) (scanned, hits int) {
	t.Helper()
	set := map[string]bool{}
	lengths := map[int]bool{}
	for _, v := range values {
		cl, _, err := claim.Decode(v, time.Now())
		if err != nil || cl.Patient == nil {
			continue
		}
		for _, s := range []string{cl.Patient.MemberID, cl.Patient.BirthDate.Text} {
			if s != "" {
				set[s] = true
				lengths[len(s)] = true
			}
		}
	}
	if len(set) == 0 {
		t.Fatal("no member ids or birth dates to look for")
	}
	// Every window of every needle length, looked up in the set: linear in
	// the text, whatever the number of claims.
	for _, text := range texts {
		scanned += strings.Count(text, "\n")
		for l := range lengths {
			for i := 0; i+l <= len(text); i++ {
				if set[text[i:i+l]] {
					hits++
					if hits <= 5 {
						t.Errorf("a member id or birth date of a claim reached a log or metric: %q", text[i:i+l])
					}
				}
			}
		}
	}
	return scanned, hits
}
