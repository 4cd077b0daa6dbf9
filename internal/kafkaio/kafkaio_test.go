package kafkaio

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/claimscreen/claimscreen/internal/testenv"
	"github.com/claimscreen/claimscreen/pipeline"
	"github.com/claimscreen/claimscreen/pipeline/pipelinetest"
)

func conn(t *testing.T) *Conn {
	t.Helper()
	c, err := NewConn(testenv.KafkaBrokers(t), Security{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func uniq(prefix string) string { return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()) }

// readTopic reads the first n messages of topic with Drain.
func readTopic(t *testing.T, c *Conn, topic string, n int) []pipeline.Output {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := c.Drain(ctx, topic, n)
	if err != nil {
		t.Fatalf("read %s: got %d of %d: %v", topic, len(msgs), n, err)
	}
	out := make([]pipeline.Output, len(msgs))
	for i, m := range msgs {
		out[i] = pipeline.Output{Topic: m.Topic, Key: m.Key, Value: m.Value, Headers: m.Headers}
	}
	return out
}

func TestConformance(t *testing.T) { conformance(t, conn(t)) }

// TestConformanceEmbedded runs the same suite on the in-process broker that
// the demo and `serve --embedded` use.
func TestConformanceEmbedded(t *testing.T) { conformance(t, embedded(t)) }

// embedded is a connection to an in-process broker of the test's own.
func embedded(t *testing.T) *Conn {
	t.Helper()
	cl, err := kfake.NewCluster(kfake.Ports(0), kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	c, err := NewConn(cl.ListenAddrs(), Security{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func conformance(t *testing.T, c *Conn) {
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	a, b, in := uniq("t-a"), uniq("t-b"), uniq("t-in")
	created, err := c.CreateTopics(ctx, []string{a, b, in}, 3, 1)
	t.Cleanup(func() { c.DeleteTopics(context.Background(), []string{a, b, in}) })
	if err != nil || len(created) != 3 {
		t.Fatalf("created %v: %v", created, err)
	}
	if again, err := c.CreateTopics(ctx, []string{a}, 3, 1); err != nil || len(again) != 0 {
		t.Fatalf("creating an existing topic: %v %v", again, err)
	}
	sink := c.NewSink(SinkConfig{})
	defer sink.Close()
	t.Run("sink", func(t *testing.T) {
		pipelinetest.TestSink(t, pipelinetest.SinkEnv{Sink: sink, Topics: [2]string{a, b}, Missing: uniq("missing"),
			Read: func(t *testing.T, topic string, n int) []pipeline.Output { return readTopic(t, c, topic, n) }})
	})
	group := uniq("g")
	t.Run("source", func(t *testing.T) {
		pipelinetest.TestSource(t, pipelinetest.SourceEnv{
			Open: func(t *testing.T) pipeline.Source {
				return c.NewSource(SourceConfig{Topic: in, GroupID: group}, nil)
			},
			Produce: func(t *testing.T, values ...string) {
				var outs []pipeline.Output
				for i, v := range values {
					outs = append(outs, pipeline.Output{Topic: in, Key: []byte(fmt.Sprint(i)), Value: []byte(v)})
				}
				if err := sink.Write(context.Background(), outs); err != nil {
					t.Fatal(err)
				}
			},
		})
	})
}

func TestBadSecurityFailsFast(t *testing.T) {
	if _, err := NewConn([]string{"127.0.0.1:1"}, Security{SASLMechanism: "PLAIN"}); err == nil {
		t.Error("an unsupported SASL mechanism was accepted")
	}
	if _, err := NewConn([]string{"127.0.0.1:1"}, Security{TLS: true, TLSCAFile: "/nonexistent"}); err == nil {
		t.Error("a missing CA file was accepted")
	}
	c, _ := NewConn([]string{"127.0.0.1:1"}, Security{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx); err == nil {
		t.Error("ping of a closed port succeeded")
	}
}

// TestIdleSourceIsQuiet: a source on idle partitions logs no reader
// warning. With a MaxWait of 100ms kafka-go's read deadline raced the
// broker's answer to an idle fetch and lost on a loaded machine: "the kafka
// reader got an unknown error … i/o timeout", every few seconds per
// partition. The load here is three busy goroutines per core.
func TestIdleSourceIsQuiet(t *testing.T) {
	c := conn(t)
	topic := uniq("idle")
	ctx := context.Background()
	if _, err := c.CreateTopics(ctx, []string{topic}, 4, 1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.DeleteTopics(context.Background(), []string{topic}) })
	sink := c.NewSink(SinkConfig{})
	defer sink.Close()
	if err := pipeline.Produce.Write(ctx, sink, []pipeline.Output{{Topic: topic, Key: []byte("k"), Value: []byte("v")}}); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.WarnLevel)
	src := c.NewSource(SourceConfig{Topic: topic, GroupID: topic + "-g"}, zap.New(core))
	defer src.Close()
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	if _, err := src.Fetch(fctx, 1, 0); err != nil { // joined, partitions assigned and read
		t.Fatal(err)
	}
	cancel()
	start := logs.Len() // start-up may warn (leaders still being elected)
	stop := make(chan struct{})
	for range 3 * runtime.NumCPU() {
		go func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
	}
	idle, cancelIdle := context.WithTimeout(ctx, 12*time.Second)
	src.Fetch(idle, 1, 0) // nothing comes: the partitions sit idle
	cancelIdle()
	close(stop)
	for _, e := range logs.All()[start:] {
		t.Errorf("idle source warned: %s %v", e.Message, e.ContextMap())
	}
}

// topicOf is a new one-partition topic named from prefix holding values,
// in order.
func topicOf(t *testing.T, c *Conn, prefix string, values [][]byte) string {
	ctx := context.Background()
	topic := uniq(prefix)
	if _, err := c.CreateTopics(ctx, []string{topic}, 1, 1); err != nil {
		t.Fatal(err)
	}
	sink := c.NewSink(SinkConfig{})
	defer sink.Close()
	outs := make([]pipeline.Output, len(values))
	for i, v := range values {
		outs[i] = pipeline.Output{Topic: topic, Key: []byte(fmt.Sprint(i)), Value: v}
	}
	if err := sink.Write(ctx, outs); err != nil {
		t.Fatal(err)
	}
	return topic
}

// A Fetch stops taking messages once their bytes reach MaxBatchBytes, and
// always takes one: ten 100 KB messages with a 250 KB bound come three at
// a time (the third passes the bound), then the last one alone.
func TestFetchBoundedByBytes(t *testing.T) {
	c := embedded(t)
	ctx := context.Background()
	values := make([][]byte, 10)
	for i := range values {
		values[i] = make([]byte, 100_000)
	}
	topic := topicOf(t, c, "t-bytes", values)
	src := c.NewSource(SourceConfig{Topic: topic, GroupID: uniq("g"), MaxBatchBytes: 250_000}, nil)
	defer src.Close()
	var sizes []int
	for got := 0; got < 10; {
		msgs, err := src.Fetch(ctx, 100, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(msgs))
		got += len(msgs)
	}
	if fmt.Sprint(sizes) != "[3 3 3 1]" {
		t.Errorf("batches of %v messages, want [3 3 3 1]", sizes)
	}
}

// A Fetch of max claims stops taking messages once their weights (the
// claims each holds) reach max, and always takes one: messages of 400,
// 400, 300, 900 and 50 claims fetched 1,000 at a time come as [400 400
// 300] (the third passes the bound), [900 50], never by their count.
func TestFetchBoundedByClaims(t *testing.T) {
	c := embedded(t)
	ctx := context.Background()
	var values [][]byte
	for _, n := range []int{400, 400, 300, 900, 50} {
		values = append(values, []byte(fmt.Sprint(n)))
	}
	topic := topicOf(t, c, "t-claims", values)
	weight := func(topic string, value []byte) int {
		n, _ := strconv.Atoi(string(value))
		return n
	}
	src := c.NewSource(SourceConfig{Topic: topic, GroupID: uniq("g"), Weight: weight}, nil)
	defer src.Close()
	var batches [][]string
	for got := 0; got < 5; {
		msgs, err := src.Fetch(ctx, 1000, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var b []string
		for _, m := range msgs {
			b = append(b, string(m.Value))
		}
		batches = append(batches, b)
		got += len(msgs)
	}
	if fmt.Sprint(batches) != "[[400 400 300] [900 50]]" {
		t.Errorf("batches %v, want [[400 400 300] [900 50]]", batches)
	}
}

// Every compression a sink offers is written to the real brokers and read
// back unchanged; an unknown one is refused by name.
func TestCompressions(t *testing.T) {
	c := conn(t)
	ctx := context.Background()
	// The topics first: a writer takes a topic it has not seen for missing
	// until its metadata is refreshed.
	topics := map[string]string{}
	for _, name := range Compressions {
		topics[name] = uniq("t-comp-" + name)
		if _, err := c.CreateTopics(ctx, []string{topics[name]}, 1, 1); err != nil {
			t.Fatal(err)
		}
		defer c.DeleteTopics(ctx, []string{topics[name]})
	}
	for _, name := range Compressions {
		t.Run(name, func(t *testing.T) {
			topic := topics[name]
			sink := c.NewSink(SinkConfig{Compression: name})
			defer sink.Close()
			var outs []pipeline.Output
			for i := 0; i < 50; i++ {
				outs = append(outs, pipeline.Output{Topic: topic, Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf(`{"claim_id":"C%d","lines":[{"units":%d}]}`, i, i))})
			}
			if err := sink.Write(ctx, outs); err != nil {
				t.Fatal(err)
			}
			got := readTopic(t, c, topic, len(outs))
			for i := range outs {
				if string(got[i].Value) != string(outs[i].Value) {
					t.Fatalf("message %d: %s", i, got[i].Value)
				}
			}
		})
	}
	if _, err := ParseCompression("brotli"); err == nil || !strings.Contains(err.Error(), `"brotli"`) {
		t.Errorf("an unknown compression: %v", err)
	}
}
