package pipeline

import (
	"context"
	"errors"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/screening"
)

// Header is a message header.
type Header struct {
	Key   string
	Value []byte
}

// Message is one input message.
type Message struct {
	Topic     string
	Partition int
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
	Time      time.Time
	// Text, set by an intake, is the claim.v1 Value was written from: the
	// decide step reads it rather than Value, with the same result
	// (claim.Decoder.DecodeText).
	Text *claim.Text
}

// Output is one message to publish. Topic is set by the router.
type Output struct {
	Topic   string
	Key     []byte
	Value   []byte
	Headers []Header
}

// DefaultMaxBatchBytes is the default bound on the bytes of input
// messages a batch takes (--max-batch-bytes; a Source always takes one
// message). The claims of a batch's X12 interchanges are all held and
// decided together: 2 MiB is about 4,800 claims of the generated 837P
// (433 bytes a claim), where 8 MiB (the default before) held 19,000 and
// cost about a quarter more CPU a claim (docs/benchmarks.md, 2026-12-04).
// 2,000 claim.v1 messages of the generated kind (822 bytes) fit in it.
const DefaultMaxBatchBytes = 2 << 20

// Source gives batches of input messages.
//
// Fetch blocks until at least one message is available (or ctx is done) and
// then gathers messages holding up to max claims (one a message, unless
// the Source weighs them: Weigher) for at most wait. Commit marks msgs (and
// everything before them in their partitions) done; it is called only after
// every output of msgs was acknowledged and recorded. A Source is used by one
// goroutine at a time.
type Source interface {
	Fetch(ctx context.Context, max int, wait time.Duration) ([]Message, error)
	Commit(ctx context.Context, msgs []Message) error
	Close() error
}

// Sink publishes outputs.
//
// Write returns nil only when every output has been acknowledged. On
// failure it returns a *WriteError naming the outputs that were not written
// (the others were); the caller retries those. Outputs to one topic and key
// are written in the order given. Exists reports which topics exist. A Sink
// is safe for concurrent use.
type Sink interface {
	Write(ctx context.Context, outs []Output) error
	Exists(ctx context.Context, topics []string) (map[string]bool, error)
	Close() error
}

// WriteError lists the outputs a Write did not publish.
type WriteError struct {
	Failed []int // indexes into the outputs given to Write
	Err    error
}

func (e *WriteError) Error() string { return "write outputs: " + e.Err.Error() }
func (e *WriteError) Unwrap() error { return e.Err }

// ErrTopicMissing is wrapped by sinks when a topic does not exist.
var ErrTopicMissing = errors.New("topic does not exist")

// Submission is one submission's ledger record: a claim as sent by one
// originator, with one content, and its decision.
type Submission struct {
	OriginatorID string
	ClaimID      string
	Hash         string // SHA-256 of the normalised claim
	Frequency    string
	Claim        []byte // the normalised claim, JSON
	Decision     screening.Decision
	// DecisionJSON is Decision encoded, when the pipeline already encoded
	// it (a ledger may store it as it is); nil otherwise.
	DecisionJSON []byte
	// Replaces is the hash of the earlier submission a replacement (7) or
	// void (8) applies to, when there is one.
	Replaces    string
	Source      Position
	DecidedAt   time.Time
	Published   bool
	PublishedAt time.Time
}

// Key is originator_id/claim_id.
func (s *Submission) Key() string { return s.OriginatorID + "/" + s.ClaimID }

// Position is where a message was read.
type Position struct {
	Topic     string
	Partition int
	Offset    int64
}

// Ledger remembers decisions.
//
// Prior returns every recorded submission for each key (originator_id/
// claim_id) asked. Record stores submissions and reports, for each, whether
// this call inserted it: a submission already there (same originator, claim
// id and hash, recorded by another instance meanwhile) keeps its first
// record and reports false. MarkPublished records that their outputs were
// acknowledged. A Ledger is safe for concurrent use and for several
// instances at once; its methods return only when the data is durable.
type Ledger interface {
	Prior(ctx context.Context, keys []string) (map[string][]Submission, error)
	Record(ctx context.Context, subs []Submission) (inserted []bool, err error)
	MarkPublished(ctx context.Context, subs []Submission, at time.Time) error
}

// Redecider is a Ledger that can replace a recorded decision (a replay):
// the old one is kept in the submission's history with the reason, and the
// submission is marked unpublished until MarkPublished.
type Redecider interface {
	Ledger
	Redecide(ctx context.Context, s Submission, d screening.Decision, at time.Time, reason string) error
}
