// Package registry reads the originator registry file: which originators
// may submit claims, and where their notices go.
//
//	originator_id,notice_topic,active
//	LAB-0042,,true
//	CLINIC-0001,notices.clinic-0001,true
//	OLD-9,,false
//
// An empty notice_topic means the notice topic template's.
package registry

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/claimscreen/claimscreen/internal/codeset"
)

var (
	originatorRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	topicRe      = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)
)

// Registry is a loaded registry. It implements pipeline.Registry.
type Registry struct {
	entries map[string]entry
}

type entry struct {
	topic  string
	active bool
}

// Load reads a registry file.
func Load(path string) (*Registry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("originator registry: %w", err)
	}
	defer f.Close()
	return Parse(path, f)
}

// Parse reads a registry; name is used in errors.
func Parse(name string, r io.Reader) (*Registry, error) {
	reg := &Registry{entries: map[string]entry{}}
	first := true
	err := codeset.ReadCSV(name, r, func(rec []string, line int) error {
		if first {
			first = false
			if strings.Join(rec, ",") != "originator_id,notice_topic,active" {
				return errors.New("header must be originator_id,notice_topic,active")
			}
			return nil
		}
		if len(rec) != 3 {
			return fmt.Errorf("%d fields, want 3", len(rec))
		}
		id, topic := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if !originatorRe.MatchString(id) {
			return fmt.Errorf("originator_id %q must match ^[A-Za-z0-9._-]{1,64}$", id)
		}
		if topic != "" && !topicRe.MatchString(topic) {
			return fmt.Errorf("notice_topic %q is not a valid topic name", topic)
		}
		active, err := strconv.ParseBool(strings.TrimSpace(rec[2]))
		if err != nil {
			return fmt.Errorf("active %q must be true or false", rec[2])
		}
		if _, dup := reg.entries[id]; dup {
			return fmt.Errorf("originator %s is listed twice", id)
		}
		reg.entries[id] = entry{topic, active}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return reg, nil
}

// Lookup implements pipeline.Registry.
func (r *Registry) Lookup(id string) (string, bool) {
	e, ok := r.entries[id]
	if !ok || !e.active {
		return "", false
	}
	return e.topic, true
}

// Originators implements pipeline.Registry: active originators and their
// own notice topics ("" for the template's).
func (r *Registry) Originators() map[string]string {
	out := map[string]string{}
	for id, e := range r.entries {
		if e.active {
			out[id] = e.topic
		}
	}
	return out
}
