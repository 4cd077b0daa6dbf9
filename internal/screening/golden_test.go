package screening_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/notice"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/schemas"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func schemaSet(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	out, err := schemas.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func checkSchema(t *testing.T, s *jsonschema.Schema, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err := s.Validate(inst); err != nil {
		t.Errorf("%s\ndoes not match its schema: %v", b, err)
	}
}

// TestGolden screens every sample claim and compares each decision, and the
// notice or review built from it, with testdata/sample-decisions.golden.
// Run with -update to rewrite it after a deliberate change.
func TestGolden(t *testing.T) {
	sc := sampleScreener(t, nil)
	sch := schemaSet(t)
	decidedAt := time.Date(2025, 11, 20, 10, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	s := bufio.NewScanner(bytes.NewReader(samples.Claims))
	for s.Scan() {
		c, fs, err := claim.Decode(s.Bytes(), decidedAt)
		var d screening.Decision
		var de *claim.DecodeError
		switch {
		case errors.As(err, &de):
			d = screening.DeadLetter("", "", de.Reason, de.Detail)
		case err != nil:
			t.Fatal(err)
		default:
			d = sc.Screen(screening.Input{Claim: c, Findings: fs})
		}
		checkSchema(t, sch["decision.json"], d)
		enc.Encode(d)
		if std, _ := json.Marshal(d); !bytes.Equal(d.JSON(), std) {
			t.Errorf("Decision.JSON differs from encoding/json:\n%s\n%s", d.JSON(), std)
		}
		if c == nil {
			continue
		}
		switch d.Outcome {
		case screening.Rejected:
			n := notice.NewNotice(c, c.ContentHash(), d, decidedAt)
			checkSchema(t, sch["notice.v1.json"], n)
			enc.Encode(n)
			std, _ := json.Marshal(n)
			if got, err := n.Encode(); err != nil || !bytes.Equal(got, std) {
				t.Errorf("Notice.Encode differs from encoding/json (%v):\n%s\n%s", err, got, std)
			}
		case screening.Accepted, screening.Held:
			body, hash := c.Encode()
			r := notice.NewReview(c, body, hash, d, decidedAt)
			checkSchema(t, sch["review.v1.json"], r)
			enc.Encode(r)
			// The pipeline's encoder splices the claim and the decision in:
			// the same bytes as encoding/json, with or without the decision
			// encoded beforehand.
			std, _ := json.Marshal(r)
			dj, _ := json.Marshal(d)
			for _, pre := range [][]byte{nil, dj} {
				if got, err := r.Encode(pre); err != nil || !bytes.Equal(got, std) {
					t.Errorf("%s: Review.Encode differs from json.Marshal (err %v):\n%s\n%s", c.ClaimID, err, got, std)
				}
			}
		}
	}
	golden := filepath.Join("testdata", "sample-decisions.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("decisions differ from %s; run 'go test ./internal/screening -update' if the change is meant, and review the diff", golden)
		os.WriteFile(golden+".got", out.Bytes(), 0o644)
	}
}
