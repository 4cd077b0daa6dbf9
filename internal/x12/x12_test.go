package x12

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/testenv"
)

// isa builds an ISA with control number ctl and the separators given.
func isa(ctl string, el, comp, seg byte) string {
	e := sepString(el)
	s := "ISA" + e + "00" + e + "          " + e + "00" + e + "          " + e + "ZZ" + e + "SUBMITTER01    " + e + "ZZ" + e + "PAYER01        " + e +
		"251120" + e + "0930" + e + "^" + e + "00501" + e + ctl + e + "1" + e + "P" + e + sepString(comp) + sepString(seg)
	if len(s) != isaLen {
		panic(fmt.Sprintf("isa is %d bytes", len(s)))
	}
	return s
}

// professional is an 837P with two claims: one for the subscriber, one for
// a dependent patient (2000C), with a COB loop on the first.
const professional = `GS*HC*SUBMITTER01*PAYER01*20251120*0930*77*X*005010X222A1~
ST*837*0001*005010X222A1~
BHT*0019*00*B1*20251120*0930*CH~
NM1*41*2*CLINIC*****46*S1~
PER*IC*BILLING OFFICE*TE*5555550100~
NM1*40*2*PAYER*****46*P1~
HL*1**20*1~
NM1*85*2*CLINIC ONE*****XX*1234567893~
N3*1 MAIN STREET~
N4*SPRINGFIELD*IL*627010001~
REF*EI*370000001~
HL*2*1*22*1~
SBR*P*18*******CI~
NM1*IL*1*DOE*JANE****MI*M0001~
DMG*D8*19800501*F~
NM1*PR*2*PAYER*****PI*P1~
CLM*PCN-1*170.00***11:B:1*Y*A*Y*Y~
HI*ABK:E119*ABF:I10~
SBR*S*18*******CI~
NM1*IL*1*DOE*JOHN****MI*OTHER9~
LX*1~
SV1*HC:99213:25*95.00*UN*1***1:2~
DTP*472*D8*20251112~
REF*6R*L1~
LX*2~
SV1*HC:36415*75.00*UN*1*11**1~
DTP*472*RD8*20251112-20251112~
HL*3*2*23*0~
PAT*19~
NM1*QC*1*DOE*SAM~
DMG*D8*20150102*M~
CLM*PCN-2*50.00***11:B:7*Y*A*Y*Y~
REF*F8*ORIG-2~
HI*ABK:J069~
LX*1~
SV1*HC:99212*50.00*UN*1***1~
DTP*472*D8*20251113~
SE*37*0001~
GE*1*77~
`

func interchange(ctl string) string {
	return isa(ctl, '*', ':', '~') + "\n" + professional + "IEA*1*" + ctl + "~\n"
}

func TestParseAndMapProfessional(t *testing.T) {
	in := "\xef\xbb\xbf  " + strings.ReplaceAll(interchange("000000101"), "~\n", "~\r\n   ")
	ics, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(ics) != 1 || len(ics[0].Notes) != 0 || len(ics[0].Groups) != 1 || len(ics[0].Groups[0].Errors) != 0 {
		t.Fatalf("%+v", ics)
	}
	ic, g := ics[0], ics[0].Groups[0]
	set := g.Sets[0]
	if ic.Sender != "SUBMITTER01" || ic.SenderQualifier != "ZZ" || g.Sender != "SUBMITTER01" || set.Control != "0001" || len(set.Errors) != 0 || ic.Repetition != '^' {
		t.Errorf("envelope: %+v %+v %+v", ic, g, set)
	}
	cs, err := Claims(ic, g, set, time.Time{}, "")
	if err != nil || len(cs) != 2 {
		t.Fatalf("%d claims, %v", len(cs), err)
	}
	var a, b map[string]any
	json.Unmarshal(cs[0].JSON, &a)
	json.Unmarshal(cs[1].JSON, &b)
	want := `{"claim_id":"PCN-1","originator_id":"","frequency":"1","form":"professional","received_at":"2025-11-20T09:30:00Z","patient":{"member_id":"M0001","birth_date":"1980-05-01","sex":"F"},"place_of_service":"11",` +
		`"diagnoses":[{"code":"E119","system":"ICD-10-CM"},{"code":"I10","system":"ICD-10-CM"}],` +
		`"lines":[{"number":1,"procedure":{"code":"99213","modifiers":["25"]},"service_date":"2025-11-12","units":1,"charge":"95.00","diagnosis_pointers":[1,2]},` +
		`{"number":2,"procedure":{"code":"36415"},"service_date":"2025-11-12","units":1,"charge":"75.00","place_of_service":"11","diagnosis_pointers":[1]}],"total_charge":"170.00"}`
	if string(cs[0].JSON) != want {
		t.Errorf("claim 1:\n got %s\nwant %s", cs[0].JSON, want)
	}
	// The dependant: the patient level's member id falls back to the
	// subscriber's, and its birth date and sex are its own.
	p := b["patient"].(map[string]any)
	if b["claim_id"] != "PCN-2" || b["frequency"] != "7" || p["member_id"] != "M0001" || p["birth_date"] != "2015-01-02" || p["sex"] != "M" {
		t.Errorf("claim 2: %s", cs[1].JSON)
	}
	if cs[0].Interchange != "000000101" || cs[0].Group != "77" || cs[0].Set != "0001" || cs[1].Position != 2 {
		t.Errorf("source: %+v", cs[1])
	}
	// Each mapped claim is claim.v1 the decoder takes without a finding
	// once it has an originator.
	for _, c := range cs {
		msg := bytes.Replace(c.JSON, []byte(`"originator_id":""`), []byte(`"originator_id":"CLEARING-1"`), 1)
		if _, fs, err := claim.Decode(msg, time.Now()); err != nil || len(fs) != 0 {
			t.Errorf("%s: %v %+v", c.ClaimID, err, fs)
		}
	}
}

func TestSeparatorsComeFromTheISA(t *testing.T) {
	base := interchange("000000102")
	other := strings.NewReplacer("*", "|", ":", ">", "~", "\x1c").Replace(professional)
	alt := isa("000000102", '|', '>', '\x1c') + other + "IEA|1|000000102\x1c"
	want, _ := Parse([]byte(base))
	got, err := Parse([]byte(alt))
	if err != nil || len(got[0].Notes) != 0 {
		t.Fatalf("%v %+v", err, got)
	}
	a, _ := Claims(want[0], want[0].Groups[0], want[0].Groups[0].Sets[0], time.Time{}, "")
	b, _ := Claims(got[0], got[0].Groups[0], got[0].Groups[0].Sets[0], time.Time{}, "")
	for i := range a {
		if !bytes.Equal(a[i].JSON, b[i].JSON) {
			t.Errorf("claim %d differs with other separators:\n%s\n%s", i, a[i].JSON, b[i].JSON)
		}
	}
}

func TestEnvelopeProblems(t *testing.T) {
	good := interchange("000000103")
	for _, tc := range []struct {
		name, in string
		ta1      string // a TA1 note code expected
		ak9, ik5 string
	}{
		{"IEA02 differs from ISA13", strings.Replace(good, "IEA*1*000000103", "IEA*1*000000999", 1), TA1ControlMismatch, "", ""},
		{"IEA01 counts the groups", strings.Replace(good, "IEA*1*", "IEA*2*", 1), TA1BadGroupCount, "", ""},
		{"the input ends early", good[:strings.Index(good, "GE*")], TA1ImproperEnd, AK9BadSetCount, ""}, // and the group has no GE
		{"duplicate interchange", good + good, TA1DuplicateInterchange, "", ""},
		{"GE02 differs from GS06", strings.Replace(good, "GE*1*77", "GE*1*78", 1), "", AK9ControlMismatch, ""},
		{"GE01 counts the sets", strings.Replace(good, "GE*1*77", "GE*2*77", 1), "", AK9BadSetCount, ""},
		{"SE01 counts the segments", strings.Replace(good, "SE*37*", "SE*25*", 1), "", "", IK5BadSegmentCount},
		{"SE02 differs from ST02", strings.Replace(good, "SE*37*0001", "SE*37*0002", 1), "", "", IK5ControlMismatch},
		{"a bad interchange control number", strings.ReplaceAll(good, "000000103", "00000X103"), TA1BadControlNumber, "", ""},
	} {
		ics, err := Parse([]byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var ta1, ak9, ik5 []string
		for _, ic := range ics {
			for _, n := range ic.Notes {
				ta1 = append(ta1, n.Code)
			}
			for _, g := range ic.Groups {
				for _, e := range g.Errors {
					ak9 = append(ak9, e.Code)
				}
				for _, s := range g.Sets {
					for _, e := range s.Errors {
						ik5 = append(ik5, e.Code)
					}
				}
			}
		}
		for _, c := range []struct {
			want string
			got  []string
		}{{tc.ta1, ta1}, {tc.ak9, ak9}, {tc.ik5, ik5}} {
			if (c.want == "") != (len(c.got) == 0) || (c.want != "" && !contains(c.got, c.want)) {
				t.Errorf("%s: TA1 %v AK9 %v IK5 %v", tc.name, ta1, ak9, ik5)
				break
			}
		}
	}
	for _, bad := range []string{"", "hello", "ISA*00*short~", strings.Replace(good, "ISA*", "ISA ", 1)} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	ics, _ := Parse([]byte(strings.Replace(good, "HL*3*2*", "HL*2*2*", 1)))
	if _, err := Claims(ics[0], ics[0].Groups[0], ics[0].Groups[0].Sets[0], time.Time{}, ""); err == nil || !strings.Contains(err.Error(), `HL01 "2" is used twice`) {
		t.Errorf("duplicate HL01: %v", err)
	}
	ics, _ = Parse([]byte(strings.Replace(good, "HL*3*2*", "HL*3*9*", 1)))
	if _, err := Claims(ics[0], ics[0].Groups[0], ics[0].Groups[0].Sets[0], time.Time{}, ""); err == nil || !strings.Contains(err.Error(), `HL02 "9" names no earlier HL`) {
		t.Errorf("unknown HL parent: %v", err)
	}
}

// The shared samples: what each holds, and the problems they carry on
// purpose (the imsweb files have SE01 wrong, several a duplicate HL01).
func TestSharedSamples(t *testing.T) {
	fsys := testenv.SharedFS(t)
	for _, tc := range []struct {
		file                       string
		interchanges, sets, claims int
		mapErrors                  int // sets the mapping refuses
		ik5                        string
	}{
		{"x12/oopfactory_x12parser/837P_5010_Example1_2_And_3_Combined.txt", 1, 2, 3, 0, ""},
		{"x12/oopfactory_x12parser/837P_5010_MedicaidExample.txt", 1, 1, 5, 0, ""},
		{"x12/oopfactory_x12parser/837I_5010_Spec_3.1.2_TwoClaimsForTheSameProvider.txt", 1, 1, 2, 0, ""},
		{"x12/imsweb_x12-parser/x12_multiple_isa.txt", 2, 2, 2, 2, IK5BadSegmentCount},
		{"x12/imsweb_x12-parser/x12_multiple_transactions.txt", 312, 312, 312, 312, IK5BadSegmentCount}, // 624 CLM; the second of each set follows a duplicate HL01
		{"x12/imsweb_x12-parser/x223-test.txt", 1, 1, 1, 0, IK5BadSegmentCount},
	} {
		data, err := fs.ReadFile(fsys, tc.file)
		if err != nil {
			t.Fatal(err)
		}
		ics, err := Parse(data)
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		sets, claims, mapErrors := 0, 0, 0
		ik5 := map[string]bool{}
		for _, ic := range ics {
			for _, g := range ic.Groups {
				for _, s := range g.Sets {
					sets++
					for _, e := range s.Errors {
						ik5[e.Code] = true
					}
					cs, err := Claims(ic, g, s, time.Time{}, "")
					if err != nil {
						mapErrors++
					}
					claims += len(cs)
				}
			}
		}
		if len(ics) != tc.interchanges || sets != tc.sets || claims != tc.claims || mapErrors != tc.mapErrors || (tc.ik5 != "") != ik5[tc.ik5] {
			t.Errorf("%s: %d interchanges, %d sets, %d claims, %d refused, IK5 %v", tc.file, len(ics), sets, claims, mapErrors, ik5)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

var fuzzDecoder = claim.NewDecoder(claim.Limits{})

// FuzzParse: any input is read or refused, never a panic; what maps is
// JSON the claim decoder reads, as it reads the claim's Text.
func FuzzParse(f *testing.F) {
	f.Add([]byte(interchange("000000104")))
	f.Add([]byte(isa("000000105", '|', '>', '\n') + "GS|HC|A|B|20250101|0000|1|X|005010X223A2\nST|837|1\nCLM|X|1|||13>A>1\nSE|3|1\nGE|1|1\nIEA|1|000000105\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The JSON is its Text's, and decodes as the Text does.
		decodesAsJSON(t, fuzzDecoder, data)
	})
}

// BenchmarkParse tokenizes the 330 KB sample of 820 claims.
func BenchmarkParse(b *testing.B) {
	data, err := fs.ReadFile(testenv.SharedFS(b), "x12/imsweb_x12-parser/x12_many_claims.txt")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzAcks: for any interchange read, the TA1, 999 and 277CA written are
// read back by our own reader with sound envelopes (control numbers and
// counts right, no TA1 note, no group or set error).
func FuzzAcks(f *testing.F) {
	f.Add([]byte(interchange("000000106")))
	f.Add([]byte(isa("000000107", '|', '>', '\n') + "GS|HC|A|B|20250101|0000|1|X|005010X223A2\nST|837|1\nCLM|X|1|||13>A>1\nSE|3|1\nGE|1|1\nIEA|1|000000107\n"))
	at := time.Date(2025, 11, 20, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		ics, err := Parse(data)
		if err != nil {
			return
		}
		reread := func(kind string, b []byte) {
			back, err := Parse(b)
			if err != nil {
				t.Fatalf("our %s is not read back: %v\n%s", kind, err, b)
			}
			for _, ic := range back {
				if len(ic.Notes) > 0 {
					t.Fatalf("our %s has envelope notes %v\n%s", kind, ic.Notes, b)
				}
				for _, g := range ic.Groups {
					if len(g.Errors) > 0 {
						t.Fatalf("our %s has group errors %v\n%s", kind, g.Errors, b)
					}
					for _, s := range g.Sets {
						if len(s.Errors) > 0 {
							t.Fatalf("our %s has set errors %v\n%s", kind, s.Errors, b)
						}
					}
				}
			}
		}
		for _, ic := range ics {
			if TA1Due(ic) {
				reread("TA1", TA1(ic))
			}
			for _, g := range ic.Groups {
				results, claims := Results(ic, g, func(s *Set) ([]Claim, error) { return Claims(ic, g, s, at, "") })
				reread("999", Ack999(ic, g, results))
				for i, r := range results {
					if !r.Accepted() {
						continue
					}
					st := make([]ClaimStatus, len(claims[i]))
					for k, c := range claims[i] {
						st[k] = ClaimStatus{Claim: c, Accepted: k%2 == 0, Codes: []string{"A7:254", "A7:255", "A3:21", "A7:453"}[:k%4+1], DecisionID: "d"}
					}
					reread("277CA", Ack277CA(ic, g, r.Set, st, at))
				}
			}
		}
	})
}

// The claim.v1 the mapping writes is its claim.Text's (what encoding/json
// writes of it, TestTextJSONIsEncodingJSONs), and the decoder reads the
// Text as it reads that JSON: for every 837 of the shared samples, the
// repository's samples, their mutants and generated claims, which are
// clean and read without their JSON.
func TestTextDecodesAsJSON(t *testing.T) {
	fsys := testenv.SharedFS(t)
	files, err := fs.Glob(fsys, "x12/*/*")
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]byte{}
	for _, file := range files {
		if docs[file], err = fs.ReadFile(fsys, file); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"837p-sample.txt", "837i-sample.txt"} {
		doc, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "internal", "samples", "x12", name))
		if err != nil {
			t.Fatal(err)
		}
		docs[name], docs[name+" mutants"] = doc, []byte(mutants(string(doc), 150, 7))
	}
	gen, _ := generated(t, 300)
	docs["generated"] = gen
	dec := claim.NewDecoder(claim.Limits{})
	total, built := 0, map[string]int{}
	for name, doc := range docs {
		n, b := decodesAsJSON(t, dec, doc)
		total += n
		built[name] += b
	}
	t.Logf("%d claims compared; read from their Text: %v", total, built)
	if total < 1000 || built["generated"] != 300 || built["837p-sample.txt"] == 0 {
		t.Fatalf("%d claims compared; read from their Text: %v", total, built)
	}
}

// decodesAsJSON fails the test when a claim mapped from doc decodes from
// its Text otherwise than from its JSON, or when its JSON is not its
// Text's; it returns how many claims it compared and how many were read
// from their Text alone.
func decodesAsJSON(t testing.TB, dec *claim.Decoder, doc []byte) (n, built int) {
	t.Helper()
	ics, err := Parse(doc)
	if err != nil {
		return 0, 0
	}
	at := time.Date(2025, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, ic := range ics {
		for _, g := range ic.Groups {
			for _, s := range g.Sets {
				cs, _ := Claims(ic, g, s, time.Time{}, "O-1")
				for _, c := range cs {
					if want, err := json.Marshal(c.Text); err != nil || !bytes.Equal(c.JSON, want) {
						t.Fatalf("mapped %s\nits Text %s (%v)", c.JSON, want, err)
					}
					c1, fs1, err1 := dec.DecodeText(c.Text, c.JSON, at)
					c2, fs2, err2 := dec.DecodeByParser(c.JSON, at)
					if fmt.Sprint(err1) != fmt.Sprint(err2) || !reflect.DeepEqual(fs1, fs2) || !reflect.DeepEqual(c1, c2) {
						t.Fatalf("%s decodes from its Text as\n%v %+v %+v\nand from its JSON as\n%v %+v %+v", c.JSON, err1, fs1, c1, err2, fs2, c2)
					}
					n++
					if _, ok := dec.Build(c.Text, at); ok {
						built++
					}
				}
			}
		}
	}
	return n, built
}

// TestSeparatorAbove7F: a separator byte above 0x7f is one byte, as any
// other (string(byte) would have made it the two-byte UTF-8 of a rune).
func TestSeparatorAbove7F(t *testing.T) {
	in := isa("000000201", '*', 0xA6, '~') + "GS*HC*A*B*20250101*0000*1*X*005010X222A1~ST*837*1~CLM*X*1***11\xa6B\xa61~SE*3*1~GE*1*1~IEA*1*000000201~"
	ics, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	set := ics[0].Groups[0].Sets[0]
	if len(ics[0].Notes) > 0 || len(set.Errors) > 0 || set.Len() != 1 {
		t.Fatalf("notes %v, errors %v, %d segments", ics[0].Notes, set.Errors, set.Len())
	}
	if got := set.Segment(0).AppendComponents(nil, 5, ics[0].Separators); strings.Join(got, ",") != "11,B,1" {
		t.Fatalf("CLM05 components %q", got)
	}
}

// TestSegmentElements: elements as the tokenizer finds them, with empty
// ones, a trailing separator, line breaks before the terminator, and
// elements asked for past the end.
func TestSegmentElements(t *testing.T) {
	body := "ST*837*0001*005010X222A1~\r\nREF**~\nNM1*IL*1*DOE*JANE\r\n~SE*4*0001~"
	ics, err := Parse([]byte(isa("000000103", '*', ':', '~') + "GS*HC*A*B*20250101*1200*1*X*005010X222A1~" + body + "GE*1*1~IEA*1*000000103~"))
	if err != nil {
		t.Fatal(err)
	}
	s := ics[0].Groups[0].Sets[0]
	if s.ST.ID() != "ST" || s.ST.Len() != 4 || s.ST.E(3) != "005010X222A1" || s.ST.E(4) != "" || s.ST.E(-1) != "" {
		t.Errorf("ST: %q len %d", s.ST.AppendElements(nil), s.ST.Len())
	}
	want := [][]string{{"REF", "", ""}, {"NM1", "IL", "1", "DOE", "JANE"}}
	for i, w := range want {
		if got := s.Segment(i).AppendElements(nil); !slices.Equal(got, w) || s.Segment(i).Len() != len(w) {
			t.Errorf("segment %d: %q, want %q", i, got, w)
		}
	}
	if isa := ics[0].ISA; isa.Len() != 17 || isa.E(13) != "000000103" {
		t.Errorf("ISA: %q", isa.AppendElements(nil))
	}
	var zero Segment
	if zero.Len() != 0 || zero.ID() != "" || zero.E(0) != "" {
		t.Error("a zero Segment has elements")
	}
}

// TestTokenizerAgreesWithSplit: the word-at-a-time tokenizer finds the
// segments and elements a plain split does, over random sets: random
// separators (one above 0x7f), element lengths that put separators and
// terminators at every offset of a word, empty elements, line breaks and
// indentation between segments and before a terminator, and a set that
// ends the input a few bytes after its last terminator.
func TestTokenizerAgreesWithSplit(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	seps := [][3]byte{{'*', ':', '~'}, {'|', '>', '\n'}, {0xA6, ':', '~'}, {'*', '^', 0x85}}
	for round := range 400 {
		sp := seps[round%len(seps)]
		el, seg := string([]byte{sp[0]}), string([]byte{sp[2]})
		var body strings.Builder
		var want [][]string
		for range 1 + rng.IntN(30) {
			elems := []string{[]string{"NM1", "REF", "SV1", "HI", "N3"}[rng.IntN(5)]}
			for range rng.IntN(12) {
				elems = append(elems, strings.Repeat("A", rng.IntN(11)))
			}
			want = append(want, elems)
			body.WriteString(strings.Join(elems, el))
			if rng.IntN(4) == 0 && sp[2] != '\n' {
				body.WriteString("\r\n") // before the terminator
			}
			body.WriteString(seg)
			body.WriteString([]string{"", "", "\n", "\r\n", "  "}[rng.IntN(5)])
		}
		n := len(want) + 2
		in := isa("000000301", sp[0], sp[1], sp[2]) + "GS" + el + "HC" + el + "A" + el + "B" + el + "20250101" + el + "0000" + el + "1" + el + "X" + el + "005010X222A1" + seg +
			"ST" + el + "837" + el + "1" + seg + body.String() + "SE" + el + strconv.Itoa(n) + el + "1" + seg + "GE" + el + "1" + el + "1" + seg + "IEA" + el + "1" + el + "000000301" + seg
		ics, err := Parse([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		s := ics[0].Groups[0].Sets[0]
		if len(ics[0].Notes) > 0 || len(s.Errors) > 0 || s.Len() != len(want) {
			t.Fatalf("round %d: notes %v, errors %v, %d segments, want %d\n%q", round, ics[0].Notes, s.Errors, s.Len(), len(want), in)
		}
		for i, w := range want {
			if got := s.Segment(i); !slices.Equal(got.AppendElements(nil), w) || got.Pos != i+4 {
				t.Fatalf("round %d, segment %d at %d: %q, want %q", round, i, got.Pos, got.AppendElements(nil), w)
			}
		}
	}
}
