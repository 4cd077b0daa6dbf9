// Package samples holds the small code-set files and claims the project
// ships for its demo and tests. They are written for claimscreen (no CMS file
// is copied, no CPT description is included); NCCI and MUE samples carry
// invented edits in the CMS layouts.
package samples

import "embed"

// CodeSets is the folder codesets/: ICD-10-CM FY2025 and FY2026 order files
// with a few codes each, a HCPCS 2025-Q4 ANWEB file, a generic list of CPT
// codes, CPT modifiers and places of service, an NCCI PTP file and an MUE
// file.
//
//go:embed codesets
var CodeSets embed.FS

// Claims is claims.ndjson: sample claim.v1 messages, one a line, that reach
// every outcome and every rule the sample code sets can trigger.
//
//go:embed claims.ndjson
var Claims []byte
