package screening_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/gen"
	"github.com/claimscreen/claimscreen/internal/notice"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/screening"
)

// TestEncodersMatchEncodingJSON: the decision, notice and review encoders
// of the hot path write what encoding/json writes, over 5,000 generated
// claims with errors of every kind.
func TestEncodersMatchEncodingJSON(t *testing.T) {
	rels, err := samples.Releases()
	if err != nil {
		t.Fatal(err)
	}
	g, err := gen.New(rels, gen.Options{Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	sc := screening.New(mustSnapshot(t), g.Chart(), nil)
	at := time.Date(2025, 12, 1, 8, 0, 0, 123456000, time.UTC)
	outcomes := map[screening.Outcome]int{}
	for i := 0; i < 5000; i++ {
		m, _ := g.Next()
		c, fs, err := claim.Decode(m, at)
		if err != nil {
			continue
		}
		d := sc.Screen(screening.Input{Claim: c, Findings: fs})
		outcomes[d.Outcome]++
		std, _ := json.Marshal(d)
		if !bytes.Equal(d.JSON(), std) {
			t.Fatalf("Decision.JSON differs:\n%s\n%s", d.JSON(), std)
		}
		body, hash := c.Encode()
		n := notice.NewNotice(c, hash, d, at)
		nb, err := n.Encode()
		if std, _ := json.Marshal(n); err != nil || !bytes.Equal(nb, std) {
			t.Fatalf("Notice.Encode differs (%v):\n%s\n%s", err, nb, std)
		}
		r := notice.NewReview(c, body, hash, d, at)
		rb, err := r.Encode(d.JSON())
		if std, _ := json.Marshal(r); err != nil || !bytes.Equal(rb, std) {
			t.Fatalf("Review.Encode differs (%v):\n%s\n%s", err, rb, std)
		}
	}
	if outcomes[screening.Accepted] == 0 || outcomes[screening.Rejected] == 0 {
		t.Errorf("generated claims lack variety: %v", outcomes)
	}
}

func mustSnapshot(t *testing.T) *codeset.Snapshot {
	s, err := samples.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
