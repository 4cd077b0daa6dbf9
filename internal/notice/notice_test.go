package notice_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/notice"
	"github.com/claimscreen/claimscreen/internal/rule"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/screening"
)

// sampleDecisions screens every sample claim that decodes.
func sampleDecisions(t *testing.T) ([]*claim.Claim, []screening.Decision) {
	t.Helper()
	sc, err := samples.Screener(nil)
	if err != nil {
		t.Fatal(err)
	}
	var cs []*claim.Claim
	var ds []screening.Decision
	s := bufio.NewScanner(bytes.NewReader(samples.Claims))
	for s.Scan() {
		c, fs, err := claim.Decode(s.Bytes(), time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC))
		if err != nil {
			continue
		}
		cs = append(cs, c)
		ds = append(ds, sc.Screen(screening.Input{Claim: c, Findings: fs}))
	}
	return cs, ds
}

// The id is the same for the same originator, claim id and content, and
// differs when any of them does.
func TestIDStable(t *testing.T) {
	c := &claim.Claim{ClaimID: "PCN-1", OriginatorID: "LAB-1"}
	a, b := notice.ID(c, "h1"), notice.ID(c, "h1")
	if a != b || len(a) != 32 {
		t.Fatalf("ids %q %q", a, b)
	}
	for _, other := range []string{notice.ID(c, "h2"), notice.ID(&claim.Claim{ClaimID: "PCN-1", OriginatorID: "LAB-2"}, "h1"), notice.ID(&claim.Claim{ClaimID: "PCN-2", OriginatorID: "LAB-1"}, "h1")} {
		if other == a {
			t.Errorf("different submissions share the id %s", a)
		}
	}
	// The separator keeps "A"+"BC" and "AB"+"C" apart.
	if notice.ID(&claim.Claim{ClaimID: "BC", OriginatorID: "A"}, "h") == notice.ID(&claim.Claim{ClaimID: "C", OriginatorID: "AB"}, "h") {
		t.Error("ids collide across the originator/claim boundary")
	}
}

// Each encoder writes the bytes encoding/json writes, for every sample.
func TestEncodersMatchEncodingJSON(t *testing.T) {
	cs, ds := sampleDecisions(t)
	at := time.Date(2025, 11, 20, 1, 2, 3, 456000, time.UTC)
	var rejected, accepted, held int
	for i, c := range cs {
		body, hash := c.Encode()
		d := ds[i]
		if d.Outcome == screening.Rejected {
			rejected++
			n := notice.NewNotice(c, hash, d, at)
			got, err := n.Encode()
			want, _ := json.Marshal(n)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s notice:\n got %s\nwant %s", c.Key(), got, want)
			}
			if n.Resubmit == "" || n.NoticeID != notice.ID(c, hash) || len(n.Findings) == 0 {
				t.Errorf("%s notice lacks what an originator needs: %+v", c.Key(), n)
			}
			continue
		}
		r := notice.NewReview(c, body, hash, d, at)
		for _, dj := range [][]byte{nil, d.JSON()} {
			got, err := r.Encode(dj)
			want, _ := json.Marshal(r)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s review:\n got %s\nwant %s", c.Key(), got, want)
			}
		}
		switch d.Outcome {
		case screening.Held:
			held++
			if r.HoldReason == "" || !strings.Contains(r.HoldReason, "release") {
				t.Errorf("%s held without a hold reason: %q", c.Key(), r.HoldReason)
			}
		case screening.Accepted:
			accepted++
			if r.HoldReason != "" {
				t.Errorf("%s accepted with a hold reason", c.Key())
			}
		}
	}
	if rejected == 0 || accepted == 0 || held == 0 {
		t.Fatalf("samples reach %d rejected, %d accepted, %d held", rejected, accepted, held)
	}
}

// The hold reason is the message of the first finding of severity hold.
func TestHoldReasonIsTheHoldFinding(t *testing.T) {
	d := screening.Decision{Outcome: screening.Held, Findings: []rule.Finding{
		{Rule: rule.ID("MUE_EXCEEDED"), Severity: rule.Flag, Message: "a flag"},
		{Rule: rule.ID("CODESET_NOT_LOADED"), Severity: rule.Hold, Message: "no ICD-10-CM release covering 2030-01-01 is loaded"},
	}}
	r := notice.NewReview(&claim.Claim{ClaimID: "X", OriginatorID: "Y"}, []byte(`{}`), "h", d, time.Now())
	if r.HoldReason != "no ICD-10-CM release covering 2030-01-01 is loaded" || r.Schema != notice.ReviewSchema {
		t.Errorf("%+v", r)
	}
}
