package claim_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/gen"
	"github.com/claimscreen/claimscreen/internal/samples"
)

// TestEncodeMatchesEncodingJSON: the hand-written encoder gives the bytes
// encoding/json gives, and the hash is over them with received_at zero,
// on the sample claims and 5,000 generated ones (errors of every kind).
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	var msgs [][]byte
	s := bufio.NewScanner(bytes.NewReader(samples.Claims))
	for s.Scan() {
		msgs = append(msgs, append([]byte(nil), s.Bytes()...))
	}
	rels, err := samples.Releases()
	if err != nil {
		t.Fatal(err)
	}
	g, err := gen.New(rels, gen.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5000; i++ {
		m, _ := g.Next()
		msgs = append(msgs, m)
	}
	msgs = append(msgs, []byte(`{"claim_id":"E<&>\u2028x","originator_id":"O","form":"institutional","received_at":"2025-01-02T03:04:05.123456789+02:00",
		"statement_period":{"through":"2025-01-01"},"diagnoses":[],"lines":[{"number":1,"procedure":{"code":"99213"},"units":0.0000001,"diagnosis_pointers":[]},
		{"number":2,"procedure":{"code":"99213","modifiers":[]},"units":1e21}]}`))
	n := 0
	for _, m := range msgs {
		c, _, err := claim.Decode(m, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			continue
		}
		n++
		std, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		body, hash := c.Encode()
		if !bytes.Equal(body, std) {
			t.Fatalf("Encode differs from encoding/json:\n%s\n%s", body, std)
		}
		z := *c
		z.ReceivedAt = time.Time{}
		zb, _ := json.Marshal(&z)
		sum := sha256.Sum256(zb)
		if hash != hex.EncodeToString(sum[:]) {
			t.Fatalf("%s: hash is not over the claim with received_at zero", c.ClaimID)
		}
	}
	if n < 5000 {
		t.Fatalf("only %d claims decoded", n)
	}
}

func benchClaims(b *testing.B) []*claim.Claim {
	rels, err := samples.Releases()
	if err != nil {
		b.Fatal(err)
	}
	g, _ := gen.New(rels, gen.Options{Seed: 5})
	var cs []*claim.Claim
	for len(cs) < 1000 {
		m, _ := g.Next()
		if c, _, err := claim.Decode(m, time.Now()); err == nil {
			cs = append(cs, c)
		}
	}
	return cs
}

// BenchmarkEncode: the claim's JSON and content hash, as the pipeline makes
// them for every claim.
func BenchmarkEncode(b *testing.B) {
	cs := benchClaims(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		cs[i%len(cs)].Encode()
	}
}

// BenchmarkEncodeReflect is what Encode replaced: encoding/json, then the
// hash over a copy with received_at zeroed.
func BenchmarkEncodeReflect(b *testing.B) {
	cs := benchClaims(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c := cs[i%len(cs)]
		body, _ := json.Marshal(c)
		ts, _ := c.ReceivedAt.MarshalJSON()
		sum := sha256.Sum256(bytes.Replace(body, append([]byte(`"received_at":`), ts...), []byte(`"received_at":"0001-01-01T00:00:00Z"`), 1))
		_ = hex.EncodeToString(sum[:])
	}
}
