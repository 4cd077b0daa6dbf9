package pipeline

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/rule"
	"github.com/claimscreen/claimscreen/internal/screening"
)

// Config of a pipeline. Zero durations and sizes take the defaults.
type Config struct {
	BatchSize       int           // most messages a batch, default 500
	BatchWait       time.Duration // longest wait to fill a batch, default 50ms
	Topics          Topics
	Registry        Registry      // nil: any valid originator id
	ShutdownTimeout time.Duration // to finish the batch in hand, default 30s
	RetryMin        time.Duration // first retry delay, default 100ms
	RetryMax        time.Duration // longest retry delay, default 5s
	// TopicRecheck is how long a missing notice topic is remembered as
	// missing, default 30s.
	TopicRecheck time.Duration
	Now          func() time.Time
}

func (c *Config) defaults() {
	if c.BatchSize <= 0 {
		c.BatchSize = 500
	}
	if c.BatchWait <= 0 {
		c.BatchWait = 50 * time.Millisecond
	}
	if c.Topics == (Topics{}) {
		c.Topics = DefaultTopics
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.RetryMin <= 0 {
		c.RetryMin = 100 * time.Millisecond
	}
	if c.RetryMax <= 0 {
		c.RetryMax = 5 * time.Second
	}
	if c.TopicRecheck <= 0 {
		c.TopicRecheck = 30 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Observer is told what the pipeline does, for metrics. Its methods must be
// cheap and safe for concurrent use.
type Observer interface {
	Batch(size int, took time.Duration)
	Decided(outcome screening.Outcome, d *screening.Decision)
	DeadLettered(reason string)
	Fault(stage string) // "fetch", "write", "ledger", "commit"
	Ready(bool)
}

// NopObserver ignores everything.
type NopObserver struct{}

func (NopObserver) Batch(int, time.Duration)                       {}
func (NopObserver) Decided(screening.Outcome, *screening.Decision) {}
func (NopObserver) DeadLettered(string)                            {}
func (NopObserver) Fault(string)                                   {}
func (NopObserver) Ready(bool)                                     {}

// Pipeline is the batch loop.
type Pipeline struct {
	cfg      Config
	src      Source
	sink     Sink
	ledger   Ledger
	screener *atomic.Pointer[screening.Screener]
	dec      *claim.Decoder
	obs      Observer
	log      *zap.Logger

	mu      sync.Mutex
	missing map[string]time.Time // notice topics found missing, and when
	known   map[string]bool      // notice topics found to exist
}

// New returns a pipeline. screener is read for every batch, so a new
// snapshot can be swapped in while the pipeline runs.
func New(cfg Config, src Source, sink Sink, ledger Ledger, screener *atomic.Pointer[screening.Screener], dec *claim.Decoder, obs Observer, log *zap.Logger) *Pipeline {
	cfg.defaults()
	if obs == nil {
		obs = NopObserver{}
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Pipeline{cfg: cfg, src: src, sink: sink, ledger: ledger, screener: screener, dec: dec, obs: obs, log: log, missing: map[string]time.Time{}, known: map[string]bool{}}
}

// Run fetches and processes batches until ctx is done, then finishes the
// batches in hand (within the shutdown timeout) and returns nil. It returns
// an error only when a batch cannot be finished before the shutdown timeout.
//
// Two batches overlap: batch N is published (written, marked published,
// committed) while batch N+1 is prepared (decoded, screened, recorded).
// Commits stay in order, and each only after its own batch's outputs are
// acknowledged and recorded.
func (p *Pipeline) Run(ctx context.Context) error {
	bctx, cancel := p.shutdownContext(ctx)
	defer cancel()
	ready := make(chan *prepared, 1)
	done := make(chan error, 1)
	go func() {
		var err error
		for b := range ready {
			if err == nil {
				err = p.publish(bctx, b)
			}
		}
		done <- err
	}()
	err := p.fetchLoop(ctx, bctx, ready)
	close(ready)
	if perr := <-done; perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return fmt.Errorf("a batch was not finished before the shutdown timeout; it is not committed and will be redelivered: %w", err)
	}
	return nil
}

func (p *Pipeline) fetchLoop(ctx, bctx context.Context, ready chan<- *prepared) error {
	delay := p.cfg.RetryMin
	for ctx.Err() == nil {
		msgs, err := p.src.Fetch(ctx, p.cfg.BatchSize, p.cfg.BatchWait)
		if err != nil && len(msgs) == 0 {
			if ctx.Err() != nil {
				break
			}
			p.obs.Fault("fetch")
			p.obs.Ready(false)
			p.log.Warn("fetch failed; retrying", zap.Error(err), zap.Duration("backoff", delay))
			if !sleep(ctx, delay) {
				break
			}
			delay = min(delay*2, p.cfg.RetryMax)
			continue
		}
		delay = p.cfg.RetryMin
		if len(msgs) == 0 {
			continue
		}
		b, err := p.prepare(bctx, msgs)
		if err != nil {
			return err
		}
		ready <- b
	}
	return nil
}

// shutdownContext returns a context that outlives ctx by the shutdown
// timeout, so that batches in hand are completed on shutdown.
func (p *Pipeline) shutdownContext(ctx context.Context) (context.Context, context.CancelFunc) {
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(p.cfg.ShutdownTimeout)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-bctx.Done():
		}
	})
	return bctx, func() { stop(); cancel() }
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// retry runs fn until it succeeds or ctx is done, backing off and marking
// the pipeline not ready meanwhile.
func (p *Pipeline) retry(ctx context.Context, stage string, fn func() error) error {
	delay := p.cfg.RetryMin
	for {
		err := fn()
		if err == nil {
			return nil
		}
		p.obs.Fault(stage)
		p.obs.Ready(false)
		p.log.Warn(stage+" failed; retrying", zap.Error(err), zap.Duration("backoff", delay))
		if !sleep(ctx, delay) {
			return fmt.Errorf("%s: %w", stage, err)
		}
		delay = min(delay*2, p.cfg.RetryMax)
	}
}

// item is one message of a batch on its way through.
type item struct {
	msg    Message
	claim  *claim.Claim
	body   []byte // the normalised claim, JSON
	hash   string
	fs     []rule.Finding
	sub    *Submission // the decision, recorded or new
	isNew  bool        // decided in this batch
	skip   bool        // already published: no output
	output *Output
	topic  string // where its decision goes

	// For a new submission: whether the claim has another recorded
	// content, and what it replaces. For a later copy of a submission new
	// in this batch: the item deciding it, plus one.
	different bool
	replaces  string
	leader    int
}

// ProcessBatch decodes, screens, routes, records and publishes a batch, and
// commits it. It returns an error only if ctx ends before the batch is
// written and recorded; nothing is committed then.
func (p *Pipeline) ProcessBatch(ctx context.Context, msgs []Message) error {
	b, err := p.prepare(ctx, msgs)
	if err != nil {
		return err
	}
	return p.publish(ctx, b)
}

// prepared is a batch decided and recorded, its outputs built.
type prepared struct {
	msgs      []Message
	items     []item
	outs      []Output
	published []Submission
	start     time.Time
}

// parallelMin is the fewest items worth spreading over the cores.
const parallelMin = 64

// forEach calls fn for 0..n-1, spread over GOMAXPROCS goroutines when n is
// large enough to pay for them. fn must touch only its own item.
func forEach(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/parallelMin)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// prepare decodes, screens and routes a batch, and records its new
// decisions in the ledger. The work of each claim (decode, hash, screen,
// encode the output) runs on every core; what depends on the other claims
// of the batch (the ledger, copies within the batch) runs in order.
func (p *Pipeline) prepare(ctx context.Context, msgs []Message) (*prepared, error) {
	start := p.cfg.Now()
	sc := p.screener.Load()
	items := make([]item, len(msgs))
	forEach(len(msgs), func(i int) { p.decode(&items[i], msgs[i]) })

	var keys []string
	seenKey := map[string]bool{}
	for i := range items {
		if c := items[i].claim; c != nil {
			if k := c.Key(); !seenKey[k] {
				seenKey[k] = true
				keys = append(keys, k)
			}
		}
	}
	var prior map[string][]Submission
	if len(keys) > 0 {
		if err := p.retry(ctx, "ledger", func() (err error) {
			prior, err = p.ledger.Prior(ctx, keys)
			return err
		}); err != nil {
			return nil, err
		}
	}
	if prior == nil {
		prior = map[string][]Submission{}
	}

	// Microseconds, as the ledger keeps them: an output published again from
	// the ledger is then byte for byte the first one.
	now := p.cfg.Now().Truncate(time.Microsecond)

	// In order: what each claim is against the ledger and the messages
	// before it in the batch.
	leader := map[[2]string]int{} // key, hash → the item deciding it in this batch
	for i := range items {
		it := &items[i]
		if it.claim == nil {
			continue
		}
		k := it.claim.Key()
		var same *Submission
		different := false
		for j := range prior[k] {
			s := &prior[k][j]
			if s.Hash == it.hash {
				same = s
			} else {
				different = true
			}
		}
		switch l, copied := leader[[2]string{k, it.hash}]; {
		case copied:
			// A later message of the batch with the same content gets that
			// decision, and publishes nothing: the first one does.
			it.leader, it.skip = l+1, true
		case same != nil:
			cp := *same
			it.sub = &cp
			// Publish a recorded decision only for its own message
			// redelivered; any other copy's outputs come from that one.
			it.skip = same.Published || same.Source != (Position{Topic: it.msg.Topic, Partition: it.msg.Partition, Offset: it.msg.Offset})
			same.Published = true // a later copy in this batch publishes nothing
		default:
			it.isNew, it.different, it.replaces = true, different, replaces(it.claim.Frequency, prior[k])
			leader[[2]string{k, it.hash}] = i
			prior[k] = append(prior[k], Submission{Hash: it.hash, DecidedAt: now, Published: true})
		}
	}

	forEach(len(items), func(i int) {
		it := &items[i]
		if !it.isNew {
			return
		}
		c := it.claim
		d := sc.Screen(screening.Input{Claim: c, Findings: it.fs, PriorDifferent: it.different})
		dj := d.JSON()
		it.sub = &Submission{OriginatorID: c.OriginatorID, ClaimID: c.ClaimID, Hash: it.hash, Frequency: c.Frequency,
			Claim: it.body, Decision: d, DecisionJSON: dj, DecidedAt: now, Replaces: it.replaces,
			Source: Position{Topic: it.msg.Topic, Partition: it.msg.Partition, Offset: it.msg.Offset}}
	})

	var record []Submission
	var recordItem []int // the item of each record
	for i := range items {
		it := &items[i]
		if it.claim == nil {
			continue
		}
		if it.leader > 0 {
			l := &items[it.leader-1]
			if l.claim == nil { // its first copy could not be routed: nor can it
				p.deadLetter(it, ReasonNoticeTopicMissing, "notice topic "+l.topic+" does not exist; create it and replay this message")
				it.claim = nil
				continue
			}
			cp := *l.sub
			cp.Published = true
			it.sub = &cp
		}
		topic, ok, err := p.routeTopic(ctx, it.claim, it.sub.Decision.Outcome)
		if err != nil {
			return nil, err
		}
		it.topic = topic
		if !ok {
			p.deadLetter(it, ReasonNoticeTopicMissing, "notice topic "+topic+" does not exist; create it and replay this message")
			it.claim, it.sub = nil, nil
			continue
		}
		if it.isNew {
			record = append(record, *it.sub)
			recordItem = append(recordItem, i)
			p.obs.Decided(it.sub.Decision.Outcome, &it.sub.Decision)
		}
	}

	var encErr atomic.Pointer[error]
	forEach(len(items), func(i int) {
		it := &items[i]
		if it.claim == nil || it.skip {
			return
		}
		out, err := decisionOutput(it.topic, it.claim, it.body, it.hash, it.sub.Decision, it.sub.DecisionJSON, it.sub.DecidedAt)
		if err != nil {
			encErr.Store(&err)
			return
		}
		it.output = &out
	})
	if e := encErr.Load(); e != nil {
		return nil, fmt.Errorf("encode output: %w", *e)
	}

	if len(record) > 0 {
		var inserted []bool
		if err := p.retry(ctx, "ledger", func() (err error) {
			inserted, err = p.ledger.Record(ctx, record)
			return err
		}); err != nil {
			return nil, err
		}
		for j, ok := range inserted {
			if !ok {
				// Another instance recorded this submission meanwhile: its
				// message publishes the outputs.
				items[recordItem[j]].output = nil
				items[recordItem[j]].sub = nil
			}
		}
	}

	var outs []Output
	var published []Submission
	for i := range items {
		it := &items[i]
		if it.output == nil {
			continue
		}
		outs = append(outs, *it.output)
		if it.sub != nil {
			published = append(published, *it.sub)
		}
	}
	return &prepared{msgs: msgs, items: items, outs: outs, published: published, start: start}, nil
}

// decode decodes one message into its item, or dead-letters it.
func (p *Pipeline) decode(it *item, m Message) {
	it.msg = m
	c, fs, err := p.dec.Decode(m.Value, m.Time)
	if err != nil {
		var de *claim.DecodeError
		reason, detail := claim.ReasonMalformed, err.Error()
		if errors.As(err, &de) {
			reason, detail = de.Reason, de.Detail
		}
		p.deadLetter(it, reason, detail)
		return
	}
	if p.cfg.Registry != nil {
		if _, ok := p.cfg.Registry.Lookup(c.OriginatorID); !ok {
			p.deadLetter(it, ReasonUnknownOriginator, "originator "+c.OriginatorID+" is not registered or not active")
			return
		}
	}
	it.claim = c
	it.body, it.hash = c.Encode()
	it.fs = fs
}

// publish writes a prepared batch's outputs, marks its decisions published
// and commits its offsets.
func (p *Pipeline) publish(ctx context.Context, b *prepared) error {
	msgs, items, published := b.msgs, b.items, b.published
	if err := p.write(ctx, b.outs); err != nil {
		return err
	}
	// Marking published and committing go at once: a commit makes the batch
	// never redelivered, a mark makes a redelivery publish nothing, so
	// either one alone closes the duplicate window.
	marked := make(chan error, 1)
	go func() {
		if len(published) == 0 {
			marked <- nil
			return
		}
		marked <- p.retry(ctx, "ledger", func() error { return p.ledger.MarkPublished(ctx, published, p.cfg.Now()) })
	}()
	if err := p.src.Commit(ctx, msgs); err != nil {
		// The batch is written and recorded: a redelivery is answered from
		// the ledger. Log it and go on.
		p.obs.Fault("commit")
		p.log.Warn("commit failed; the batch may be redelivered and will be answered from the ledger", zap.Error(err), zap.Int("messages", len(msgs)))
	}
	if err := <-marked; err != nil {
		return err
	}
	p.obs.Ready(true)
	p.obs.Batch(len(msgs), p.cfg.Now().Sub(b.start))
	for i := range items {
		it := &items[i]
		if it.sub != nil {
			p.log.Debug("claim", zap.String("claim_id", it.sub.ClaimID), zap.String("originator_id", it.sub.OriginatorID),
				zap.String("outcome", string(it.sub.Decision.Outcome)), zap.Bool("redelivered", !it.isNew),
				zap.Int("partition", it.msg.Partition), zap.Int64("offset", it.msg.Offset))
		}
	}
	return nil
}

func (p *Pipeline) deadLetter(it *item, reason, detail string) {
	out := deadLetter(p.cfg.Topics, it.msg, reason, detail)
	it.output = &out
	p.obs.DeadLettered(reason)
	p.log.Info("dead-lettered", zap.String("reason", reason), zap.String("topic", it.msg.Topic),
		zap.Int("partition", it.msg.Partition), zap.Int64("offset", it.msg.Offset))
}

// routeTopic returns the topic of a decision's output and, for a notice,
// whether the topic exists.
func (p *Pipeline) routeTopic(ctx context.Context, c *claim.Claim, o screening.Outcome) (string, bool, error) {
	switch o {
	case screening.Accepted:
		return p.cfg.Topics.Review, true, nil
	case screening.Held:
		return p.cfg.Topics.Held, true, nil
	}
	topic := ""
	if p.cfg.Registry != nil {
		topic, _ = p.cfg.Registry.Lookup(c.OriginatorID)
	}
	if topic == "" {
		topic = p.cfg.Topics.NoticeTopic(c.OriginatorID)
	}
	p.mu.Lock()
	when, missing := p.missing[topic]
	known := p.known[topic]
	p.mu.Unlock()
	if known {
		return topic, true, nil
	}
	if missing && p.cfg.Now().Sub(when) < p.cfg.TopicRecheck {
		return topic, false, nil
	}
	var exists map[string]bool
	if err := p.retry(ctx, "metadata", func() (err error) {
		exists, err = p.sink.Exists(ctx, []string{topic})
		return err
	}); err != nil {
		return "", false, err
	}
	p.mu.Lock()
	if exists[topic] {
		delete(p.missing, topic)
		p.known[topic] = true
	} else {
		p.missing[topic] = p.cfg.Now()
	}
	p.mu.Unlock()
	return topic, exists[topic], nil
}

// write publishes outs, retrying the ones that failed.
func (p *Pipeline) write(ctx context.Context, outs []Output) error {
	pending := outs
	return p.retry(ctx, "write", func() error {
		if len(pending) == 0 {
			return nil
		}
		err := p.sink.Write(ctx, pending)
		if err == nil {
			pending = nil
			return nil
		}
		var we *WriteError
		if errors.As(err, &we) {
			next := make([]Output, 0, len(we.Failed))
			for _, i := range we.Failed {
				next = append(next, pending[i])
			}
			pending = next
		}
		return err
	})
}

// replaces finds the submission a replacement or void applies to: the
// latest recorded one of the same claim.
func replaces(frequency string, prior []Submission) string {
	if frequency != claim.FrequencyReplacement && frequency != claim.FrequencyVoid {
		return ""
	}
	var latest *Submission
	for i := range prior {
		if latest == nil || prior[i].DecidedAt.After(latest.DecidedAt) {
			latest = &prior[i]
		}
	}
	if latest == nil {
		return ""
	}
	return latest.Hash
}
