package screenfile

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/rule"
	"github.com/claimscreen/claimscreen/internal/samples"
)

func sample837P(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../samples/x12/837p-sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Screen tells an X12 input from NDJSON by its content, screens both
// through the same decide step, and writes the X12 input's 999 and 277CA.
func TestScreenInputsByContent(t *testing.T) {
	sc, err := samples.Screener(rule.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	f := New(sc, claim.NewDecoder(claim.Limits{}))
	ndjson := bytes.SplitN(samples.Claims, []byte("\n"), 3)
	var out, notes bytes.Buffer
	enc := json.NewEncoder(&out)
	dir := t.TempDir()
	inputs := []Input{
		{Name: "two.ndjson", R: bytes.NewReader(append(append(ndjson[0], '\n'), ndjson[1]...))},
		{Name: "837p.txt", R: bytes.NewReader(sample837P(t))},
	}
	if err := f.Screen(context.Background(), inputs, Options{Identify: FileIdentity("CLINIC-1", nil), AcksDir: dir, Notes: &notes}, enc); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 { // two NDJSON lines, the 837P's two CLMs
		t.Fatalf("%d decisions, want 4:\n%s", len(lines), out.String())
	}
	for _, l := range lines[2:] {
		var d struct {
			OriginatorID string `json:"originator_id"`
		}
		if err := json.Unmarshal([]byte(l), &d); err != nil || d.OriginatorID != "CLINIC-1" {
			t.Errorf("an X12 claim's decision without the --originator given: %s (%v)", l, err)
		}
	}
	written, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(written) == 0 || !strings.Contains(notes.String(), "837p.txt: wrote ") {
		t.Errorf("acknowledgements written %v, notes %q", written, notes.String())
	}
}

func TestInspectX12(t *testing.T) {
	var out, notes bytes.Buffer
	n, err := InspectX12("837p.txt", sample837P(t), "CLINIC-1", &out, &notes)
	if err != nil {
		t.Fatal(err)
	}
	if n.Claims != 2 || strings.Count(out.String(), "\n") != 2 || !strings.Contains(out.String(), `"originator_id":"CLINIC-1"`) {
		t.Errorf("%+v, out %s", n, out.String())
	}
	// A broken control number is an envelope problem, named by file.
	broken := bytes.Replace(sample837P(t), []byte("SE*"), []byte("SE*9"), 1)
	notes.Reset()
	n, err = InspectX12("broken.txt", broken, "", &out, &notes)
	if err != nil {
		t.Fatal(err)
	}
	if n.Problems == 0 || !strings.HasPrefix(notes.String(), "broken.txt: ") {
		t.Errorf("%+v, notes %q", n, notes.String())
	}
	var total Inspection
	total.Add(n)
	total.Add(n)
	if total.Problems != 2*n.Problems {
		t.Errorf("Add: %+v", total)
	}
	if _, err := InspectX12("empty.txt", []byte("not x12"), "", &out, &notes); err == nil || !strings.Contains(err.Error(), "empty.txt") {
		t.Errorf("a file that is not X12: %v", err)
	}
}
