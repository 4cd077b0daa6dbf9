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
// An empty notice_topic means the notice topic template's. The table is
// also the X12 trading-partner table: two more columns, x12_sender
// (ISA05:ISA06, such as ZZ:CLEARING-1) and x12_group_sender (GS02, empty
// for any), say which interchanges are the originator's.
//
//	originator_id,notice_topic,active,x12_sender,x12_group_sender
//	CLEARING-1,,true,ZZ:CLEARING-1,
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
	// X12Sender is ISA05:ISA06 of the originator's interchanges; "" when
	// it sends none. X12GroupSender, when set, is the GS02 they carry.
	X12Sender, X12GroupSender string
}

// Check reports what is wrong with an entry's id or notice topic.
func (e Entry) Check() error {
	if !claim.ValidOriginatorID(e.ID) {
		return fmt.Errorf("originator_id %q must match %s", e.ID, claim.OriginatorIDPattern)
	}
	if e.NoticeTopic != "" && !pipeline.ValidTopicName(e.NoticeTopic) {
		return fmt.Errorf("notice_topic %q is not a valid topic name", e.NoticeTopic)
	}
	if e.X12Sender != "" {
		q, id, ok := strings.Cut(e.X12Sender, ":")
		if !ok || len(q) != 2 || id == "" || len(id) > 15 {
			return fmt.Errorf("x12_sender %q must be ISA05:ISA06, a two-character qualifier and an id of up to 15 characters (ZZ:CLEARING-1)", e.X12Sender)
		}
	}
	if e.X12GroupSender != "" && e.X12Sender == "" {
		return fmt.Errorf("x12_group_sender %q needs an x12_sender", e.X12GroupSender)
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
	first, fields := true, 3
	err := codeset.ReadCSV(name, r, func(rec []string, line int) error {
		if first {
			first = false
			switch strings.Join(rec, ",") {
			case "originator_id,notice_topic,active":
				fields = 3
			case "originator_id,notice_topic,active,x12_sender,x12_group_sender":
				fields = 5
			default:
				return errors.New("header must be originator_id,notice_topic,active[,x12_sender,x12_group_sender]")
			}
			return nil
		}
		if len(rec) != fields {
			return fmt.Errorf("%d fields, want %d", len(rec), fields)
		}
		active, err := strconv.ParseBool(strings.TrimSpace(rec[2]))
		e := Entry{ID: strings.TrimSpace(rec[0]), NoticeTopic: strings.TrimSpace(rec[1]), Active: active}
		if fields == 5 {
			e.X12Sender, e.X12GroupSender = strings.TrimSpace(rec[3]), strings.TrimSpace(rec[4])
		}
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

// Sender is the trading-partner lookup: the active originator whose
// interchanges carry ISA05:ISA06 qualifier:id (and GS02 group, when its
// entry names one). ISA and GS ids are never used as topic names: only the
// originator id this returns is.
func (t *Table) Sender(qualifier, id, group string) (string, bool) {
	key := qualifier + ":" + id
	found := ""
	for _, e := range t.entries {
		if !e.Active || e.X12Sender != key || (e.X12GroupSender != "" && e.X12GroupSender != group) {
			continue
		}
		if found != "" && found != e.ID {
			return "", false // two originators claim the sender: none is trusted
		}
		found = e.ID
	}
	return found, found != ""
}

// Entry returns an originator's entry, active or not.
func (t *Table) Entry(id string) (Entry, bool) {
	if t == nil {
		return Entry{}, false
	}
	e, ok := t.entries[id]
	return e, ok
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

// Sender is Table.Sender of the table in force; no sender is known while
// none is.
func (l *Live) Sender(qualifier, id, group string) (string, bool) {
	if t := l.t.Load(); t != nil {
		return t.Sender(qualifier, id, group)
	}
	return "", false
}

// Active implements pipeline.Originators; nil while no table is in force.
func (l *Live) Active() map[string]string {
	if t := l.t.Load(); t != nil {
		return t.Active()
	}
	return nil
}
