package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/claimscreen/claimscreen/pipeline"
)

type badCase struct {
	File    string   `json:"file"`
	What    string   `json:"what"`
	Outcome string   `json:"outcome"`
	Reason  string   `json:"reason"`
	Rules   []string `json:"rules"`
	Replay  bool     `json:"replay"`
}

var repeat = regexp.MustCompile(`\{\{repeat (\d+) (.*?)\}\}`)

// expand writes out the corpus's {{repeat N TEXT}} markers.
func expand(b []byte) []byte {
	return repeat.ReplaceAllFunc(b, func(m []byte) []byte {
		sm := repeat.FindSubmatch(m)
		n, _ := strconv.Atoi(string(sm[1]))
		return bytes.Repeat(sm[2], n)
	})
}

func TestBadInputCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "badinput")
	var cases []badCase
	b, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != len(cases)+2 { // cases.json and README.md
		t.Errorf("%d files in %s, %d cases: every file needs its documented outcome", len(files), dir, len(cases))
	}

	// The good claims alone: the decisions they must keep.
	alone := newEnv(t, pipeline.Config{})
	alone.src.Add(sampleMessages()...)
	batch, _ := alone.src.Fetch(context.Background(), 1000, 0)
	if err := alone.p.ProcessBatch(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	want := outputsByKey(alone.sink)

	// The same claims with the corpus between them, in one batch.
	e := newEnv(t, pipeline.Config{})
	good := sampleMessages()
	var msgs []pipeline.Message
	offsetOf := map[string]int{} // file → offset
	for i, c := range cases {
		v, err := os.ReadFile(filepath.Join(dir, c.File))
		if err != nil {
			t.Fatal(err)
		}
		if i < len(good) {
			msgs = append(msgs, good[i])
		}
		offsetOf[c.File] = len(msgs)
		m := good[0]
		m.Value = expand(v)
		msgs = append(msgs, m)
	}
	if len(cases) < len(good) {
		msgs = append(msgs, good[len(cases):]...)
	}
	e.src.Add(msgs...)
	batch, _ = e.src.Fetch(context.Background(), 1000, 0)
	if err := e.p.ProcessBatch(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	// The replays, in a later batch.
	var replays []pipeline.Message
	for _, c := range cases {
		if c.Replay {
			m := msgs[offsetOf[c.File]]
			replays = append(replays, m)
		}
	}
	e.src.Add(replays...)
	batch, _ = e.src.Fetch(context.Background(), 1000, 0)
	if err := e.p.ProcessBatch(context.Background(), batch); err != nil {
		t.Fatal(err)
	}

	got := outputsByKey(e.sink)
	dead := map[string]pipeline.Output{} // source offset → dead letter
	for _, o := range e.sink.Messages("claims.deadletter") {
		dead[header(o, pipeline.HeaderSrcOffset)] = o
	}
	for _, c := range cases {
		off := strconv.Itoa(offsetOf[c.File])
		if c.Outcome == "deadletter" {
			o, ok := dead[off]
			if !ok {
				t.Errorf("%s (%s): no dead letter", c.File, c.What)
				continue
			}
			if r := header(o, pipeline.HeaderReason); r != c.Reason {
				t.Errorf("%s: dead-letter reason %s, documented %s", c.File, r, c.Reason)
			}
			if !bytes.Equal(o.Value, msgs[offsetOf[c.File]].Value) {
				t.Errorf("%s: the dead letter does not carry the message unchanged", c.File)
			}
			continue
		}
		var id struct {
			ClaimID      string `json:"claim_id"`
			OriginatorID string `json:"originator_id"`
		}
		json.Unmarshal(msgs[offsetOf[c.File]].Value, &id)
		outs := got[id.OriginatorID+"/"+id.ClaimID]
		if len(outs) != 1 {
			t.Errorf("%s (%s): %d outputs, want exactly 1 (replayed: %v)", c.File, c.What, len(outs), c.Replay)
			continue
		}
		if o := header(outs[0], pipeline.HeaderOutcome); o != c.Outcome {
			t.Errorf("%s (%s): outcome %s, documented %s", c.File, c.What, o, c.Outcome)
		}
		var n struct {
			Findings []struct{ Rule string } `json:"findings"`
		}
		json.Unmarshal(outs[0].Value, &n)
		for _, r := range c.Rules {
			found := false
			for _, f := range n.Findings {
				found = found || f.Rule == r
			}
			if !found {
				t.Errorf("%s (%s): no %s finding in %s", c.File, c.What, r, outs[0].Value)
			}
		}
	}
	// Nothing else changed: every good claim's outputs are the ones it gets
	// alone (decision times aside).
	for k, w := range want {
		g := got[k]
		if len(g) != len(w) {
			t.Errorf("good claim %s: %d outputs among bad input, %d alone", k, len(g), len(w))
			continue
		}
		for i := range w {
			if g[i].Topic != w[i].Topic || header(g[i], pipeline.HeaderOutcome) != header(w[i], pipeline.HeaderOutcome) ||
				header(g[i], pipeline.HeaderDecisionID) != header(w[i], pipeline.HeaderDecisionID) {
				t.Errorf("good claim %s: %s/%s among bad input, %s/%s alone", k, g[i].Topic, header(g[i], pipeline.HeaderOutcome), w[i].Topic, header(w[i], pipeline.HeaderOutcome))
			}
		}
	}
}

// outputsByKey gathers the decision outputs (not dead letters) by key.
func outputsByKey(s interface {
	Messages(string) []pipeline.Output
}) map[string][]pipeline.Output {
	out := map[string][]pipeline.Output{}
	for _, tp := range append([]string{"claims.review", "claims.held"}, sampleNoticeTopics...) {
		for _, o := range s.Messages(tp) {
			out[string(o.Key)] = append(out[string(o.Key)], o)
		}
	}
	return out
}
