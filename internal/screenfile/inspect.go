package screenfile

import (
	"fmt"
	"io"
	"time"

	"github.com/claimscreen/claimscreen/internal/x12"
)

// Inspection counts what InspectX12 found.
type Inspection struct {
	Claims   int // CLMs mapped
	Problems int // envelope problems: TA1, AK9, IK5 and mapping refusals
	Findings int // implementation guide errors (the 999's IK3/IK4)
}

// Add adds another file's counts.
func (n *Inspection) Add(o Inspection) {
	n.Claims += o.Claims
	n.Problems += o.Problems
	n.Findings += o.Findings
}

// InspectX12 is claimscreen x12 claims for one file: the claim.v1 mapping
// of every CLM of every 837 in data, one JSON line each, to out (with
// originator as its originator_id when one is given); the envelope
// problems, the implementation guide's findings and each claim's mapping
// problems go to notes, each line starting with the file's name. Nothing is
// screened.
func InspectX12(name string, data []byte, originator string, out, notes io.Writer) (Inspection, error) {
	var n Inspection
	ics, err := x12.Parse(data)
	if err != nil {
		return n, fmt.Errorf("%s: %w", name, err)
	}
	note := func(counter *int, format string, args ...any) {
		*counter++
		fmt.Fprintf(notes, "%s: "+format+"\n", append([]any{name}, args...)...)
	}
	for _, ic := range ics {
		for _, e := range ic.Notes {
			note(&n.Problems, "interchange %s: TA1 %s: %s", ic.Control, e.Code, e.Reason)
		}
		for _, g := range ic.Groups {
			for _, e := range g.Errors {
				note(&n.Problems, "group %s: AK9 %s: %s", g.Control, e.Code, e.Reason)
			}
			for _, set := range g.Sets {
				for _, e := range set.Errors {
					note(&n.Problems, "transaction set %s: IK5 %s: %s", set.Control, e.Code, e.Reason)
				}
				if set.ID != "837" {
					continue
				}
				if guide, _ := x12.GuideFor(set.Version); guide != nil {
					for _, f := range guide.Validate(set, ic.Separators) {
						note(&n.Findings, "transaction set %s: %s", set.Control, f)
					}
				}
				// A file's claims were received when it was made (BHT04/05).
				cs, err := x12.Claims(ic, g, set, time.Time{}, originator)
				if err != nil {
					note(&n.Problems, "transaction set %s: %v", set.Control, err)
				}
				for _, c := range cs {
					fmt.Fprintf(out, "%s\n", c.JSON)
					n.Claims++
					for _, p := range c.Problems {
						fmt.Fprintf(notes, "%s: claim %s: %s\n", name, c.ClaimID, p)
					}
				}
			}
		}
	}
	return n, nil
}
