package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/testenv"
)

// TestX12SharedSamplesGolden: every 837 of ../shared/data/x12 (most broken
// on purpose or by accident) gets a golden result, testdata/x12-samples.golden:
// how many claims it maps to and the digest of their claim.v1, the
// decisions screen makes of them with the sample code sets, and each
// acknowledgement it earns (TA1, 999, 277CA) by its codes (TA1, AK2, IK3,
// IK4 without the value, IK5, AK9, the claims' STC categories, QTY) and
// digest. The golden holds no text of the samples: only codes, counts and
// digests (the samples' licences stay theirs). Every acknowledgement
// passes pyx12's x12valid. Today's date, which a
// 277CA's processing date carries, is written as TODAY, and its BHT05
// time as NOW, before hashing.
func TestX12SharedSamplesGolden(t *testing.T) {
	fsys := testenv.SharedFS(t)
	root := testenv.SharedData(t)
	files, err := fs.Glob(fsys, "x12/*/*")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	today := time.Now().UTC().Format("20060102")
	processed := regexp.MustCompile(`(BHT.0085.08.[^~]*)` + today + `(.)[0-9]{4}`) // a 277CA's BHT04, BHT05
	digest := func(s string) string {
		s = processed.ReplaceAllString(s, "${1}TODAY${2}NOW")
		return fmt.Sprintf("%x", sha256.Sum256([]byte(strings.ReplaceAll(s, today, "TODAY"))))[:16]
	}
	var b strings.Builder
	n := 0
	for _, file := range files {
		doc, err := fs.ReadFile(fsys, file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), "ST*837") && !strings.Contains(string(doc), "ST~837") {
			continue // a 277, 835 or 999 sample
		}
		n++
		path := filepath.Join(root, file)
		fmt.Fprintf(&b, "# %s\n", file)
		code, out, errOut := runCmd(t, "", "x12", "claims", "--originator", "CLEARING-1", path)
		fmt.Fprintf(&b, "x12 claims: exit %d, %d claims, claim.v1 %s\n", code, strings.Count(out, "\n"), digest(out))
		for _, l := range strings.Split(strings.TrimSpace(errOut), "\n") {
			if l != "" {
				fmt.Fprintf(&b, "  %s\n", strings.ReplaceAll(strings.TrimPrefix(l, path+": "), path, "FILE"))
			}
		}
		dir := t.TempDir()
		code, out, _ = runCmd(t, "", "screen", "--codesets", repo(t, "internal/samples/codesets"),
			"--crosswalk", repo(t, "crosswalks/sample-2025-10.csv"), "--originator", "CLEARING-1", "--acks", dir, path)
		outcomes := map[string]int{}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var d struct{ Outcome, Reason string }
			if json.Unmarshal([]byte(l), &d) == nil && d.Outcome != "" {
				outcomes[strings.TrimSuffix(d.Outcome+" "+d.Reason, " ")]++
			}
		}
		var oc []string
		for k, v := range outcomes {
			oc = append(oc, fmt.Sprintf("%d %s", v, k))
		}
		sort.Strings(oc)
		fmt.Fprintf(&b, "screen: exit %d, decisions %s: %s\n", code, digest(out), strings.Join(oc, ", "))
		acks, _ := os.ReadDir(dir)
		for _, a := range acks {
			body, _ := os.ReadFile(filepath.Join(dir, a.Name()))
			fmt.Fprintf(&b, "%s %s:%s\n", a.Name(), digest(string(body)), ackCodes(string(body)))
			if ok, report := testenv.X12Valid(t, body); !ok {
				t.Errorf("%s: pyx12 finds our %s invalid:\n%s\n%s", file, a.Name(), body, report)
			}
		}
	}
	if n < 20 {
		t.Fatalf("%d 837 samples; the shared data has 25", n)
	}
	golden := filepath.Join("testdata", "x12-samples.golden")
	if *update {
		os.WriteFile(golden, []byte(b.String()), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil || string(want) != b.String() {
		t.Errorf("output differs from %s (go test ./cmd/claimscreen -run X12SharedSamples -update to rewrite after a deliberate change):\n%s", golden, b.String())
	}
}

// ackCodes is what an acknowledgement says, by its codes: no names,
// dates or values.
func ackCodes(doc string) string {
	if len(doc) < 106 {
		return " " + doc
	}
	el, term := string(doc[3]), string(doc[105])
	var parts []string
	stc := map[string]int{}
	for _, s := range strings.Split(doc, term) {
		e := strings.Split(strings.TrimSpace(s), el)
		switch e[0] {
		case "TA1":
			parts = append(parts, "TA1 "+strings.Join(e[4:], " "))
		case "AK2":
			parts = append(parts, "AK2 "+e[2])
		case "IK3", "IK5", "AK9":
			parts = append(parts, strings.Join(e, " "))
		case "IK4":
			parts = append(parts, strings.Join(e[:min(len(e), 4)], " "))
		case "STC":
			cat, _, _ := strings.Cut(e[1], string(doc[104]))
			stc[cat]++
		case "QTY":
			parts = append(parts, strings.Join(e, " "))
		}
	}
	var cats []string
	for k, v := range stc {
		cats = append(cats, fmt.Sprintf("%s×%d", k, v))
	}
	sort.Strings(cats)
	if len(cats) > 0 {
		parts = append(parts, "STC "+strings.Join(cats, " "))
	}
	return "\n  " + strings.Join(parts, "\n  ")
}
