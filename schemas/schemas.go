// Package schemas embeds the JSON Schemas (draft 2020-12) of what
// claimscreen reads and writes: claim.v1 (input), the decision, notice.v1
// (rejection notices) and review.v1 (claims for adjusters).
package schemas

import "embed"

// FS holds claim.v1.json, decision.json, notice.v1.json and review.v1.json.
//
//go:embed *.json
var FS embed.FS

// BaseURI is the common prefix of the schemas' $id.
const BaseURI = "https://github.com/claimscreen/claimscreen/schemas/"

// Names lists the schema files.
var Names = []string{"claim.v1.json", "decision.json", "notice.v1.json", "review.v1.json"}
