// Package schemas embeds the JSON Schemas (draft 2020-12) of what
// claimscreen reads and writes: claim.v1 (input), the decision, notice.v1
// (rejection notices) and review.v1 (claims for adjusters).
package schemas

import (
	"bytes"
	"embed"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// FS holds claim.v1.json, decision.json, notice.v1.json and review.v1.json.
//
//go:embed *.json
var FS embed.FS

// BaseURI is the common prefix of the schemas' $id.
const BaseURI = "https://github.com/claimscreen/claimscreen/schemas/"

// Names lists the schema files.
var Names = []string{"claim.v1.json", "decision.json", "notice.v1.json", "review.v1.json"}

// Compile compiles every schema (formats asserted), keyed by file name.
func Compile() (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, n := range Names {
		b, err := FS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if err := c.AddResource(BaseURI+n, doc); err != nil {
			return nil, err
		}
	}
	out := map[string]*jsonschema.Schema{}
	for _, n := range Names {
		s, err := c.Compile(BaseURI + n)
		if err != nil {
			return nil, fmt.Errorf("compile %s: %w", n, err)
		}
		out[n] = s
	}
	return out, nil
}
