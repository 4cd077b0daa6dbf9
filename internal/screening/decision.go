// Package screening runs the rules of ARCHITECTURE §5 over a decoded claim
// and a code-set snapshot and a crosswalk chart, and returns its decision.
//
// It is pure and deterministic: no I/O, no clock, no logging. An invalid
// code is a finding, never a Go error. Evaluation runs in three stages:
// the rules that need no code set (stage 1; any finding there rejects the
// claim and its codes are not looked up), coverage (stage 2; a needed code
// set not loaded for a date holds the claim), and the code rules (stage 3),
// every finding reported at once.
package screening

import (
	"encoding/json"
	"sort"

	"github.com/claimscreen/claimscreen/internal/jsonw"
	"github.com/claimscreen/claimscreen/internal/rule"
)

// Outcome of a claim.
type Outcome string

// Outcomes. Deadletter is for a message that cannot be answered.
const (
	Accepted   Outcome = "accepted"
	Rejected   Outcome = "rejected"
	Held       Outcome = "held"
	Deadletter Outcome = "deadletter"
)

// Decision is what screening says of one claim.
type Decision struct {
	ClaimID       string         `json:"claim_id"`
	OriginatorID  string         `json:"originator_id"`
	Outcome       Outcome        `json:"outcome"`
	Reason        string         `json:"reason,omitempty"` // dead letters only
	Detail        string         `json:"detail,omitempty"` // dead letters only
	Findings      []rule.Finding `json:"findings"`
	Codesets      Versions       `json:"codesets"`
	InternalCodes []InternalCode `json:"internal_codes"`
}

// InternalCode is an external code on the claim and the internal code the
// chart maps it to.
type InternalCode struct {
	Path     string `json:"path"`
	Code     string `json:"code"`
	Internal string `json:"internal"`
}

// Versions names the release of every code set a decision used, by
// system ("ICD-10-CM": "FY2026"). A claim whose dates fall in two releases
// names both, joined with "+". It encodes as a JSON object.
type Versions []SystemVersion

// SystemVersion is one system's release.
type SystemVersion struct{ System, Version string }

// add records that system's release version was used.
func (v *Versions) add(system, version string) {
	for i := range *v {
		sv := &(*v)[i]
		if sv.System != system {
			continue
		}
		if sv.Version == version || containsPart(sv.Version, version) {
			return
		}
		sv.Version += "+" + version
		return
	}
	*v = append(*v, SystemVersion{system, version})
}

func containsPart(joined, v string) bool {
	for len(joined) > 0 {
		i := 0
		for i < len(joined) && joined[i] != '+' {
			i++
		}
		if joined[:i] == v {
			return true
		}
		if i == len(joined) {
			return false
		}
		joined = joined[i+1:]
	}
	return false
}

// Get returns the version recorded for system.
func (v Versions) Get(system string) string {
	for _, sv := range v {
		if sv.System == system {
			return sv.Version
		}
	}
	return ""
}

// MarshalJSON writes the versions as an object, systems in order.
func (v Versions) MarshalJSON() ([]byte, error) { return v.AppendJSON(nil), nil }

// AppendJSON appends the versions as MarshalJSON writes them.
func (v Versions) AppendJSON(b []byte) []byte {
	s := v
	for i := 1; i < len(s); i++ {
		if s[i].System < s[i-1].System {
			s = append(Versions(nil), v...)
			sort.Slice(s, func(i, j int) bool { return s[i].System < s[j].System })
			break
		}
	}
	b = append(b, '{')
	for i, sv := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.String(b, sv.System)
		b = append(b, ':')
		b = jsonw.String(b, sv.Version)
	}
	return append(b, '}')
}

// JSON returns the decision as encoding/json writes it, without
// reflection: the pipeline encodes every decision once, for the ledger and
// the review.
func (d *Decision) JSON() []byte {
	b := make([]byte, 0, 256+200*len(d.Findings)+64*len(d.InternalCodes))
	b = append(b, `{"claim_id":`...)
	b = jsonw.String(b, d.ClaimID)
	b = append(b, `,"originator_id":`...)
	b = jsonw.String(b, d.OriginatorID)
	b = append(b, `,"outcome":`...)
	b = jsonw.String(b, string(d.Outcome))
	if d.Reason != "" {
		b = append(b, `,"reason":`...)
		b = jsonw.String(b, d.Reason)
	}
	if d.Detail != "" {
		b = append(b, `,"detail":`...)
		b = jsonw.String(b, d.Detail)
	}
	b = append(b, `,"findings":`...)
	b = rule.AppendFindings(b, d.Findings)
	b = append(b, `,"codesets":`...)
	b = d.Codesets.AppendJSON(b) // {} when nil, as its MarshalJSON
	b = append(b, `,"internal_codes":`...)
	if d.InternalCodes == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, ic := range d.InternalCodes {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"path":`...)
			b = jsonw.String(b, ic.Path)
			b = append(b, `,"code":`...)
			b = jsonw.String(b, ic.Code)
			b = append(b, `,"internal":`...)
			b = jsonw.String(b, ic.Internal)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// UnmarshalJSON reads the object form.
func (v *Versions) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*v = (*v)[:0]
	for k, val := range m {
		*v = append(*v, SystemVersion{k, val})
	}
	sort.Slice(*v, func(i, j int) bool { return (*v)[i].System < (*v)[j].System })
	return nil
}

// DeadLetter is the decision for a message that cannot be answered.
func DeadLetter(claimID, originatorID, reason, detail string) Decision {
	return Decision{ClaimID: claimID, OriginatorID: originatorID, Outcome: Deadletter, Reason: reason, Detail: detail,
		Findings: []rule.Finding{}, Codesets: Versions{}, InternalCodes: []InternalCode{}}
}
