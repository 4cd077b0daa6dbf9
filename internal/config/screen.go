// Package config reads claimscreen's configuration file and checks it,
// reporting every problem at once.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/rule"
)

// File is the configuration file (JSON). Every field is optional.
type File struct {
	// Rules overrides rule severities: rule id -> reject|hold|flag|info|off.
	Rules map[string]string `json:"rules,omitempty"`
	// Limits bound decoding.
	Limits Limits `json:"limits,omitzero"`
	// Service holds serve settings by flag name (see Settings).
	Service map[string]string `json:"service,omitempty"`
}

// Limits of the claim decoder; zero means the default.
type Limits struct {
	MaxMessageBytes int `json:"max_message_bytes,omitempty"` // default 1048576
	MaxDepth        int `json:"max_depth,omitempty"`         // default 16
	MaxString       int `json:"max_string,omitempty"`        // default 256
}

// Decoder returns the claim decoder limits.
func (l Limits) Decoder() claim.Limits {
	return claim.Limits{MaxBytes: l.MaxMessageBytes, MaxDepth: l.MaxDepth, MaxString: l.MaxString}
}

// Load reads the configuration file at path; an empty path gives the
// defaults.
func Load(path string) (*File, *rule.Policy, error) {
	if path == "" {
		return &File{}, rule.DefaultPolicy(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	return Parse(path, f)
}

// Parse reads a configuration file's content; name is used in errors.
func Parse(name string, r io.Reader) (*File, *rule.Policy, error) {
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("config %s: %w", name, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var cf File
	if err := dec.Decode(&cf); err != nil {
		return nil, nil, fmt.Errorf("config %s: %w", name, err)
	}
	var errs []error
	pol, err := rule.NewPolicy(cf.Rules)
	if err != nil {
		errs = append(errs, err)
	}
	for _, l := range []struct {
		name string
		v    int
	}{{"limits.max_message_bytes", cf.Limits.MaxMessageBytes}, {"limits.max_depth", cf.Limits.MaxDepth}, {"limits.max_string", cf.Limits.MaxString}} {
		if l.v < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative", l.name))
		}
	}
	if cf.Limits.MaxDepth != 0 && cf.Limits.MaxDepth < 5 {
		errs = append(errs, errors.New("limits.max_depth must be at least 5: claim.v1 itself nests 5 deep"))
	}
	if len(errs) > 0 {
		return nil, nil, fmt.Errorf("config %s: %w", name, errors.Join(errs...))
	}
	return &cf, pol, nil
}
