package x12

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/testenv"
)

// pyx12Verdicts runs pyx12's validator on doc and returns its accept (A,
// E) or reject (R) of each transaction set, "ISA13/GS06/ST02" → code, and
// what it found, for the failure message. pyx12 cannot read a byte-order
// mark nor the unsuffixed versions (it has no map for them): the copy it
// reads has the mark dropped and the versions suffixed, as the version
// policy reads them too.
func pyx12Verdicts(t *testing.T, tool string, doc []byte) (map[string]string, map[string]string, error) {
	t.Helper()
	text := strings.TrimPrefix(string(doc), "\xef\xbb\xbf")
	text = indentation.ReplaceAllString(text, "") // we allow it; pyx12 does not
	for _, v := range [][2]string{{"005010X222", "005010X222A1"}, {"005010X223", "005010X223A2"}} {
		text = suffix(text, v[0], v[1])
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "doc.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tool, "-q", "-J", "doc.txt") // it writes doc.json beside it
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	raw, err := os.ReadFile(filepath.Join(dir, "doc.json"))
	if err == nil && len(raw) == 0 {
		err = fmt.Errorf("an empty report")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("pyx12 cannot read it (%v): %s", err, strings.TrimSpace(string(out)))
	}
	var rep struct {
		Interchanges []struct {
			Control string `json:"isa_trn_set_id"`
			Groups  []struct {
				Control      string `json:"gs_control_num"`
				Transactions []struct {
					Control  string                       `json:"trn_set_control_num"`
					Ack      string                       `json:"ack_code"`
					Errors   []struct{ Code, Str string } `json:"errors"`
					Segments []struct {
						ID     string `json:"seg_id"`
						Line   int    `json:"cur_line"`
						Errors []struct {
							Code string `json:"err_cde"`
							Str  string `json:"err_str"`
						} `json:"errors"`
						Elements []struct {
							Errors []struct {
								Code string `json:"err_cde"`
								Str  string `json:"err_str"`
							} `json:"errors"`
						} `json:"elements"`
					} `json:"segments"`
				} `json:"transactions"`
			} `json:"groups"`
		} `json:"interchanges"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("pyx12's report: %v\n%s", err, out)
	}
	verdicts, why := map[string]string{}, map[string]string{}
	for _, ic := range rep.Interchanges {
		for _, g := range ic.Groups {
			for _, s := range g.Transactions {
				key := ic.Control + "/" + g.Control + "/" + s.Control
				for verdicts[key] != "" {
					key += "+" // the same control numbers again
				}
				verdicts[key] = s.Ack
				for _, e := range s.Errors {
					why[key] += fmt.Sprintf("  %s: %s\n", e.Code, e.Str)
				}
				for _, seg := range s.Segments {
					for _, e := range seg.Errors {
						why[key] += fmt.Sprintf("  line %d %s: %s\n", seg.Line, e.Code, e.Str)
					}
					for _, el := range seg.Elements {
						for _, e := range el.Errors {
							why[key] += fmt.Sprintf("  line %d %s %s: %s\n", seg.Line, seg.ID, e.Code, e.Str)
						}
					}
				}
			}
		}
	}
	return verdicts, why, nil
}

var indentation = regexp.MustCompile(`(?m)^[ \t]+`)

// suffix writes version v as v+addenda where it stands alone in an
// element (GS08, ST03).
func suffix(text, v, full string) string {
	var b strings.Builder
	for {
		i := strings.Index(text, v)
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		j := i + len(v)
		b.WriteString(text[:j])
		if !strings.HasPrefix(text[j:], full[len(v):]) && (j == len(text) || !isAlnum(text[j])) {
			b.WriteString(full[len(v):])
		}
		text = text[j:]
	}
}

// ourVerdicts is what our 999 says of each set: A, E or R.
func ourVerdicts(t *testing.T, doc []byte) (map[string]string, map[string]string) {
	t.Helper()
	ics, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	verdicts, why := map[string]string{}, map[string]string{}
	for _, ic := range ics {
		for _, g := range ic.Groups {
			rs, _ := Results(ic, g, func(s *Set) ([]Claim, error) { return Claims(ic, g, s, time.Time{}, "") })
			for _, r := range rs {
				key := ic.Control + "/" + strings.TrimLeft(g.Control, "0") + "/" + r.Set.Control
				for verdicts[key] != "" {
					key += "+"
				}
				switch {
				case r.Accepted() && r.Unsuffixed:
					verdicts[key] = "E"
				case r.Accepted():
					verdicts[key] = "A"
				default:
					verdicts[key] = "R"
				}
				for _, e := range r.Set.Errors {
					why[key] += fmt.Sprintf("  IK5 %s: %s\n", e.Code, e.Reason)
				}
				if r.Refused != "" {
					why[key] += fmt.Sprintf("  refused: %s\n", r.Refused)
				}
				for _, f := range r.Findings {
					why[key] += fmt.Sprintf("  IK3 %s at %d, loop %s, code %s %v\n", f.ID, f.Position, f.Loop, f.Code, f.Elements)
				}
			}
		}
	}
	return verdicts, why
}

// pyx12Exceptions are the sets where we and pyx12 differ, and why we are
// right. A loop whose first segment is repeated (a CLM or an LX twice)
// starts a second repetition of the loop, leaving the first without its
// required segments (HI, the service lines; SV1/SV2): pyx12 does not report
// what the first repetition lacks.
var pyx12Exceptions = map[string]string{
	"837p-sample.txt mutants 500000040/77/0001": "CLM repeated: the first claim has no HI and no service line",
	"837i-sample.txt mutants 500000091/78/0001": "CLM repeated: the first claim has no DTP*434, CL1, HI nor service line",
	"837i-sample.txt mutants 500000132/78/0001": "CLM repeated: the first claim has no DTP*434, CL1, HI nor service line",
	"837i-sample.txt mutants 500000040/78/0001": "LX repeated: the first line has no SV2, and LX01 no longer counts the lines",
	"837i-sample.txt mutants 500000145/78/0001": "LX repeated: the first line has no SV2, and LX01 no longer counts the lines",
}

func accepts(code string) bool { return code == "A" || code == "E" }

// TestPyx12Differential: for every 837 of the shared samples and for
// generated interchanges, our 999 accepts or rejects each transaction set
// as pyx12 does, but for the differences listed in pyx12Exceptions, each
// with its reason.
func TestPyx12Differential(t *testing.T) {
	tool := x12valid(t)
	fsys := testenv.SharedFS(t)
	files, err := fs.Glob(fsys, "x12/*/*")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	docs := map[string][]byte{}
	for _, file := range files {
		doc, err := fs.ReadFile(fsys, file)
		if err != nil {
			t.Fatal(err)
		}
		if !Looks(doc) || !strings.Contains(string(doc), "ST*837") && !strings.Contains(string(doc), "ST~837") {
			continue
		}
		if _, err := Parse(doc); err != nil {
			continue // not an interchange we can acknowledge (TestSharedSamples)
		}
		docs[file] = doc
		// The same with SE01 right: the guide's errors decide.
		segs, el, term := segmentsOf(string(doc))
		docs[file+" (SE01 recounted)"] = []byte(join(recount(segs, el), term))
	}
	for _, name := range []string{"837p-sample.txt", "837i-sample.txt"} {
		doc, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "internal", "samples", "x12", name))
		if err != nil {
			t.Fatal(err)
		}
		docs[name] = doc
		docs[name+" mutants"] = []byte(mutants(string(doc), 150, 7))
	}
	docs["test interchange"] = []byte(interchange("000000901"))
	gen, _ := generated(t, 200)
	docs["generated"] = gen
	names := make([]string, 0, len(docs))
	for name := range docs {
		names = append(names, name)
	}
	sort.Strings(names)
	var compared, excepted atomic.Int64
	t.Cleanup(func() {
		t.Logf("%d transaction sets compared with pyx12, %d listed exceptions", compared.Load(), excepted.Load())
	})
	for _, file := range names {
		doc := docs[file]
		t.Run(strings.ReplaceAll(file, "/", "_"), func(t *testing.T) {
			t.Parallel() // pyx12 runs are slow: two at a time
			differ(t, tool, file, doc, &compared, &excepted)
		})
	}
}

// differ compares our verdicts on doc with pyx12's, set by set.
func differ(t *testing.T, tool, file string, doc []byte, compared, excepted *atomic.Int64) {
	ours, ourWhy := ourVerdicts(t, doc)
	theirs, theirWhy, err := pyx12Verdicts(t, tool, doc)
	if err != nil {
		t.Errorf("%s: %v", file, err)
		return
	}
	if len(theirs) != len(ours) || len(ours) == 0 {
		t.Errorf("%s: %d sets of ours, %d of pyx12's", file, len(ours), len(theirs))
	}
	for key, want := range theirs {
		compared.Add(1)
		if _, ok := ours[key]; !ok {
			t.Errorf("%s set %s: pyx12 has it, we do not", file, key)
			continue
		}
		if why, ok := pyx12Exceptions[file+" "+key]; ok {
			excepted.Add(1)
			if accepts(ours[key]) == accepts(want) {
				t.Errorf("%s set %s: listed as an exception (%s), but we now agree with pyx12", file, key, why)
			}
			continue
		}
		if accepts(ours[key]) != accepts(want) {
			t.Errorf("%s set %s: we say %q, pyx12 %q\nours:\n%spyx12:\n%s", file, key, ours[key], want, ourWhy[key], theirWhy[key])
		}
	}
}

// segmentsOf splits an interchange (one per line, as our samples are)
// into its segment texts, separators from the ISA.
func segmentsOf(doc string) (segs []string, el, term byte) {
	doc = strings.TrimPrefix(doc, "\xef\xbb\xbf")
	el, term = doc[3], doc[105]
	for _, s := range strings.Split(doc, string(term)) {
		if s = strings.TrimSpace(s); s != "" {
			segs = append(segs, s)
		}
	}
	return segs, el, term
}

// recount rewrites each SE01 as the number of segments from ST to SE, so
// that a sample's deliberate guide errors, not its envelope, decide.
func recount(segs []string, el byte) []string {
	out := append([]string(nil), segs...)
	start := -1
	for i, s := range out {
		id, rest, _ := strings.Cut(s, string(el))
		switch id {
		case "ST":
			start = i
		case "SE":
			if start >= 0 {
				_, ctl, _ := strings.Cut(rest, string(el))
				out[i] = fmt.Sprintf("SE%c%d%c%s", el, i-start+1, el, ctl)
			}
		}
	}
	return out
}

func join(segs []string, term byte) string {
	return strings.Join(segs, string(term)+"\n") + string(term) + "\n"
}

// mutants are n copies of a sound interchange with one random change each
// inside its transaction set (a segment dropped, repeated or moved, an
// element emptied, lengthened, given a bad value or date, one more
// element), SE01 recounted, each its own ISA13: one document, so that
// pyx12 reads them all in one run.
func mutants(doc string, n int, seed uint64) string {
	segs, el, term := segmentsOf(doc)
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	first, last := 0, 0
	for i, s := range segs {
		if strings.HasPrefix(s, "ST"+string(el)) {
			first = i + 1
		}
		if strings.HasPrefix(s, "SE"+string(el)) {
			last = i
		}
	}
	for m := 0; m < n; m++ {
		ss := append([]string(nil), segs...)
		i := first + rng.IntN(last-first)
		elems := strings.Split(ss[i], string(el))
		j := 1 + rng.IntN(max(len(elems)-1, 1))
		switch rng.IntN(8) {
		case 0:
			ss = append(ss[:i], ss[i+1:]...)
		case 1:
			ss = append(ss[:i+1], ss[i:]...)
		case 2:
			if i+1 < last {
				ss[i], ss[i+1] = ss[i+1], ss[i]
			}
		case 3:
			if j < len(elems) {
				elems[j] = ""
			}
		case 4:
			if j < len(elems) {
				elems[j] = strings.Repeat("9", 90)
			}
		case 5:
			if j < len(elems) {
				elems[j] = "QQ"
			}
		case 6:
			if j < len(elems) {
				elems[j] = "20251399"
			}
		case 7:
			elems = append(elems, "EXTRA")
		}
		if len(ss) == len(segs) {
			ss[i] = strings.TrimRight(strings.Join(elems, string(el)), string(el))
		}
		ctl := fmt.Sprintf("%09d", 500000000+m)
		ss[0] = ss[0][:90] + ctl + ss[0][99:]
		ss = recount(ss, el)
		ss[len(ss)-1] = "IEA" + string(el) + "1" + string(el) + ctl
		b.WriteString(join(ss, term))
	}
	return b.String()
}
