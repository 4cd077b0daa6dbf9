package pipeline

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/screening"
)

// Config of a pipeline. Zero durations and sizes take the defaults.
type Config struct {
	BatchSize   int           // most messages a batch, default 500
	BatchWait   time.Duration // longest wait to fill a batch, default 50ms
	Topics      Topics
	Originators Originators // nil: any valid originator id
	// Intakes read the input formats other than claim.v1, by input topic
	// (X12 on claims.x12.submitted): each message is split into claims,
	// which take the decide step, and answered with acknowledgements.
	Intakes         map[string]Intake
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
	if c.Topics.Review == "" && c.Topics.Held == "" && c.Topics.DeadLetter == "" && c.Topics.NoticeTemplate == "" {
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

// retry is the retry policy of the loop's steps: backoff between RetryMin
// and RetryMax, readiness false and a warning meanwhile.
func (c *Config) retry(obs Observer, log *zap.Logger) Retry {
	return Retry{Min: c.RetryMin, Max: c.RetryMax, OnFault: func(stage string, err error, backoff time.Duration) {
		obs.Fault(stage)
		obs.Ready(false)
		log.Warn(stage+" failed; retrying", zap.Error(err), zap.Duration("backoff", backoff))
	}}
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

// Pipeline is the batch loop: fetch a batch, take the decide step, publish
// its outputs, mark its decisions published and commit its offsets.
type Pipeline struct {
	cfg     Config
	src     Source
	sink    Sink
	decider *Decider
	obs     Observer
	log     *zap.Logger
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
	return &Pipeline{cfg: cfg, src: src, sink: sink, decider: NewDecider(cfg, ledger, screener, dec, sink, obs, log), obs: obs, log: log}
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
	ready := make(chan *Batch, 1)
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

func (p *Pipeline) fetchLoop(ctx, bctx context.Context, ready chan<- *Batch) error {
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
		b, err := p.decider.Decide(bctx, msgs)
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

// ProcessBatch decides, publishes and commits one batch. It returns an
// error only if ctx ends before the batch is written and recorded; nothing
// is committed then.
func (p *Pipeline) ProcessBatch(ctx context.Context, msgs []Message) error {
	b, err := p.decider.Decide(ctx, msgs)
	if err != nil {
		return err
	}
	return p.publish(ctx, b)
}

// publish writes a decided batch's outputs, then marks its decisions
// published and commits its offsets.
func (p *Pipeline) publish(ctx context.Context, b *Batch) error {
	if err := p.decider.retry.Write(ctx, p.sink, b.Outputs); err != nil {
		return err
	}
	// Marking published and committing go at once: a commit makes the batch
	// never redelivered, a mark makes a redelivery publish nothing, so
	// either one alone closes the duplicate window.
	marked := make(chan error, 1)
	go func() { marked <- p.decider.markPublished(ctx, b.Published) }()
	if err := p.src.Commit(ctx, b.Messages); err != nil {
		// The batch is written and recorded: a redelivery is answered from
		// the ledger. Log it and go on.
		p.obs.Fault("commit")
		p.log.Warn("commit failed; the batch may be redelivered and will be answered from the ledger", zap.Error(err), zap.Int("messages", len(b.Messages)))
	}
	if err := <-marked; err != nil {
		return err
	}
	p.obs.Ready(true)
	p.obs.Batch(len(b.Messages), p.cfg.Now().Sub(b.start))
	for i := range b.items {
		it := &b.items[i]
		if it.sub != nil && it.state != stateDeadLetter && it.state != stateTaken {
			p.log.Debug("claim", zap.String("claim_id", it.sub.ClaimID), zap.String("originator_id", it.sub.OriginatorID),
				zap.String("outcome", string(it.sub.Decision.Outcome)), zap.Bool("redelivered", it.state != stateNew),
				zap.Int("partition", it.msg.Partition), zap.Int64("offset", it.msg.Offset))
		}
	}
	return nil
}
