// Package crosswalks ships the sample internal crosswalk chart; its format
// is described in README.md beside it and read by internal/crosswalk.
package crosswalks

import _ "embed"

// SampleName is the sample chart's file name; its version is the name
// without .csv.
const SampleName = "sample-2025-10.csv"

// Sample is the sample chart used by the demo and the tests.
//
//go:embed sample-2025-10.csv
var Sample []byte
