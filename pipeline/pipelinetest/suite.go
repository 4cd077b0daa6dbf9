// Package pipelinetest is the conformance suite for pipeline.Source,
// pipeline.Sink and pipeline.Ledger implementations: the in-memory ones run
// it, and so do the Kafka and PostgreSQL adapters against real services.
package pipelinetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/pipeline"
)

// SinkEnv is what the sink suite needs: a sink whose topics exist, and a
// way to read a topic back.
type SinkEnv struct {
	Sink pipeline.Sink
	// Topics are two existing, empty topics.
	Topics [2]string
	// Missing is a topic that does not exist.
	Missing string
	// Read returns the n first messages of topic, waiting for them.
	Read func(t *testing.T, topic string, n int) []pipeline.Output
}

// TestSink checks a sink's contract.
func TestSink(t *testing.T, env SinkEnv) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var outs []pipeline.Output
	for i := 0; i < 20; i++ {
		outs = append(outs, pipeline.Output{Topic: env.Topics[i%2], Key: []byte(fmt.Sprintf("ORG/%d", i%3)),
			Value: []byte(fmt.Sprintf(`{"n":%d}`, i)), Headers: []pipeline.Header{{Key: "schema", Value: []byte("test.v1")}}})
	}
	if err := env.Sink.Write(ctx, outs); err != nil {
		t.Fatalf("write: %v", err)
	}
	for ti, topic := range env.Topics {
		got := env.Read(t, topic, 10)
		// Per key, order is kept.
		last := map[string]int{}
		for _, o := range got {
			var n int
			fmt.Sscanf(string(o.Value), `{"n":%d}`, &n)
			if n%2 != ti {
				t.Errorf("%s got message %d", topic, n)
			}
			if prev, ok := last[string(o.Key)]; ok && prev > n {
				t.Errorf("%s: key %s out of order: %d after %d", topic, o.Key, n, prev)
			}
			last[string(o.Key)] = n
			if len(o.Headers) == 0 || o.Headers[len(o.Headers)-1].Key != "schema" || string(o.Headers[len(o.Headers)-1].Value) != "test.v1" {
				t.Errorf("headers lost: %+v", o.Headers)
			}
		}
	}
	ex, err := env.Sink.Exists(ctx, []string{env.Topics[0], env.Missing})
	if err != nil || !ex[env.Topics[0]] || ex[env.Missing] {
		t.Errorf("exists: %v %v", ex, err)
	}
	err = env.Sink.Write(ctx, []pipeline.Output{{Topic: env.Topics[0], Key: []byte("k"), Value: []byte("{}")}, {Topic: env.Missing, Key: []byte("k"), Value: []byte("{}")}})
	var we *pipeline.WriteError
	if !errors.As(err, &we) || len(we.Failed) != 1 || we.Failed[0] != 1 || !errors.Is(err, pipeline.ErrTopicMissing) {
		t.Errorf("write to a missing topic: %v", err)
	}
}

// SourceEnv is what the source suite needs.
type SourceEnv struct {
	// Open returns a source reading the suite's topic in one consumer
	// group; opening it again continues from the last commit.
	Open func(t *testing.T) pipeline.Source
	// Produce adds messages with these values to the topic.
	Produce func(t *testing.T, values ...string)
}

// TestSource checks a source's contract: everything produced is fetched,
// and a source opened again after a commit resumes after it.
func TestSource(t *testing.T, env SourceEnv) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var vals []string
	for i := 0; i < 30; i++ {
		vals = append(vals, fmt.Sprintf("m%02d", i))
	}
	env.Produce(t, vals...)
	src := env.Open(t)
	got := map[string]bool{}
	var batch []pipeline.Message
	for len(got) < 20 {
		msgs, err := src.Fetch(ctx, 5, 50*time.Millisecond)
		if err != nil {
			t.Fatalf("fetch after %d: %v", len(got), err)
		}
		if len(msgs) > 5 {
			t.Fatalf("batch of %d, more than 5", len(msgs))
		}
		for _, m := range msgs {
			got[string(m.Value)] = true
		}
		batch = append(batch, msgs...)
	}
	if err := src.Commit(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	src = env.Open(t)
	defer src.Close()
	for len(got) < 30 {
		msgs, err := src.Fetch(ctx, 10, 50*time.Millisecond)
		if err != nil {
			t.Fatalf("fetch after reopen with %d: %v", len(got), err)
		}
		for _, m := range msgs {
			if got[string(m.Value)] {
				t.Fatalf("committed message %s delivered again", m.Value)
			}
			got[string(m.Value)] = true
			if m.Topic == "" || m.Time.IsZero() {
				t.Errorf("message without topic or time: %+v", m)
			}
		}
	}
}

// TestLedger checks a ledger's contract. Content hashes are SHA-256 in
// hex, as the pipeline makes them.
func TestLedger(t *testing.T, l pipeline.Ledger) {
	ctx := context.Background()
	h1, h2, h3 := strings.Repeat("a1", 32), strings.Repeat("b2", 32), strings.Repeat("c3", 32)
	at := time.Date(2025, 11, 20, 10, 0, 0, 0, time.UTC)
	sub := func(claimID, hash string, o screening.Outcome) pipeline.Submission {
		return pipeline.Submission{OriginatorID: "ORG-1", ClaimID: claimID, Hash: hash, Frequency: "1", Claim: []byte(`{"claim_id":"` + claimID + `"}`),
			Decision: screening.Decision{ClaimID: claimID, OriginatorID: "ORG-1", Outcome: o, Findings: nil, Codesets: screening.Versions{{System: "ICD-10-CM", Version: "FY2026"}}},
			Source:   pipeline.Position{Topic: "claims.submitted", Partition: 1, Offset: 7}, DecidedAt: at}
	}
	a, b := sub("C-1", h1, screening.Accepted), sub("C-1", h2, screening.Rejected)
	b.Frequency, b.Replaces = "7", h1
	ins, err := l.Record(ctx, []pipeline.Submission{a, b, sub("C-2", h1, screening.Held)})
	if err != nil || len(ins) != 3 || !ins[0] || !ins[1] || !ins[2] {
		t.Fatalf("record: %v %v", ins, err)
	}
	changed := a
	changed.Decision.Outcome = screening.Rejected
	ins, err = l.Record(ctx, []pipeline.Submission{changed, sub("C-3", h3, screening.Accepted)})
	if err != nil || len(ins) != 2 || ins[0] || !ins[1] {
		t.Fatalf("recording a submission again: %v %v", ins, err)
	}
	got, err := l.Prior(ctx, []string{"ORG-1/C-1", "ORG-1/C-9"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got["ORG-1/C-1"]) != 2 || len(got["ORG-1/C-9"]) != 0 {
		t.Fatalf("prior: %+v", got)
	}
	for _, s := range got["ORG-1/C-1"] {
		if s.Hash == h1 && s.Decision.Outcome != screening.Accepted {
			t.Errorf("a second record replaced the first: %+v", s.Decision)
		}
		if s.Published || !s.DecidedAt.Equal(at) || s.Source.Offset != 7 || s.Source.Topic != "claims.submitted" || s.Decision.Codesets.Get("ICD-10-CM") != "FY2026" ||
			s.Decision.ClaimID != "C-1" || !sameJSON(s.Claim, `{"claim_id":"C-1"}`) {
			t.Errorf("record not kept whole: %+v", s)
		}
		if s.Hash == h2 && (s.Replaces != h1 || s.Frequency != "7") {
			t.Errorf("replacement not linked: %+v", s)
		}
	}
	if err := l.MarkPublished(ctx, []pipeline.Submission{a}, at.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	got, _ = l.Prior(ctx, []string{"ORG-1/C-1"})
	for _, s := range got["ORG-1/C-1"] {
		if (s.Hash == h1) != s.Published {
			t.Errorf("published flag: %s %v", s.Hash, s.Published)
		}
	}
}

func sameJSON(a []byte, b string) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
