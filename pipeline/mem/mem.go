// Package mem has in-memory implementations of the pipeline's Source, Sink
// and Ledger: the embedded mode's ledger, and fakes for tests. They pass the
// same conformance suite as the Kafka and PostgreSQL adapters.
package mem

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/pipeline"
)

// Source is a list of messages fed by Add, read in order and committed.
type Source struct {
	mu        sync.Mutex
	msgs      []pipeline.Message
	next      int
	committed int // count of messages committed from the start
	added     chan struct{}
}

// NewSource returns an empty source.
func NewSource() *Source { return &Source{added: make(chan struct{}, 1)} }

// Add appends messages; offsets are their positions.
func (s *Source) Add(msgs ...pipeline.Message) {
	s.mu.Lock()
	for _, m := range msgs {
		m.Offset = int64(len(s.msgs))
		s.msgs = append(s.msgs, m)
	}
	s.mu.Unlock()
	select {
	case s.added <- struct{}{}:
	default:
	}
}

// Fetch implements pipeline.Source.
func (s *Source) Fetch(ctx context.Context, max int, wait time.Duration) ([]pipeline.Message, error) {
	for {
		s.mu.Lock()
		if s.next < len(s.msgs) {
			end := min(s.next+max, len(s.msgs))
			out := append([]pipeline.Message(nil), s.msgs[s.next:end]...)
			s.next = end
			s.mu.Unlock()
			return out, nil
		}
		s.mu.Unlock()
		select {
		case <-s.added:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Commit implements pipeline.Source.
func (s *Source) Commit(ctx context.Context, msgs []pipeline.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		if int(m.Offset)+1 > s.committed {
			s.committed = int(m.Offset) + 1
		}
	}
	return nil
}

// Rewind makes the source deliver everything after the last commit again,
// as a consumer group does after a crash.
func (s *Source) Rewind() {
	s.mu.Lock()
	s.next = s.committed
	s.mu.Unlock()
}

// Committed returns how many messages are committed.
func (s *Source) Committed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.committed
}

// Close implements pipeline.Source.
func (s *Source) Close() error { return nil }

// Sink keeps outputs by topic. Topics must be created first.
type Sink struct {
	mu     sync.Mutex
	topics map[string][]pipeline.Output
	fail   func(pipeline.Output) error
}

// SetFail makes fn decide, for each output written, whether it fails (nil
// to recover).
func (s *Sink) SetFail(fn func(pipeline.Output) error) {
	s.mu.Lock()
	s.fail = fn
	s.mu.Unlock()
}

// NewSink returns a sink with the given topics.
func NewSink(topics ...string) *Sink {
	s := &Sink{topics: map[string][]pipeline.Output{}}
	s.Create(topics...)
	return s
}

// Create makes topics.
func (s *Sink) Create(topics ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range topics {
		if _, ok := s.topics[t]; !ok {
			s.topics[t] = nil
		}
	}
}

// Write implements pipeline.Sink.
func (s *Sink) Write(ctx context.Context, outs []pipeline.Output) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var failed []int
	var first error
	for i, o := range outs {
		var err error
		if _, ok := s.topics[o.Topic]; !ok {
			err = errors.Join(pipeline.ErrTopicMissing, errors.New(o.Topic))
		} else if s.fail != nil {
			err = s.fail(o)
		}
		if err != nil {
			failed = append(failed, i)
			if first == nil {
				first = err
			}
			continue
		}
		s.topics[o.Topic] = append(s.topics[o.Topic], o)
	}
	if len(failed) > 0 {
		return &pipeline.WriteError{Failed: failed, Err: first}
	}
	return nil
}

// Exists implements pipeline.Sink.
func (s *Sink) Exists(ctx context.Context, topics []string) (map[string]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]bool{}
	for _, t := range topics {
		_, out[t] = s.topics[t]
	}
	return out, nil
}

// Messages returns a copy of what was written to topic.
func (s *Sink) Messages(topic string) []pipeline.Output {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]pipeline.Output(nil), s.topics[topic]...)
}

// Close implements pipeline.Sink.
func (s *Sink) Close() error { return nil }

// Ledger is an in-memory ledger.
type Ledger struct {
	mu   sync.Mutex
	subs map[string][]pipeline.Submission
	fail error
}

// SetFail makes every call return err (nil to recover), for fault tests.
func (l *Ledger) SetFail(err error) {
	l.mu.Lock()
	l.fail = err
	l.mu.Unlock()
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger { return &Ledger{subs: map[string][]pipeline.Submission{}} }

// Prior implements pipeline.Ledger.
func (l *Ledger) Prior(ctx context.Context, keys []string) (map[string][]pipeline.Submission, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return nil, l.fail
	}
	out := map[string][]pipeline.Submission{}
	for _, k := range keys {
		if s := l.subs[k]; len(s) > 0 {
			out[k] = append([]pipeline.Submission(nil), s...)
		}
	}
	return out, nil
}

// Record implements pipeline.Ledger.
func (l *Ledger) Record(ctx context.Context, subs []pipeline.Submission) ([]bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return nil, l.fail
	}
	inserted := make([]bool, len(subs))
next:
	for i, s := range subs {
		k := s.Key()
		for _, have := range l.subs[k] {
			if have.Hash == s.Hash {
				continue next
			}
		}
		l.subs[k] = append(l.subs[k], s)
		inserted[i] = true
	}
	return inserted, nil
}

// MarkPublished implements pipeline.Ledger.
func (l *Ledger) MarkPublished(ctx context.Context, subs []pipeline.Submission, at time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return l.fail
	}
	for _, s := range subs {
		list := l.subs[s.Key()]
		for i := range list {
			if list[i].Hash == s.Hash && !list[i].Published {
				list[i].Published, list[i].PublishedAt = true, at
			}
		}
	}
	return nil
}

// Redecide implements pipeline.Redecider: the submission gets decision d,
// unpublished. (The in-memory ledger keeps no history.)
func (l *Ledger) Redecide(ctx context.Context, s pipeline.Submission, d screening.Decision, at time.Time, reason string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return l.fail
	}
	list := l.subs[s.Key()]
	for i := range list {
		if list[i].Hash == s.Hash {
			list[i].Decision, list[i].DecisionJSON, list[i].DecidedAt = d, nil, at
			list[i].Published, list[i].PublishedAt = false, time.Time{}
			return nil
		}
	}
	return fmt.Errorf("redecide %s: no such submission", s.Key())
}

// Len returns the number of submissions recorded.
func (l *Ledger) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.subs {
		n += len(s)
	}
	return n
}

var (
	_ pipeline.Source    = (*Source)(nil)
	_ pipeline.Sink      = (*Sink)(nil)
	_ pipeline.Ledger    = (*Ledger)(nil)
	_ pipeline.Redecider = (*Ledger)(nil)
)
