package x12

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/gen"
)

func generated(t testing.TB, n int) ([]byte, [][]byte) {
	t.Helper()
	claims, err := gen.SampleClaims(n, []string{"CLEARING-1"}, 11)
	if err != nil {
		t.Fatal(err)
	}
	return gen.Interchange(claims, "000000301"), claims
}

// 5,000 claims in one transaction set map onto the claim.v1 they were
// written from: the same claim ids, diagnoses and lines, decoded alike.
func TestGeneratedInterchange(t *testing.T) {
	data, claims := generated(t, 5000)
	ics, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	ic, g := ics[0], ics[0].Groups[0]
	s := g.Sets[0]
	if len(ic.Notes)+len(g.Errors)+len(s.Errors) != 0 {
		t.Fatalf("envelope: %+v %+v %+v", ic.Notes, g.Errors, s.Errors)
	}
	cs, err := Claims(ic, g, s, time.Time{}, "")
	if err != nil || len(cs) != len(claims) {
		t.Fatalf("%d of %d claims: %v", len(cs), len(claims), err)
	}
	now := time.Now()
	for i := range cs {
		want, _, err1 := claim.Decode(claims[i], now)
		msg := bytes.Replace(cs[i].JSON, []byte(`"originator_id":""`), []byte(`"originator_id":"CLEARING-1"`), 1)
		got, _, err2 := claim.Decode(msg, now)
		if err1 != nil || err2 != nil {
			continue // a generated poison case
		}
		if got.ClaimID != want.ClaimID || len(got.Diagnoses) != len(want.Diagnoses) || len(got.Lines) != len(want.Lines) ||
			(len(got.Diagnoses) > 0 && got.Diagnoses[0].Code != want.Diagnoses[0].Code) {
			t.Fatalf("claim %d: %s\nfrom %s", i, msg, claims[i])
		}
	}
}

// A small generated interchange is what the implementation guide wants, by
// pyx12.
func TestGeneratedInterchangeIsValid(t *testing.T) {
	tool := x12valid(t)
	data, _ := generated(t, 10)
	if ok, out := validate(t, tool, data); !ok {
		t.Errorf("pyx12 finds the generated 837 invalid:\n%s", out)
	}
}

// 50,000 claims (about 15 MB) in one interchange: parsed and mapped, and
// the heap it takes.
func TestLargeInterchange(t *testing.T) {
	if testing.Short() {
		t.Skip("large")
	}
	data, _ := generated(t, 50000)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	ics, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := Claims(ics[0], ics[0].Groups[0], ics[0].Groups[0].Sets[0], time.Time{}, "")
	if err != nil || len(cs) != 50000 {
		t.Fatalf("%d claims: %v", len(cs), err)
	}
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("50,000 claims, %.1f MB of X12: %.0f MB allocated while parsing and mapping; %.0f MB live after (the parsed interchange and the claims)",
		float64(len(data))/1e6, float64(allocated)/1e6, float64(after.HeapAlloc-before.HeapAlloc)/1e6)
	runtime.KeepAlive(cs)
	runtime.KeepAlive(ics)
}

// benchClaims times run over the generated 5,000-claim interchange and
// reports MB/s and claims/s.
func benchClaims(b *testing.B, data []byte, run func()) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run()
	}
	b.ReportMetric(float64(b.N*5000)/b.Elapsed().Seconds(), "claims/s")
}

// BenchmarkParseAndMap parses and maps a 5,000-claim interchange.
func BenchmarkParseAndMap(b *testing.B) {
	data, _ := generated(b, 5000)
	benchClaims(b, data, func() {
		ics, _ := Parse(data)
		Claims(ics[0], ics[0].Groups[0], ics[0].Groups[0].Sets[0], time.Time{}, "")
	})
}

// BenchmarkValidate checks the 5,000-claim interchange against the guide
// (parsed once, outside the timing).
func BenchmarkValidate(b *testing.B) {
	data, _ := generated(b, 5000)
	ics, _ := Parse(data)
	s := ics[0].Groups[0].Sets[0]
	g, _ := GuideFor(s.Version)
	if errs := g.Validate(s, ics[0].Separators); len(errs) > 0 {
		b.Fatalf("the generated interchange breaks the guide: %+v", errs[0])
	}
	benchClaims(b, data, func() { g.Validate(s, ics[0].Separators) })
}

// BenchmarkValidateAndMap is what a 999 and the claims of a 5,000-claim
// interchange take: parse, validate against the guide, map.
func BenchmarkValidateAndMap(b *testing.B) {
	data, _ := generated(b, 5000)
	benchClaims(b, data, func() {
		ics, _ := Parse(data)
		ic, g := ics[0], ics[0].Groups[0]
		Results(ic, g, func(s *Set) ([]Claim, error) { return Claims(ic, g, s, time.Time{}, "") })
	})
}

// BenchmarkParseGenerated tokenizes the 5,000-claim interchange.
func BenchmarkParseGenerated(b *testing.B) {
	data, _ := generated(b, 5000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Parse(data)
	}
}

// BenchmarkAcks writes the 999 and the 277CA of the 5,000-claim
// interchange, every third claim rejected.
func BenchmarkAcks(b *testing.B) {
	data, _ := generated(b, 5000)
	ics, _ := Parse(data)
	ic, g := ics[0], ics[0].Groups[0]
	results, claims := Results(ic, g, func(s *Set) ([]Claim, error) { return Claims(ic, g, s, time.Time{}, "CLEARING-1") })
	statuses := make([]ClaimStatus, len(claims[0]))
	for i, c := range claims[0] {
		statuses[i] = ClaimStatus{Claim: c, Accepted: i%3 != 0, DecisionID: "D" + c.ClaimID}
		if !statuses[i].Accepted {
			statuses[i].Codes = []string{"A7:254"}
		}
	}
	at := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	benchClaims(b, data, func() {
		Ack999(ic, g, results)
		Ack277CA(ic, g, g.Sets[0], statuses, at)
	})
}

// TestCountClaims: the estimate a batch is sized by counts every CLM of
// the generated interchange, with line breaks between segments and a
// byte-order mark, and nothing in what is not an interchange or in an
// element that ends in CLM.
func TestCountClaims(t *testing.T) {
	data, _ := generated(t, 300)
	broken := bytes.ReplaceAll(data, []byte("~"), []byte("~\r\n"))
	twice := append(append([]byte("\xef\xbb\xbf\n"), data...), data...)
	for _, tc := range []struct {
		name string
		in   []byte
		want int
	}{
		{"generated", data, 300},
		{"line breaks", broken, 300},
		{"BOM and two interchanges", twice, 600},
		{"an element ending in CLM", []byte(isa("000000401", '*', ':', '~') + "GS*HC*A*B*20250101*0000*1*X*005010X222A1~ST*837*1~NM1*IL*1*XCLM*A~CLM*1*10~SE*4*1~GE*1*1~IEA*1*000000401~"), 1},
		{"claim.v1", []byte(`{"claim_id":"CLM*1"}`), 0},
		{"empty", nil, 0},
	} {
		if got := CountClaims(tc.in); got != tc.want {
			t.Errorf("%s: %d claims, want %d", tc.name, got, tc.want)
		}
	}
}
