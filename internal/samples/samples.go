// Package samples holds the small code-set files and claims the project
// ships for its demo and tests. They are written for claimscreen (no CMS file
// is copied, no CPT description is included); NCCI and MUE samples carry
// invented edits in the CMS layouts.
package samples

import (
	"bytes"
	"embed"
	"time"

	"github.com/claimscreen/claimscreen/crosswalks"
	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/crosswalk"
	"github.com/claimscreen/claimscreen/internal/rule"
	"github.com/claimscreen/claimscreen/internal/screening"
)

// CodeSets is the folder codesets/: ICD-10-CM FY2025 and FY2026 order files
// with a few codes each, a HCPCS 2025-Q4 ANWEB file, a generic list of CPT
// codes, CPT modifiers and places of service, an NCCI PTP file, an MUE
// file, the MCE flags and age ranges of the sample codes, and a Tabular List
// of their categories.
//
//go:embed codesets
var CodeSets embed.FS

// Claims is claims.ndjson: sample claim.v1 messages, one a line, that reach
// every outcome and every rule the sample code sets can trigger.
//
//go:embed claims.ndjson
var Claims []byte

// Releases reads the sample code sets, with their rows.
func Releases() ([]*codeset.Release, error) {
	rels, _, err := codeset.LoadFS(CodeSets, "codesets")
	return rels, err
}

// Snapshot loads the sample code sets.
func Snapshot() (*codeset.Snapshot, error) {
	rels, err := Releases()
	if err != nil {
		return nil, err
	}
	return codeset.NewSnapshot(rels)
}

// Chart loads the sample crosswalk chart (crosswalks/sample-2025-10.csv).
func Chart() (*crosswalk.Chart, error) {
	return crosswalk.Parse(crosswalks.SampleName, bytes.NewReader(crosswalks.Sample))
}

// Screener returns a screener on the sample code sets and chart with the
// given policy (nil for the defaults).
func Screener(policy *rule.Policy) (*screening.Screener, error) {
	snap, err := Snapshot()
	if err != nil {
		return nil, err
	}
	chart, err := Chart()
	if err != nil {
		return nil, err
	}
	return screening.New(snap, chart, policy), nil
}

// Decisions screens claim.v1 messages with the sample screener, by key
// (originator_id/claim_id), each as a first submission; messages that do
// not decode are left out. Tests compare the service's outputs with it.
func Decisions(values [][]byte, receivedAt time.Time) (map[string]screening.Decision, error) {
	sc, err := Screener(nil)
	if err != nil {
		return nil, err
	}
	out := map[string]screening.Decision{}
	for _, v := range values {
		c, fs, err := claim.Decode(v, receivedAt)
		if err != nil {
			continue
		}
		out[c.Key()] = sc.Screen(screening.Input{Claim: c, Findings: fs})
	}
	return out, nil
}
