// Package originators holds the originator table: which originators may
// submit claims, and where their notices go. The table comes from a file
// (claimscreen serve --registry) or from PostgreSQL (claimscreen
// originators add); both are a Table, and Live holds the one in force.
//
//	originator_id,notice_topic,active
//	LAB-0042,,true
//	CLINIC-0001,notices.clinic-0001,true
//	OLD-9,,false
//
// An empty notice_topic means the notice topic template's.
package originators

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/pipeline"
)

// Entry is one originator.
type Entry struct {
	ID          string
	NoticeTopic string // "" for the template's
	Active      bool
}

// Check reports what is wrong with an entry's id or notice topic.
func (e Entry) Check() error {
	if !claim.ValidOriginatorID(e.ID) {
		return fmt.Errorf("originator_id %q must match %s", e.ID, claim.OriginatorIDPattern)
	}
	if e.NoticeTopic != "" && !pipeline.ValidTopicName(e.NoticeTopic) {
		return fmt.Errorf("notice_topic %q is not a valid topic name", e.NoticeTopic)
	}
	return nil
}

// Table is a set of originators. It implements pipeline.Originators.
type Table struct {
	entries map[string]Entry
}

var _ pipeline.Originators = (*Table)(nil)

// New builds a table, refusing invalid or repeated entries.
func New(entries []Entry) (*Table, error) {
	t := &Table{entries: make(map[string]Entry, len(entries))}
	for _, e := range entries {
		if err := t.add(e); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (t *Table) add(e Entry) error {
	if err := e.Check(); err != nil {
		return err
	}
	if _, dup := t.entries[e.ID]; dup {
		return fmt.Errorf("originator %s is listed twice", e.ID)
	}
	t.entries[e.ID] = e
	return nil
}

// Load reads a table file.
func Load(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("originator table: %w", err)
	}
	defer f.Close()
	return Parse(path, f)
}

// Parse reads a table file's content; name is used in errors.
func Parse(name string, r io.Reader) (*Table, error) {
	t := &Table{entries: map[string]Entry{}}
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
		active, err := strconv.ParseBool(strings.TrimSpace(rec[2]))
		e := Entry{ID: strings.TrimSpace(rec[0]), NoticeTopic: strings.TrimSpace(rec[1]), Active: active}
		if cerr := e.Check(); cerr != nil {
			return cerr
		}
		if err != nil {
			return fmt.Errorf("active %q must be true or false", rec[2])
		}
		return t.add(e)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Lookup implements pipeline.Originators.
func (t *Table) Lookup(id string) (string, bool) {
	e, ok := t.entries[id]
	if !ok || !e.Active {
		return "", false
	}
	return e.NoticeTopic, true
}

// Active implements pipeline.Originators: active originators and their
// own notice topics ("" for the template's).
func (t *Table) Active() map[string]string {
	out := map[string]string{}
	for id, e := range t.entries {
		if e.Active {
			out[id] = e.NoticeTopic
		}
	}
	return out
}

// Len is the number of originators, active or not.
func (t *Table) Len() int { return len(t.entries) }

// Live is the table in force, swapped when it changes. While it holds no
// table (none loaded, or the PostgreSQL table is empty) every valid
// originator id may submit. Safe for concurrent use.
type Live struct {
	t atomic.Pointer[Table]
}

var _ pipeline.Originators = (*Live)(nil)

// Store puts t in force; nil, or an empty table, allows every originator.
func (l *Live) Store(t *Table) {
	if t != nil && t.Len() == 0 {
		t = nil
	}
	l.t.Store(t)
}

// Enforced reports whether a table is in force.
func (l *Live) Enforced() bool { return l.t.Load() != nil }

// Lookup implements pipeline.Originators.
func (l *Live) Lookup(id string) (string, bool) {
	if t := l.t.Load(); t != nil {
		return t.Lookup(id)
	}
	return "", true
}

// Active implements pipeline.Originators; nil while no table is in force.
func (l *Live) Active() map[string]string {
	if t := l.t.Load(); t != nil {
		return t.Active()
	}
	return nil
}
