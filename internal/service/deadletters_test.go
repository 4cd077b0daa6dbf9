package service

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/internal/testenv"
	"github.com/claimscreen/claimscreen/pipeline"
)

// TestDeadlettersRequeue: rejections for an originator without a notice
// topic are dead-lettered; `claimscreen deadletters` lists them (never
// their content), and once the topic exists --requeue sends them back and
// they are answered; a malformed message stays; a second run finds nothing.
func TestDeadlettersRequeue(t *testing.T) {
	e := newE2E(t, []string{"ORG-A"}, "--topic-recheck-ms", "200")
	values := genClaims(t, 60, []string{"ORG-A", "ORG-N"})
	rejectedN := 0
	for k, d := range expected(t, values) {
		if strings.HasPrefix(k, "ORG-N/") && d.Outcome == screening.Rejected {
			rejectedN++
		}
	}
	if rejectedN == 0 {
		t.Fatal("no rejection for ORG-N among the generated claims")
	}
	svc, stop := e.startSvc(context.Background(), false)
	defer stop()
	e.produce(append(values, []byte("not json")))
	e.drain(e.cfg.Topics.DeadLetter, rejectedN+1)

	dl := func(requeue bool) (string, string) {
		t.Helper()
		var out, errw bytes.Buffer
		opts := DeadletterOptions{Group: e.prefix + "-drain", Requeue: requeue, Timeout: time.Minute,
			Reasons: map[string]bool{pipeline.ReasonNoticeTopicMissing: true, pipeline.ReasonUnknownOriginator: true}}
		if err := Deadletters(context.Background(), e.admin(), opts, &out, &errw); err != nil {
			t.Fatalf("deadletters (requeue %v): %v\n%s", requeue, err, errw.String())
		}
		return out.String(), errw.String()
	}

	// Listing commits nothing and shows no content.
	for range 2 {
		out, summary := dl(false)
		if n := strings.Count(out, "\n"); n != rejectedN+1 {
			t.Errorf("listed %d dead letters, want %d:\n%s", n, rejectedN+1, out)
		}
		if !strings.Contains(summary, fmt.Sprintf("NOTICE_TOPIC_MISSING %d", rejectedN)) || !strings.Contains(summary, "MALFORMED 1") || !strings.Contains(summary, "nothing requeued") {
			t.Errorf("summary: %s", summary)
		}
		testenv.PHIHits(t, values, []string{out, summary})
	}

	// The topic is made; the requeued rejections are answered.
	if _, err := e.conn.CreateTopics(context.Background(), []string{e.prefix + ".notices.ORG-N"}, 3, 1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.conn.DeleteTopics(context.Background(), []string{e.prefix + ".notices.ORG-N"}) })
	// As the runbook says: requeue once the service can have seen the topic
	// (its metadata, then --topic-recheck-ms).
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if ex, _ := svc.sink.Exists(context.Background(), []string{e.prefix + ".notices.ORG-N"}); ex[e.prefix+".notices.ORG-N"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the service does not see the new notice topic")
		}
	}
	time.Sleep(300 * time.Millisecond) // past --topic-recheck-ms 200
	out, summary := dl(true)
	if strings.Count(out, "\trequeued\t") != rejectedN || strings.Count(out, "\tkept\t") != 1 || !strings.Contains(summary, fmt.Sprintf("%d requeued", rejectedN)) {
		t.Errorf("requeue:\n%s%s", out, summary)
	}
	for _, m := range e.drain(e.prefix+".notices.ORG-N", rejectedN) {
		if !strings.HasPrefix(string(m.Key), "ORG-N/") {
			t.Errorf("notice for %s on ORG-N's topic", m.Key)
		}
	}
	// Drained: nothing is read twice.
	if out, summary := dl(true); out != "" || !strings.HasPrefix(summary, "0 dead letters") {
		t.Errorf("second drain:\n%s%s", out, summary)
	}
}

// A dead letter goes back to the input topic it came from: claim.v1, X12,
// or in direct trust the originator's own; never to a topic it names
// otherwise.
func TestRequeueTopic(t *testing.T) {
	args := func(extra ...string) *config.Admin {
		cfg, err := config.LoadAdmin(flag.NewFlagSet("t", flag.ContinueOnError), extra, func(k string) (string, bool) { return "a:1", k == "KAFKA_BROKERS" })
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	gw, direct := args(), args("--trust-model", "direct")
	for _, tc := range []struct {
		cfg            *config.Admin
		source, target string
	}{
		{gw, "claims.submitted", "claims.submitted"}, {gw, "claims.x12.submitted", "claims.x12.submitted"},
		{gw, "claims.submitted.LAB-1", "claims.submitted"}, {gw, "", "claims.submitted"}, {gw, "claims.review", "claims.submitted"},
		{direct, "claims.submitted.LAB-1", "claims.submitted.LAB-1"}, {direct, "claims.x12.submitted.LAB-1", "claims.x12.submitted.LAB-1"},
		{direct, "other.LAB-1", "claims.submitted"},
	} {
		if got := requeueTopic(tc.cfg, tc.source); got != tc.target {
			t.Errorf("%s trust, from %q: requeued to %s, want %s", tc.cfg.Access.Trust, tc.source, got, tc.target)
		}
	}
}
