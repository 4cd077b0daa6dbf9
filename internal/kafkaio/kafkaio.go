// Package kafkaio adapts segmentio/kafka-go to the pipeline: a consumer
// group Source (FetchMessage + CommitMessages, never ReadMessage), one Writer
// Sink with a topic per message and RequiredAcks=RequireAll, and topic
// administration through kafka.Client so protocol versions are negotiated.
package kafkaio

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/scram"
	"go.uber.org/zap"

	"github.com/claimscreen/claimscreen/pipeline"
)

// Security is how to reach the brokers: TLS and SASL/SCRAM are configuration.
type Security struct {
	TLS           bool
	TLSCAFile     string // PEM CA bundle; empty means the system roots
	TLSCertFile   string // client certificate (mutual TLS), optional
	TLSKeyFile    string
	SASLMechanism string // "", "SCRAM-SHA-256" or "SCRAM-SHA-512"
	SASLUser      string
	SASLPassword  string
}

func (s Security) tlsConfig() (*tls.Config, error) {
	if !s.TLS {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLSCAFile != "" {
		pem, err := os.ReadFile(s.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka TLS CA %s holds no PEM certificate", s.TLSCAFile)
		}
		cfg.RootCAs = pool
	}
	if s.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(s.TLSCertFile, s.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("kafka TLS client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

func (s Security) mechanism() (sasl.Mechanism, error) {
	var algo scram.Algorithm
	switch strings.ToUpper(s.SASLMechanism) {
	case "":
		return nil, nil
	case "SCRAM-SHA-256":
		algo = scram.SHA256
	case "SCRAM-SHA-512":
		algo = scram.SHA512
	default:
		return nil, fmt.Errorf("kafka SASL mechanism %q: want SCRAM-SHA-256 or SCRAM-SHA-512", s.SASLMechanism)
	}
	return scram.Mechanism(algo, s.SASLUser, s.SASLPassword)
}

// Conn holds what every adapter shares: the brokers and how to reach them.
type Conn struct {
	Brokers   []string
	dialer    *kafka.Dialer
	transport *kafka.Transport
	client    *kafka.Client
}

// NewConn checks the security settings and prepares clients.
func NewConn(brokers []string, sec Security) (*Conn, error) {
	if len(brokers) == 0 {
		return nil, errors.New("no Kafka brokers given")
	}
	tlsCfg, err := sec.tlsConfig()
	if err != nil {
		return nil, err
	}
	mech, err := sec.mechanism()
	if err != nil {
		return nil, err
	}
	d := &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: tlsCfg, SASLMechanism: mech}
	tr := &kafka.Transport{TLS: tlsCfg, SASL: mech, DialTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second,
		Dial: (&net.Dialer{Timeout: 10 * time.Second}).DialContext}
	c := &Conn{Brokers: brokers, dialer: d, transport: tr}
	// The admin client has a transport of its own whose metadata cache
	// lives one second (kafka-go answers metadata requests from it; the
	// writer's keeps the 6 s default): a topic made by someone else is seen
	// within a second, not six.
	admin := &kafka.Transport{TLS: tlsCfg, SASL: mech, DialTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second,
		Dial: (&net.Dialer{Timeout: 10 * time.Second}).DialContext, MetadataTTL: time.Second}
	c.client = &kafka.Client{Addr: kafka.TCP(brokers...), Transport: admin, Timeout: 15 * time.Second}
	return c, nil
}

// Ping asks a broker for its API versions: it fails fast on a wrong
// address, certificate or password.
func (c *Conn) Ping(ctx context.Context) error {
	// ApiVersions goes to a broker every time (metadata may be answered
	// from the client's cache), so a broker that went away is seen at once.
	if _, err := c.client.ApiVersions(ctx, &kafka.ApiVersionsRequest{}); err != nil {
		return fmt.Errorf("kafka brokers %s: %w", strings.Join(c.Brokers, ","), err)
	}
	return nil
}

// Exists reports which topics exist.
func (c *Conn) Exists(ctx context.Context, topics []string) (map[string]bool, error) {
	res, err := c.client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("kafka metadata: %w", err)
	}
	out := make(map[string]bool, len(topics))
	for _, t := range topics {
		out[t] = false
	}
	for _, t := range res.Topics {
		if t.Error == nil {
			out[t.Name] = true
		} else if !errors.Is(t.Error, kafka.UnknownTopicOrPartition) {
			return nil, fmt.Errorf("kafka metadata for %s: %w", t.Name, t.Error)
		}
	}
	return out, nil
}

// CreateTopics creates topics that do not exist yet; existing ones are left
// alone. It returns the names it created.
func (c *Conn) CreateTopics(ctx context.Context, topics []string, partitions, replication int) ([]string, error) {
	ex, err := c.Exists(ctx, topics)
	if err != nil {
		return nil, err
	}
	var req kafka.CreateTopicsRequest
	for _, t := range topics {
		if !ex[t] {
			req.Topics = append(req.Topics, kafka.TopicConfig{Topic: t, NumPartitions: partitions, ReplicationFactor: replication})
		}
	}
	if len(req.Topics) == 0 {
		return nil, nil
	}
	res, err := c.client.CreateTopics(ctx, &req)
	if err != nil {
		return nil, fmt.Errorf("create topics: %w", err)
	}
	var created []string
	var errs []error
	for _, tc := range req.Topics {
		if e := res.Errors[tc.Topic]; e != nil && !errors.Is(e, kafka.TopicAlreadyExists) {
			errs = append(errs, fmt.Errorf("create topic %s: %w", tc.Topic, e))
		} else if e == nil {
			created = append(created, tc.Topic)
		}
	}
	return created, errors.Join(errs...)
}

// DeleteTopics deletes topics; those that do not exist are left alone. It
// is for tools and tests that make topics of their own (bench, the test
// suites), never the service.
func (c *Conn) DeleteTopics(ctx context.Context, topics []string) error {
	if len(topics) == 0 {
		return nil
	}
	res, err := c.client.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: topics})
	if err != nil {
		return fmt.Errorf("delete topics: %w", err)
	}
	var errs []error
	for t, e := range res.Errors {
		if e != nil && !errors.Is(e, kafka.UnknownTopicOrPartition) {
			errs = append(errs, fmt.Errorf("delete topic %s: %w", t, e))
		}
	}
	return errors.Join(errs...)
}

// Backlog is how many messages of topic the consumer group has yet to
// commit: from its committed offset on each partition, or from the start of
// the partition where it has committed nothing.
func (c *Conn) Backlog(ctx context.Context, topic, group string) (int64, error) {
	md, err := c.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return 0, fmt.Errorf("kafka metadata: %w", err)
	}
	var parts []int
	for _, t := range md.Topics {
		if t.Name != topic {
			continue
		}
		if t.Error != nil {
			return 0, fmt.Errorf("topic %s: %w", topic, t.Error)
		}
		for _, p := range t.Partitions {
			parts = append(parts, p.ID)
		}
	}
	if len(parts) == 0 {
		return 0, fmt.Errorf("topic %s: %w", topic, kafka.UnknownTopicOrPartition)
	}
	var reqs []kafka.OffsetRequest
	for _, p := range parts {
		reqs = append(reqs, kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	lo, err := c.client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return 0, fmt.Errorf("list offsets of %s: %w", topic, err)
	}
	of, err := c.client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
	if err != nil {
		return 0, fmt.Errorf("committed offsets of group %s: %w", group, err)
	}
	committed := map[int]int64{}
	for _, p := range of.Topics[topic] {
		committed[p.Partition] = p.CommittedOffset
	}
	var total int64
	for _, po := range lo.Topics[topic] {
		if po.Error != nil {
			return 0, fmt.Errorf("offsets of %s/%d: %w", topic, po.Partition, po.Error)
		}
		from := po.FirstOffset
		if c, ok := committed[po.Partition]; ok && c > from {
			from = c
		}
		if po.LastOffset > from {
			total += po.LastOffset - from
		}
	}
	return total, nil
}

// SourceConfig configures a consumer group source.
type SourceConfig struct {
	Topic    string
	Topics   []string // several topics in one group, instead of Topic
	GroupID  string
	MaxBytes int // largest fetch, default 10 MiB
	// MaxBatchBytes: a Fetch stops taking messages once their values add
	// up to this many bytes (it always takes one); 0: no bound.
	MaxBatchBytes int
	// Weight is the claims a message holds (pipeline.Weigher): a Fetch of
	// max takes messages until their weights add up to max. nil: one a
	// message.
	Weight func(topic string, value []byte) int
	// SessionTimeout and RebalanceTimeout: kafka-go defaults when zero.
	SessionTimeout   time.Duration
	RebalanceTimeout time.Duration
}

// readerMaxWait is the longest a fetch waits at the broker for data (see
// NewSource).
const readerMaxWait = 2 * time.Second

// Source reads a topic in a consumer group. Its topics can change while it
// runs (SetTopics): direct trust reads the originators' own topics.
type Source struct {
	log           *zap.Logger
	maxBatchBytes int
	weight        func(topic string, value []byte) int
	rc            kafka.ReaderConfig
	r             atomic.Pointer[kafka.Reader]

	mu      sync.Mutex
	topics  []string      // the topics the reader in use reads
	want    []string      // the topics to read from the next Fetch
	changed chan struct{} // closed when want changes
	// inflight counts the fetched batches not yet committed: the reader
	// is replaced only when there are none, so that every commit goes to
	// the reader its messages came from.
	inflight int
	settled  chan struct{} // closed when inflight drops to 0
}

// NewSource opens a consumer group reader. Offsets are committed only by
// Commit (CommitInterval 0: synchronous commits). With no topics (direct
// trust before any originator's topic exists) it reads nothing until
// SetTopics gives some.
func (c *Conn) NewSource(cfg SourceConfig, log *zap.Logger) *Source {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 10 << 20
	}
	if log == nil {
		log = zap.NewNop()
	}
	rc := kafka.ReaderConfig{
		Brokers:  c.Brokers,
		GroupID:  cfg.GroupID,
		Dialer:   c.dialer,
		MinBytes: 1,
		MaxBytes: cfg.MaxBytes,
		// kafka-go sets the connection's read deadline to MaxWait and asks
		// the broker to hold an idle fetch for MaxWait less its RTT
		// allowance (1s, or a quarter of MaxWait when MaxWait is shorter).
		// At 100ms the broker's answer to an idle fetch came 25ms before
		// the deadline, and on a loaded machine after it: an "unknown
		// error … i/o timeout" warning every few seconds per idle
		// partition. At 2s the broker answers after 1s with 1s to spare.
		// Data is returned as soon as it arrives (MinBytes 1), so this adds
		// no latency; it bounds how long a stopping reader waits.
		MaxWait:          readerMaxWait,
		StartOffset:      kafka.FirstOffset,
		CommitInterval:   0,
		ReadBackoffMin:   50 * time.Millisecond,
		ReadBackoffMax:   time.Second,
		SessionTimeout:   cfg.SessionTimeout,
		RebalanceTimeout: cfg.RebalanceTimeout,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			log.Warn("kafka reader", zap.String("detail", fmt.Sprintf(msg, args...)))
		}),
	}
	topics := cfg.Topics
	if cfg.Topic != "" {
		topics = []string{cfg.Topic}
	}
	s := &Source{log: log, maxBatchBytes: cfg.MaxBatchBytes, weight: cfg.Weight, rc: rc, changed: make(chan struct{})}
	s.open(topics)
	return s
}

// open replaces the reader by one of topics (none for no topics).
func (s *Source) open(topics []string) {
	s.topics = append([]string(nil), topics...)
	sort.Strings(s.topics)
	s.want = s.topics
	if len(topics) == 0 {
		s.r.Store(nil)
		return
	}
	rc := s.rc
	rc.GroupTopics = s.topics
	s.r.Store(kafka.NewReader(rc))
}

// SetTopics makes the source read topics from its next Fetch on, once the
// batches fetched before are committed (the group then rebalances). The
// same topics again change nothing.
func (s *Source) SetTopics(topics []string) {
	topics = append([]string(nil), topics...)
	sort.Strings(topics)
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.Join(topics, ",") == strings.Join(s.want, ",") {
		return
	}
	s.want = topics
	close(s.changed)
	s.changed = make(chan struct{})
}

// Topics are the topics the source reads now.
func (s *Source) Topics() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.topics...)
}

// reader applies a pending SetTopics (after the batches in flight are
// committed) and returns the reader to fetch from; it waits while there
// are no topics.
func (s *Source) reader(ctx context.Context) (*kafka.Reader, error) {
	for {
		s.mu.Lock()
		if strings.Join(s.want, ",") != strings.Join(s.topics, ",") {
			if s.inflight > 0 {
				settled := s.settled
				s.mu.Unlock()
				select {
				case <-settled:
					continue
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			if old := s.r.Load(); old != nil {
				if err := old.Close(); err != nil {
					s.log.Warn("close the reader of the old topics", zap.Error(err))
				}
			}
			s.log.Info("reading topics", zap.Strings("topics", s.want))
			s.open(s.want)
		}
		r, changed := s.r.Load(), s.changed
		s.mu.Unlock()
		if r != nil {
			return r, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Fetch implements pipeline.Source: it blocks for the first message, then
// gathers messages for at most wait, until they hold max claims (by
// Weight: an X12 interchange counts its claims) or MaxBatchBytes.
func (s *Source) Fetch(ctx context.Context, max int, wait time.Duration) ([]pipeline.Message, error) {
	var r *kafka.Reader
	var m kafka.Message
	for {
		var err error
		if r, err = s.reader(ctx); err != nil {
			return nil, err
		}
		// A SetTopics while the reader waits for a first message ends the
		// wait: the new topics are read at once, not after the next
		// message of the old ones.
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		fctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-changed:
				cancel()
			case <-fctx.Done():
			}
		}()
		m, err = r.FetchMessage(fctx)
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil || !isClosed(changed) {
			return nil, err
		}
	}
	out := []pipeline.Message{fromKafka(m)}
	size, claims := len(m.Value), s.weigh(m)
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for claims < max && (s.maxBatchBytes <= 0 || size < s.maxBatchBytes) {
		m, err := r.FetchMessage(wctx)
		if err != nil {
			break // the wait is over, or shutdown: hand over what we have
		}
		out = append(out, fromKafka(m))
		size += len(m.Value)
		claims += s.weigh(m)
	}
	s.mu.Lock()
	if s.inflight == 0 {
		s.settled = make(chan struct{})
	}
	s.inflight++
	s.mu.Unlock()
	return out, nil
}

// weigh is the claims m holds by the Weight function, one without.
func (s *Source) weigh(m kafka.Message) int {
	if s.weight == nil {
		return 1
	}
	return s.weight(m.Topic, m.Value)
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func fromKafka(m kafka.Message) pipeline.Message {
	h := make([]pipeline.Header, len(m.Headers))
	for i, x := range m.Headers {
		h[i] = pipeline.Header{Key: x.Key, Value: x.Value}
	}
	return pipeline.Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value, Headers: h, Time: m.Time}
}

// Commit implements pipeline.Source. Each fetched batch is committed once
// (the pipeline commits every batch it fetched, in order).
func (s *Source) Commit(ctx context.Context, msgs []pipeline.Message) error {
	defer func() {
		s.mu.Lock()
		if s.inflight > 0 {
			if s.inflight--; s.inflight == 0 {
				close(s.settled)
			}
		}
		s.mu.Unlock()
	}()
	// CommitMessages commits the highest offset per partition.
	km := make([]kafka.Message, len(msgs))
	for i, m := range msgs {
		km[i] = kafka.Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset}
	}
	r := s.r.Load()
	if r == nil {
		return errors.New("commit: the source reads no topics")
	}
	return r.CommitMessages(ctx, km...)
}

// Lag is the consumer lag kafka-go last saw.
func (s *Source) Lag() int64 {
	if r := s.r.Load(); r != nil {
		return r.Stats().Lag
	}
	return 0
}

// Close implements pipeline.Source.
func (s *Source) Close() error {
	if r := s.r.Load(); r != nil {
		return r.Close()
	}
	return nil
}

// SinkConfig configures the writer.
type SinkConfig struct {
	BatchTimeout time.Duration // default 1ms: a sink writes whole batches, waiting adds latency (kafka-go's 1s default would add a second to every batch)
	BatchSize    int           // default 1000
	// MaxMessageBytes is the largest message written (an X12 interchange
	// dead-lettered whole, a large 277CA). Batches stay under 1,000,000
	// bytes, the brokers' default message.max.bytes (1 MiB); a message
	// bigger than that goes alone, by a writer of its own, and the brokers'
	// message.max.bytes must allow it. Default and least: 1,000,000.
	MaxMessageBytes int
	// Compression of the produce batches: "", "none", "gzip", "snappy",
	// "lz4" or "zstd" (ParseCompression).
	Compression string
}

// Compressions are the produce compressions a sink offers.
var Compressions = []string{"none", "gzip", "snappy", "lz4", "zstd"}

// ParseCompression checks a compression's name; "" is none.
func ParseCompression(name string) (kafka.Compression, error) {
	switch strings.ToLower(name) {
	case "", "none":
		return 0, nil
	case "gzip":
		return kafka.Gzip, nil
	case "snappy":
		return kafka.Snappy, nil
	case "lz4":
		return kafka.Lz4, nil
	case "zstd":
		return kafka.Zstd, nil
	}
	return 0, fmt.Errorf("kafka compression %q: want one of %s", name, strings.Join(Compressions, ", "))
}

// batchBytes bounds the produce batches of the sink's main writer.
const batchBytes = 1000000

// Sink writes outputs with one Writer; each message names its topic.
type Sink struct {
	conn   *Conn
	w      *kafka.Writer
	big    *kafka.Writer        // messages over batchBytes, one a batch; nil when none may be
	exists *pipeline.TopicCache // topics seen to exist
}

// NewSink returns a sink that waits for every in-sync replica's ack.
func (c *Conn) NewSink(cfg SinkConfig) *Sink {
	if cfg.BatchTimeout <= 0 {
		cfg.BatchTimeout = time.Millisecond
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1000
	}
	// Checked by the configuration (config.Kafka.Validate) before a sink
	// is made; an unknown name writes uncompressed.
	compression, _ := ParseCompression(cfg.Compression)
	writer := func(size, bytes int) *kafka.Writer {
		return &kafka.Writer{
			Compression:            compression,
			Addr:                   kafka.TCP(c.Brokers...),
			Balancer:               &kafka.Hash{},
			RequiredAcks:           kafka.RequireAll,
			BatchTimeout:           cfg.BatchTimeout,
			BatchSize:              size,
			BatchBytes:             int64(bytes),
			MaxAttempts:            3,
			WriteBackoffMin:        50 * time.Millisecond,
			WriteBackoffMax:        500 * time.Millisecond,
			AllowAutoTopicCreation: false,
			Transport:              c.transport,
		}
	}
	sink := &Sink{conn: c, w: writer(cfg.BatchSize, batchBytes), exists: pipeline.NewTopicCache(c.Exists, 0, nil)}
	if cfg.MaxMessageBytes > batchBytes {
		sink.big = writer(1, cfg.MaxMessageBytes+64<<10)
	}
	return sink
}

// bigMessage is a message the main writer's batches cannot hold (kafka-go
// counts a message's key, value, headers and record overhead).
func bigMessage(m kafka.Message) bool {
	n := len(m.Key) + len(m.Value) + 64
	for _, h := range m.Headers {
		n += len(h.Key) + len(h.Value) + 8
	}
	return n > batchBytes-4096
}

// Write implements pipeline.Sink. Outputs to a topic that does not exist
// fail with pipeline.ErrTopicMissing without holding up the others.
func (s *Sink) Write(ctx context.Context, outs []pipeline.Output) error {
	if len(outs) == 0 {
		return nil
	}
	missing, err := s.missingTopics(ctx, outs)
	if err != nil {
		return &pipeline.WriteError{Failed: allIndexes(len(outs)), Err: err}
	}
	var failed []int
	var first error
	idx := make([]int, 0, len(outs))
	msgs := make([]kafka.Message, 0, len(outs))
	for i, o := range outs {
		if missing[o.Topic] {
			failed = append(failed, i)
			if first == nil {
				first = fmt.Errorf("%w: %s", pipeline.ErrTopicMissing, o.Topic)
			}
			continue
		}
		h := make([]kafka.Header, len(o.Headers))
		for j, x := range o.Headers {
			h[j] = kafka.Header{Key: x.Key, Value: x.Value}
		}
		idx = append(idx, i)
		msgs = append(msgs, kafka.Message{Topic: o.Topic, Key: o.Key, Value: o.Value, Headers: h})
	}
	// The batches first, then each big message alone.
	var bigIdx []int
	var bigMsgs []kafka.Message
	if s.big != nil {
		k := 0
		for j, m := range msgs {
			if bigMessage(m) {
				bigIdx, bigMsgs = append(bigIdx, idx[j]), append(bigMsgs, m)
				continue
			}
			idx[k], msgs[k] = idx[j], m
			k++
		}
		idx, msgs = idx[:k], msgs[:k]
	}
	for _, part := range []struct {
		w    *kafka.Writer
		idx  []int
		msgs []kafka.Message
	}{{s.w, idx, msgs}, {s.big, bigIdx, bigMsgs}} {
		if len(part.msgs) == 0 {
			continue
		}
		err := part.w.WriteMessages(ctx, part.msgs...)
		var we kafka.WriteErrors
		switch {
		case err == nil:
		case errors.As(err, &we):
			for i, e := range we {
				if e != nil {
					failed = append(failed, part.idx[i])
					if first == nil {
						first = classify(e)
					}
				}
			}
		default:
			failed = append(failed, part.idx...)
			if first == nil {
				first = classify(err)
			}
		}
	}
	if len(failed) == 0 {
		return nil
	}
	sort.Ints(failed)
	return &pipeline.WriteError{Failed: failed, Err: first}
}

func allIndexes(n int) []int {
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	return all
}

// missingTopics asks the brokers about topics not yet seen to exist.
func (s *Sink) missingTopics(ctx context.Context, outs []pipeline.Output) (map[string]bool, error) {
	var topics []string
	seen := map[string]bool{}
	for _, o := range outs {
		if !seen[o.Topic] {
			seen[o.Topic] = true
			topics = append(topics, o.Topic)
		}
	}
	ex, err := s.exists.Exists(ctx, topics)
	if err != nil {
		return nil, err
	}
	missing := map[string]bool{}
	for _, t := range topics {
		if !ex[t] {
			missing[t] = true
		}
	}
	return missing, nil
}

func classify(err error) error {
	if errors.Is(err, kafka.UnknownTopicOrPartition) {
		return fmt.Errorf("%w: %w", pipeline.ErrTopicMissing, err)
	}
	return err
}

// Exists implements pipeline.Sink: it asks the brokers (the router keeps
// its own TopicCache in front of it).
func (s *Sink) Exists(ctx context.Context, topics []string) (map[string]bool, error) {
	return s.conn.Exists(ctx, topics)
}

// Close flushes and closes the writers.
func (s *Sink) Close() error {
	err := s.w.Close()
	if s.big != nil {
		err = errors.Join(err, s.big.Close())
	}
	return err
}

var (
	_ pipeline.Source = (*Source)(nil)
	_ pipeline.Sink   = (*Sink)(nil)
)

// Drain reads topic from the beginning, in a consumer group of its own,
// until it has at least n messages or ctx is done; it returns what it read.
// It is for tools and tests (the demo, end-to-end checks), not the service.
func (c *Conn) Drain(ctx context.Context, topic string, n int) ([]pipeline.Message, error) {
	return c.DrainIdle(ctx, topic, n, 0)
}

// DrainIdle is Drain that, once it has n messages, goes on reading until
// no message has come for idle (0: it stops at n).
func (c *Conn) DrainIdle(ctx context.Context, topic string, n int, idle time.Duration) ([]pipeline.Message, error) {
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: c.Brokers, Topic: topic, Dialer: c.dialer,
		GroupID: fmt.Sprintf("claimscreen-drain-%d", time.Now().UnixNano()), StartOffset: kafka.FirstOffset, MaxWait: 100 * time.Millisecond, MaxBytes: 32 << 20})
	defer r.Close()
	var out []pipeline.Message
	for {
		fctx, cancel := ctx, context.CancelFunc(func() {})
		if len(out) >= n {
			if idle <= 0 {
				return out, nil
			}
			fctx, cancel = context.WithTimeout(ctx, idle)
		}
		m, err := r.FetchMessage(fctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil && len(out) >= n {
				return out, nil // idle: nothing more came
			}
			return out, err
		}
		out = append(out, fromKafka(m))
	}
}
