package claim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// The claim.v1 a Text writes is what encoding/json writes of it, byte for
// byte: an empty one, odd strings, a patient and a period with only some
// fields, and the random Texts of TestDecodeTextIsDecode.
func TestTextJSONIsEncodingJSONs(t *testing.T) {
	check := func(c *Text) {
		t.Helper()
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	}
	check(&Text{})
	check(&Text{ClaimID: "A<&>\"\\\x01é\u2028", Form: "institutional", Patient: &TextPatient{Sex: "F"}, StatementPeriod: &TextPeriod{Through: "2025-01-02"},
		Diagnoses: []Dx{}, Lines: []TextLine{{Number: 1, Units: "1.5", Pointers: []int{1, 2}, Procedure: TextProcedure{Code: "99213", Modifiers: []string{"25", "59"}}}}})
	check(&Text{Patient: &TextPatient{BirthDate: "2000-01-01"}, StatementPeriod: &TextPeriod{From: "2025-01-01"}, Lines: []TextLine{{}, {Charge: "1", PlaceOfService: "11", ServiceDate: "2025-01-01"}}})
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		check(randomText(r))
	}
}

// cleanText is a claim the decoder finds nothing to say of.
func cleanText() *Text {
	return &Text{ClaimID: "PCN-1", OriginatorID: "LAB-0042", Frequency: "1", Form: "professional", ReceivedAt: "2025-11-02T14:05:00Z",
		Patient: &TextPatient{MemberID: "M1", BirthDate: "1980-05-01", Sex: "F"}, PlaceOfService: "11",
		Diagnoses: []Dx{{"E119", ICD10CM}, {"I10", ICD10CM}},
		Lines: []TextLine{{Number: 1, Procedure: TextProcedure{Code: "G0438", Modifiers: []string{"LT"}}, ServiceDate: "2025-11-01", Units: "1",
			Charge: "125.00", PlaceOfService: "11", Pointers: []int{1, 2}}}, TotalCharge: "125.00"}
}

// randomText is cleanText with some of its fields swapped for others, good
// and bad, from the cases the decoder tells apart.
func randomText(r *rand.Rand) *Text {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	t := cleanText()
	often := func() bool { return r.IntN(4) == 0 }
	if often() {
		t.ClaimID = pick("", "C", strings.Repeat("x", 38), strings.Repeat("x", 39), "A<&>\"", "é", "a\x01", "a b")
	}
	if often() {
		t.OriginatorID = pick("", "a b", "acme", strings.Repeat("o", 65))
	}
	if often() {
		t.Frequency = pick("", "7", "8", "9", "1 ")
	}
	if often() {
		t.Form = pick("institutional", "", "x", "Professional")
	}
	if often() {
		t.ReceivedAt = pick("", "2025-03-01T10:00:00+05:00", "2025-03-01", "bad", "2025-03-01T10:00:00.5Z")
	}
	if often() {
		p := []*TextPatient{nil, {}, {"", "1980-13-01", "X"}, {"é", "", ""}, {"M", "", "U"}, {"M\t", "1980-02-29", "M"}, {"M", "1980-2-1", ""}}
		t.Patient = p[r.IntN(len(p))]
	}
	if often() {
		t.PlaceOfService = pick("", "1", "AB", "99", "011")
	}
	if often() {
		t.BillType = pick("", "111", "0111", "11", "1111", "00111", "13A")
	}
	if often() {
		p := []*TextPeriod{nil, {}, {"2025-01-01", "2025-01-03"}, {"2025-01-01", ""}, {"", "2025-01-01"}, {"2025-02-30", "2025-03-01"}}
		t.StatementPeriod = p[r.IntN(len(p))]
	}
	if often() {
		n := []int{0, 1, 2, 12, 13, 25, 26}[r.IntN(7)]
		t.Diagnoses = make([]Dx, n)
		for i := range t.Diagnoses {
			t.Diagnoses[i] = Dx{pick("E119", "e11.9", "E11.9", "I10", "2500", "V700", "E8490", "X", "", "1E9", "E11 9"), pick(ICD10CM, ICD10CM, ICD9CM, "", "ICD-10")}
		}
	}
	if often() {
		n := []int{0, 1, 2, 3, 50, 51}[r.IntN(6)]
		t.Lines = make([]TextLine, n)
		for i := range t.Lines {
			t.Lines[i] = cleanText().Lines[0]
			t.Lines[i].Number = i + 1
		}
	}
	for i := range t.Lines {
		l := &t.Lines[i]
		if !often() {
			continue
		}
		switch r.IntN(8) {
		case 0:
			l.Number = pick2(r, 0, i+2, -1)
		case 1:
			l.Procedure.Code = pick("99213", "0001F", "J1100", "j1100", "E119", "", "9921", "99213 ")
		case 2:
			m := [][]string{nil, {}, {"25"}, {"lt"}, {"2"}, {"25", "59", "76", "77", "91"}, {"25", ""}, {"A1", "GT"}}
			l.Procedure.Modifiers = m[r.IntN(len(m))]
		case 3:
			l.ServiceDate = pick("", "2025-11-01", "20251101", "2024-02-29", "2023-02-29")
		case 4:
			l.Units = json.Number(pick("", "1", "2", "1.5", "0", "99999", "100000", "1e2", "-1"))
		case 5:
			l.Charge = pick("", "10", "10.00", "1.234", "-1", "1,00", "12345678901")
		case 6:
			l.PlaceOfService = pick("", "11", "1", "AA")
		case 7:
			p := [][]int{nil, {}, {1}, {0}, {1, 2, 3, 4, 5}, {100}, {-1}, make([]int, 26)}
			l.Pointers = p[r.IntN(len(p))]
		}
	}
	return t
}

func pick2(r *rand.Rand, xs ...int) int { return xs[r.IntN(len(xs))] }

// DecodeText returns what Decode returns of the Text's message, whichever
// way it reads it: for random Texts, good and bad, under the default
// limits and tight ones. And it reads the clean ones without the message.
func TestDecodeTextIsDecode(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	decoders := []*Decoder{NewDecoder(Limits{}), NewDecoder(Limits{MaxString: 8, MaxDepth: 4, MaxBytes: 400})}
	built := 0
	for i := range 20000 {
		d := decoders[i%2]
		txt := randomText(r)
		msg := txt.AppendJSON(nil)
		sameDecode(t, d, txt, msg)
		if _, ok := d.Build(txt, recv); ok {
			built++
		}
	}
	if built < 1000 {
		t.Fatalf("only %d of 20000 random Texts were read without their message", built)
	}
	c, ok := NewDecoder(Limits{}).Build(cleanText(), recv)
	if !ok || c.Lines[0].Procedure.System != HCPCS || c.ReceivedAt.Day() != 2 {
		t.Fatalf("the clean Text was not built: %v %+v", ok, c)
	}
}

// sameDecode fails the test when DecodeText and the parser's reading
// differ on msg.
func sameDecode(t testing.TB, d *Decoder, txt *Text, msg []byte) {
	t.Helper()
	c1, fs1, err1 := d.DecodeText(txt, msg, recv)
	c2, fs2, err2 := d.DecodeByParser(msg, recv)
	if fmt.Sprint(err1) != fmt.Sprint(err2) || !reflect.DeepEqual(fs1, fs2) || !reflect.DeepEqual(c1, c2) {
		_, built := d.Build(txt, recv)
		t.Fatalf("DecodeText differs from Decode (built %v) on %s:\n%v %+v\n%+v\nDecode:\n%v %+v\n%+v", built, msg, err1, fs1, c1, err2, fs2, c2)
	}
}

// FuzzDecodeText: a Text of fuzzed strings and numbers decodes as its
// message does.
func FuzzDecodeText(f *testing.F) {
	f.Add("PCN-1", "professional", "E119", "99213", "25", "2025-11-01", "1", "125.00", "11", 1, 1)
	f.Add("C", "institutional", "e11.9", "j1100", "lt", "2025-02-29", "1.5", "1.234", "1", 0, 2)
	f.Fuzz(func(t *testing.T, id, form, dx, proc, mod, date, units, charge, pos string, ptr, number int) {
		txt := cleanText()
		txt.ClaimID, txt.Form, txt.PlaceOfService = id, form, pos
		txt.Diagnoses[0].Code = dx
		txt.StatementPeriod = &TextPeriod{From: date, Through: date}
		l := &txt.Lines[0]
		l.Number, l.Procedure.Code, l.Procedure.Modifiers = number, proc, []string{mod}
		l.ServiceDate, l.Units, l.Charge, l.PlaceOfService, l.Pointers = date, json.Number(units), charge, pos, []int{ptr}
		if json.Valid([]byte(units)) || units == "" {
			sameDecode(t, NewDecoder(Limits{}), txt, txt.AppendJSON(nil))
		}
	})
}

func BenchmarkDecodeText(b *testing.B) {
	d := NewDecoder(Limits{})
	txt := cleanText()
	msg := txt.AppendJSON(nil)
	b.Run("Build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d.DecodeText(txt, msg, recv)
		}
	})
	b.Run("Decode", func(b *testing.B) { // the one-pass reading
		b.ReportAllocs()
		for b.Loop() {
			d.Decode(msg, recv)
		}
	})
	b.Run("Parser", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d.DecodeByParser(msg, recv)
		}
	})
}
