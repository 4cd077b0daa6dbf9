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
	"github.com/claimscreen/claimscreen/internal/notice"
	"github.com/claimscreen/claimscreen/internal/rule"
	"github.com/claimscreen/claimscreen/internal/screening"
)

// Decider takes the decide step that every entry point shares (serve,
// screen, replay):
//
//	decode -> identify the originator -> prior decisions -> screen -> route -> encode -> record
//
// Decide returns a Batch: one Result per message, the outputs to publish
// and the submissions to mark published once they are acknowledged. It
// never writes to the sink and never commits: the caller publishes the
// batch (Publish, or the loop's overlapped write, mark and commit). A
// Decider is used by one goroutine at a time.
type Decider struct {
	topics      Topics
	originators Originators
	intakes     map[string]Intake
	dec         *claim.Decoder
	screener    *atomic.Pointer[screening.Screener]
	ledger      Ledger
	exists      *TopicCache
	retry       Retry
	obs         Observer
	log         *zap.Logger
	now         func() time.Time
}

// TopicChecker reports which topics exist; a Sink is one.
type TopicChecker interface {
	Exists(ctx context.Context, topics []string) (map[string]bool, error)
}

// EveryTopicExists is the TopicChecker of an entry point without a broker
// (claimscreen screen): every route is taken as open.
var EveryTopicExists TopicChecker = everyTopic{}

type everyTopic struct{}

func (everyTopic) Exists(_ context.Context, topics []string) (map[string]bool, error) {
	out := make(map[string]bool, len(topics))
	for _, t := range topics {
		out[t] = true
	}
	return out, nil
}

// NewDecider returns the decide step. screener is read for every batch, so
// a new snapshot can be swapped in between batches; topics tells whether a
// notice topic exists (remembered in a TopicCache for cfg.TopicRecheck).
func NewDecider(cfg Config, ledger Ledger, screener *atomic.Pointer[screening.Screener], dec *claim.Decoder, topics TopicChecker, obs Observer, log *zap.Logger) *Decider {
	cfg.defaults()
	if obs == nil {
		obs = NopObserver{}
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Decider{
		topics: cfg.Topics, originators: cfg.Originators, intakes: cfg.Intakes, dec: dec, screener: screener, ledger: ledger,
		exists: NewTopicCache(topics.Exists, cfg.TopicRecheck, cfg.Now),
		retry:  cfg.retry(obs, log), obs: obs, log: log, now: cfg.Now,
	}
}

// state is where a message of a batch stands. Every message ends in one of
// the final states, which say what is published for it.
type state uint8

const (
	stateClaim      state = iota + 1 // decoded and its originator allowed: to be placed against the ledger
	stateDeadLetter                  // cannot be answered: its output is a dead letter (final)
	stateNew                         // a new submission: screened here, recorded, published (final)
	stateRecorded                    // its own message redelivered before its outputs were marked published: the recorded decision is published again (final)
	stateAnswered                    // decided and published before, or another message answers it: nothing published (final)
	stateCopy                        // a later copy of a submission new in this batch: takes that decision, publishes nothing (final)
	stateTaken                       // another instance recorded it meanwhile: that instance publishes (final)
)

// item is one message of a batch on its way through the stages.
type item struct {
	msg   Message
	state state

	claim *claim.Claim
	body  []byte // the normalised claim, JSON
	hash  string
	fs    []rule.Finding // the decoder's findings

	// stateNew: whether the claim has another recorded content, and the
	// submission a replacement or void applies to.
	priorDifferent bool
	replaces       string
	// stateCopy: the index of the item that decides it.
	leader int

	sub    *Submission // the decision, new or recorded
	topic  string      // where its decision goes
	output *Output     // what is published for it, if anything

	reason, detail string // stateDeadLetter
}

// publishes reports whether the item's decision is published by this batch.
func (it *item) publishes() bool { return it.state == stateNew || it.state == stateRecorded }

// Batch is a batch decided and recorded, its outputs built.
type Batch struct {
	Messages []Message
	// Outputs are what to publish, in input order.
	Outputs []Output
	// Published are the submissions whose outputs these are: mark them
	// published once the outputs are acknowledged.
	Published []Submission

	items []item
	start time.Time
}

// Result is what became of one message of a batch.
type Result struct {
	// Decision is the claim's decision; nil when it was dead-lettered.
	Decision *screening.Decision
	// New says the decision was taken in this batch (not answered from the
	// ledger or from an earlier copy).
	New bool
	// Reason and Detail say why a message was dead-lettered.
	Reason, Detail string
	// DecisionID is the id its review or notice carries (notice.ID).
	DecisionID string
}

// Result returns what became of message i.
func (b *Batch) Result(i int) Result {
	it := &b.items[i]
	if it.state == stateDeadLetter {
		return Result{Reason: it.reason, Detail: it.detail}
	}
	return Result{Decision: &it.sub.Decision, New: it.state == stateNew || it.state == stateTaken, DecisionID: notice.ID(it.claim, it.hash)}
}

// Decide takes the decide step for msgs, in order. It returns an error only
// when ctx ends while the ledger or the brokers are retried; nothing of the
// batch is then recorded as published.
func (d *Decider) Decide(ctx context.Context, msgs []Message) (*Batch, error) {
	b := &Batch{Messages: msgs, start: d.now()}
	work, splits := d.split(msgs)
	b.items = make([]item, len(work))
	items := b.items
	sc := d.screener.Load()
	forEach(len(items), func(i int) {
		it := &items[i]
		it.msg = work[i].msg
		if work[i].dead != "" {
			d.deadLetter(it, work[i].dead, work[i].detail)
			return
		}
		if d.decode(it) && d.identify(it) {
			it.body, it.hash = it.claim.Encode()
		}
	})
	now, err := d.lookup(ctx, items)
	if err != nil {
		return nil, err
	}
	forEach(len(items), func(i int) { d.screen(&items[i], sc, now) })
	if err := d.route(ctx, items); err != nil {
		return nil, err
	}
	if err := d.encode(items); err != nil {
		return nil, err
	}
	if err := d.record(ctx, items); err != nil {
		return nil, err
	}
	b.collect(3 * len(splits)) // room for each interchange's TA1, 999 and 277CA
	if err := d.acknowledge(ctx, b, splits); err != nil {
		return nil, err
	}
	return b, nil
}

// workItem is one message to decide: an input message, or a claim an
// intake split one into.
type workItem struct {
	msg          Message
	dead, detail string // an intake dead-letters the input message
}

// splitGroup is the claims of one input message an intake split, as
// items first..first+n-1.
type splitGroup struct {
	first, n int
	split    Split
}

// split expands the messages of the intakes' topics into their claims.
func (d *Decider) split(msgs []Message) ([]workItem, []splitGroup) {
	if len(d.intakes) == 0 {
		work := make([]workItem, len(msgs))
		for i, m := range msgs {
			work[i].msg = m
		}
		return work, nil
	}
	// The intakes' messages are split on every core first (one message is
	// a whole interchange), then laid out in input order.
	splits := make([]*Split, len(msgs))
	var mine []int
	for i, m := range msgs {
		if d.intakeOf(m.Topic) != nil {
			mine = append(mine, i)
		}
	}
	forEachOf(len(mine), 1, func(j int) {
		i := mine[j]
		sp := d.intakeOf(msgs[i].Topic).Split(msgs[i])
		splits[i] = &sp
	})
	n := 0
	for i := range msgs {
		if splits[i] == nil {
			n++
		} else {
			n += max(len(splits[i].Claims), 1)
		}
	}
	work := make([]workItem, 0, n)
	var groups []splitGroup
	for i, m := range msgs {
		sp := splits[i]
		if sp == nil {
			work = append(work, workItem{msg: m})
			continue
		}
		if owner, own := d.topics.OwnerOf(m.Topic); own && sp.Reason == "" && sp.Originator != owner {
			// Its acknowledgements would go to the originator it names.
			sp.Reason, sp.Detail = ReasonOriginatorMismatch, mismatch(m.Topic, owner, "its sender is originator "+sp.Originator)
		}
		if sp.Reason != "" {
			work = append(work, workItem{msg: m, dead: sp.Reason, detail: sp.Detail})
			continue
		}
		groups = append(groups, splitGroup{first: len(work), n: len(sp.Claims), split: *sp})
		for _, c := range sp.Claims {
			work = append(work, workItem{msg: c})
		}
	}
	return work, groups
}

// intakeOf is the intake of a topic: Config.Intakes names a topic, or
// an Owned template (the intake of every originator's own topic it makes).
func (d *Decider) intakeOf(topic string) Intake { return intakeFor(d.topics, d.intakes, topic) }

func intakeFor(topics Topics, intakes map[string]Intake, topic string) Intake {
	if in, ok := intakes[topic]; ok {
		return in
	}
	if tmpl, _, ok := topics.owner(topic); ok {
		return intakes[tmpl]
	}
	return nil
}

// acknowledge adds each split message's acknowledgements to the batch's
// outputs: on the originator's notice topic, after the claims' outputs.
// They are owed when one of its claims publishes here, or when it has no
// claim to publish at all (every set rejected): a redelivery of a message
// whose claims were all published before publishes nothing again.
func (d *Decider) acknowledge(ctx context.Context, b *Batch, groups []splitGroup) error {
	for _, g := range groups {
		if g.split.Acks == nil {
			continue
		}
		owed := g.n == 0
		results := make([]Result, g.n)
		for k := 0; k < g.n; k++ {
			it := &b.items[g.first+k]
			results[k] = b.Result(g.first + k)
			owed = owed || it.publishes()
		}
		if !owed {
			continue
		}
		topic, ok, err := d.topicOf(ctx, g.split.Originator, screening.Rejected)
		if err != nil {
			return err
		}
		if !ok {
			d.log.Warn("acknowledgements not sent: the notice topic does not exist", zap.String("topic", topic))
			continue
		}
		for _, a := range g.split.Acks(results) {
			b.Outputs = append(b.Outputs, Output{Topic: topic, Key: []byte(a.Key), Value: a.Value, Headers: []Header{
				{HeaderContentType, []byte(a.ContentType)}, {HeaderSchema, []byte(a.Schema)}}})
		}
	}
	return nil
}

// mismatch is an ORIGINATOR_MISMATCH dead letter's detail.
func mismatch(topic, owner, named string) string {
	return "read from " + topic + ", originator " + owner + "'s own topic, but " + named + "; only " + owner + "'s claims are taken there"
}

// decode turns a message into a claim, or dead-letters it.
func (d *Decider) decode(it *item) bool {
	var c *claim.Claim
	var fs []rule.Finding
	var err error
	if it.msg.Text != nil { // an intake's claim
		c, fs, err = d.dec.DecodeText(it.msg.Text, it.msg.Value, it.msg.Time)
	} else {
		c, fs, err = d.dec.Decode(it.msg.Value, it.msg.Time)
	}
	if err != nil {
		reason, detail := ReasonMalformed, err.Error()
		var de *claim.DecodeError
		if errors.As(err, &de) {
			reason, detail = de.Reason, de.Detail
		}
		d.deadLetter(it, reason, detail)
		return false
	}
	it.state, it.claim, it.fs = stateClaim, c, fs
	return true
}

// identify dead-letters a claim read from an originator's own topic that
// names another originator, and a claim of an originator the table does
// not allow.
func (d *Decider) identify(it *item) bool {
	if owner, own := d.topics.OwnerOf(it.msg.Topic); own && owner != it.claim.OriginatorID {
		d.deadLetter(it, ReasonOriginatorMismatch, mismatch(it.msg.Topic, owner, "its originator_id "+it.claim.OriginatorID))
		return false
	}
	if d.originators == nil {
		return true
	}
	if _, ok := d.originators.Lookup(it.claim.OriginatorID); !ok {
		d.deadLetter(it, ReasonUnknownOriginator, "originator "+it.claim.OriginatorID+" is not registered or not active")
		return false
	}
	return true
}

// lookup reads the prior decisions of the batch's claims and places each
// claim, in input order, against them and the messages before it: new,
// recorded (its own redelivery), answered, or a copy. It returns the
// decision time of the batch's new submissions.
func (d *Decider) lookup(ctx context.Context, items []item) (time.Time, error) {
	var keys []string
	seen := map[string]bool{}
	for i := range items {
		if items[i].state == stateClaim {
			if k := items[i].claim.Key(); !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	prior := map[string][]Submission{}
	if len(keys) > 0 {
		if err := d.retry.Do(ctx, "ledger", func() (err error) {
			prior, err = d.ledger.Prior(ctx, keys)
			return err
		}); err != nil {
			return time.Time{}, err
		}
		if prior == nil {
			prior = map[string][]Submission{}
		}
	}
	// Microseconds, as the ledger keeps them: an output published again
	// from the ledger is then byte for byte the first one.
	now := d.now().Truncate(time.Microsecond)

	type content struct{ key, hash string }
	leader := map[content]int{} // the item deciding a content new in this batch
	for i := range items {
		it := &items[i]
		if it.state != stateClaim {
			continue
		}
		k := it.claim.Key()
		var same *Submission
		different := false
		for j := range prior[k] {
			if s := &prior[k][j]; s.Hash == it.hash {
				same = s
			} else {
				different = true
			}
		}
		if l, copied := leader[content{k, it.hash}]; copied {
			// A later message of the batch with the same content gets that
			// decision, and publishes nothing: the first one does.
			it.state, it.leader = stateCopy, l
			continue
		}
		if same != nil {
			cp := *same
			it.sub = &cp
			// Publish a recorded decision only for its own message
			// redelivered; any other copy's outputs come from that one.
			it.state = stateAnswered
			if !same.Published && same.Source == it.msg.position() {
				it.state = stateRecorded
			}
			same.Published = true // a later copy in this batch publishes nothing
			continue
		}
		it.state, it.priorDifferent, it.replaces = stateNew, different, replaces(it.claim.Frequency, prior[k])
		leader[content{k, it.hash}] = i
		prior[k] = append(prior[k], Submission{Hash: it.hash, DecidedAt: now, Published: true})
	}
	return now, nil
}

// screen decides a new submission.
func (d *Decider) screen(it *item, sc *screening.Screener, now time.Time) {
	if it.state != stateNew {
		return
	}
	c := it.claim
	dec := sc.Screen(screening.Input{Claim: c, Findings: it.fs, PriorDifferent: it.priorDifferent})
	it.sub = &Submission{OriginatorID: c.OriginatorID, ClaimID: c.ClaimID, Hash: it.hash, Frequency: c.Frequency,
		Claim: it.body, Decision: dec, DecisionJSON: dec.JSON(), DecidedAt: now, Replaces: it.replaces, Source: it.msg.position()}
}

// route chooses each decision's topic: review, held, or the originator's
// notice topic, which must exist; a claim whose notice topic does not is
// dead-lettered, to be requeued once it is created.
func (d *Decider) route(ctx context.Context, items []item) error {
	for i := range items {
		it := &items[i]
		switch it.state {
		case stateDeadLetter:
			continue
		case stateCopy:
			l := &items[it.leader]
			if l.state == stateDeadLetter { // its first copy could not be routed: nor can it
				d.deadLetter(it, ReasonNoticeTopicMissing, "notice topic "+l.topic+" does not exist; create it and replay this message")
				continue
			}
			cp := *l.sub
			cp.Published = true
			it.sub = &cp
		}
		topic, ok, err := d.topicOf(ctx, it.claim.OriginatorID, it.sub.Decision.Outcome)
		if err != nil {
			return err
		}
		it.topic = topic
		if !ok {
			d.deadLetter(it, ReasonNoticeTopicMissing, "notice topic "+topic+" does not exist; create it and replay this message")
			continue
		}
		if it.state == stateNew {
			d.obs.Decided(it.sub.Decision.Outcome, &it.sub.Decision)
		}
	}
	return nil
}

// topicOf returns the topic of a decision's output and whether it exists
// (review and held are checked when the service starts).
func (d *Decider) topicOf(ctx context.Context, originator string, o screening.Outcome) (string, bool, error) {
	switch o {
	case screening.Accepted:
		return d.topics.Review, true, nil
	case screening.Held:
		return d.topics.Held, true, nil
	}
	topic := NoticeTopicOf(d.topics, d.originators, originator)
	var ex map[string]bool
	if err := d.retry.Do(ctx, "metadata", func() (err error) {
		ex, err = d.exists.Exists(ctx, []string{topic})
		return err
	}); err != nil {
		return "", false, err
	}
	return topic, ex[topic], nil
}

// encode builds the review, held or notice message of every decision this
// batch publishes, on every core.
func (d *Decider) encode(items []item) error {
	var failed atomic.Pointer[error]
	forEach(len(items), func(i int) {
		it := &items[i]
		if !it.publishes() {
			return
		}
		out, err := decisionOutput(it.topic, it.claim, it.body, it.hash, it.sub.Decision, it.sub.DecisionJSON, it.sub.DecidedAt)
		if err != nil {
			failed.Store(&err)
			return
		}
		// Where an intake's claim came from (X12: ISA13/GS06/ST02/CLM
		// position) goes with its decision.
		if src := HeaderValue(it.msg.Headers, HeaderSource); src != "" {
			out.Headers = append(out.Headers, Header{HeaderSource, []byte(src)})
		}
		it.output = &out
	})
	if e := failed.Load(); e != nil {
		return fmt.Errorf("encode output: %w", *e)
	}
	return nil
}

// record stores the batch's new decisions in the ledger. One that another
// instance recorded meanwhile is that instance's to publish.
func (d *Decider) record(ctx context.Context, items []item) error {
	n := 0
	for i := range items {
		if items[i].state == stateNew {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	// Sized first: a batch of interchanges holds thousands of claims, and
	// a Submission is a few hundred bytes that growing would copy again.
	subs := make([]Submission, 0, n)
	of := make([]int, 0, n) // the item of each submission
	for i := range items {
		if items[i].state == stateNew {
			subs = append(subs, *items[i].sub)
			of = append(of, i)
		}
	}
	var inserted []bool
	if err := d.retry.Do(ctx, "ledger", func() (err error) {
		inserted, err = d.ledger.Record(ctx, subs)
		return err
	}); err != nil {
		return err
	}
	for j, ok := range inserted {
		if !ok {
			it := &items[of[j]]
			it.state, it.output = stateTaken, nil
		}
	}
	return nil
}

// collect gathers the batch's outputs and the submissions they publish,
// with room for acks more outputs after them.
func (b *Batch) collect(acks int) {
	outputs, published := 0, 0
	for i := range b.items {
		if b.items[i].output != nil {
			outputs++
			if b.items[i].publishes() {
				published++
			}
		}
	}
	b.Outputs, b.Published = make([]Output, 0, outputs+acks), make([]Submission, 0, published)
	for i := range b.items {
		it := &b.items[i]
		if it.output == nil {
			continue
		}
		b.Outputs = append(b.Outputs, *it.output)
		if it.publishes() {
			b.Published = append(b.Published, *it.sub)
		}
	}
}

// Publish writes a batch's outputs and marks its decisions published, each
// step retried until it succeeds or ctx ends. (The loop overlaps marking
// with its commit instead.)
func (d *Decider) Publish(ctx context.Context, sink Sink, b *Batch) error {
	if err := d.retry.Write(ctx, sink, b.Outputs); err != nil {
		return err
	}
	return d.markPublished(ctx, b.Published)
}

func (d *Decider) markPublished(ctx context.Context, subs []Submission) error {
	if len(subs) == 0 {
		return nil
	}
	return d.retry.Do(ctx, "ledger", func() error { return d.ledger.MarkPublished(ctx, subs, d.now()) })
}

// deadLetter makes an item's output its message, unchanged, on the
// dead-letter topic.
func (d *Decider) deadLetter(it *item, reason, detail string) {
	out := deadLetter(d.topics, it.msg, reason, detail)
	it.state, it.output, it.reason, it.detail = stateDeadLetter, &out, reason, detail
	d.obs.DeadLettered(reason)
	d.log.Info("dead-lettered", zap.String("reason", reason), zap.String("topic", it.msg.Topic),
		zap.Int("partition", it.msg.Partition), zap.Int64("offset", it.msg.Offset))
}

func (m Message) position() Position {
	return Position{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset}
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

// parallelMin is the fewest items worth spreading over the cores.
const parallelMin = 64

// forEach calls fn for 0..n-1, spread over GOMAXPROCS goroutines when n is
// large enough to pay for them. fn must touch only its own item.
func forEach(n int, fn func(i int)) { forEachOf(n, parallelMin, fn) }

// forEachOf is forEach for items of which grain are worth a core.
func forEachOf(n, grain int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/grain)
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
