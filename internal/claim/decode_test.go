package claim

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/claimscreen/claimscreen/internal/rule"
)

var recv = time.Date(2025, 11, 20, 9, 0, 0, 0, time.UTC)

const good = `{"claim_id":"PCN-1","originator_id":"LAB-0042","frequency":"1","form":"professional",
"received_at":"2025-11-02T14:05:00Z","patient":{"member_id":"M1","birth_date":"1980-05-01","sex":"F"},
"place_of_service":"11","diagnoses":[{"code":"e11.9","system":"ICD-10-CM"},{"code":" I10 "}],
"lines":[{"number":1,"procedure":{"code":"g0438","modifiers":["lt"]},"service_date":"2025-11-01","units":1,
"charge":"125.00","place_of_service":"11","diagnosis_pointers":[1,2]}],"total_charge":"125.00"}`

func TestDecodeGood(t *testing.T) {
	c, fs, err := Decode([]byte(good), recv)
	if err != nil || len(fs) != 0 {
		t.Fatalf("err %v findings %+v", err, fs)
	}
	if c.Diagnoses[0].Code != "E119" || c.Diagnoses[1].Code != "I10" || c.Diagnoses[1].System != ICD10CM {
		t.Errorf("diagnoses not normalised: %+v", c.Diagnoses)
	}
	l := c.Lines[0]
	if l.Procedure.Code != "G0438" || l.Procedure.System != HCPCS || l.Procedure.Modifiers[0] != "LT" {
		t.Errorf("procedure %+v", l.Procedure)
	}
	if !l.Charge.OK || l.Charge.Cents != 12500 || !c.TotalCharge.OK || l.Units != 1 {
		t.Errorf("money %+v %+v", l.Charge, c.TotalCharge)
	}
	if c.ReceivedAt != time.Date(2025, 11, 2, 14, 5, 0, 0, time.UTC) || c.ReceivedDay().String() != "2025-11-02" {
		t.Errorf("received %v", c.ReceivedAt)
	}
	if c.Key() != "LAB-0042/PCN-1" {
		t.Errorf("key %s", c.Key())
	}
	// The same content received later hashes the same; other content not.
	c2, _, _ := Decode([]byte(strings.Replace(good, `"2025-11-02T14:05:00Z"`, `"2025-11-03T00:00:00Z"`, 1)), recv)
	c3, _, _ := Decode([]byte(strings.Replace(good, `"125.00"`, `"125.0"`, 1)), recv)
	if c.ContentHash() != c2.ContentHash() || c.ContentHash() == c3.ContentHash() {
		t.Error("content hash must ignore received_at and nothing else")
	}
}

func TestDecodeDefaults(t *testing.T) {
	msg := `{"claim_id":"X","originator_id":"O","form":"professional","diagnoses":[{"code":"I10"}],
"lines":[{"procedure":{"code":"99213"},"service_date":"2025-11-01","charge":"1","diagnosis_pointers":[1]}]}`
	c, fs, err := Decode([]byte(msg), recv)
	if err != nil || len(fs) != 0 {
		t.Fatalf("%v %+v", err, fs)
	}
	if c.Frequency != "1" || !c.ReceivedAt.Equal(recv) || c.Lines[0].Units != 1 || c.Lines[0].Number != 1 || c.Lines[0].Procedure.System != CPT {
		t.Errorf("defaults: %+v", c)
	}
}

func TestDecodeDeadLetters(t *testing.T) {
	for _, tc := range []struct {
		name, msg, reason, detail string
	}{
		{"not json", `{"claim_id":`, ReasonMalformed, "not valid JSON"},
		{"array", `[1,2]`, ReasonMalformed, "not a JSON object"},
		{"no claim id", `{"originator_id":"O"}`, ReasonMalformed, "claim_id is missing"},
		{"numeric claim id", `{"claim_id":5,"originator_id":"O"}`, ReasonMalformed, "claim_id is missing or not a string"},
		{"long claim id", `{"claim_id":"` + strings.Repeat("1", 39) + `","originator_id":"O"}`, ReasonMalformed, "1 to 38"},
		{"no originator", `{"claim_id":"C"}`, ReasonMalformed, "originator_id is missing"},
		{"topic injection", `{"claim_id":"C","originator_id":"O/../claims.review"}`, ReasonMalformed, "originator_id must match"},
		{"bad utf8", "{\"claim_id\":\"C\xff\",\"originator_id\":\"O\"}", ReasonMalformed, "UTF-8"},
		{"deep", strings.Repeat("[", 40) + strings.Repeat("]", 40), ReasonMalformed, "nested 40 deep"},
		{"too large", `{"claim_id":"C","originator_id":"O","pad":"` + strings.Repeat("x", 1<<20) + `"}`, ReasonTooLarge, "more than the limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Decode([]byte(tc.msg), recv)
			var de *DecodeError
			if !errors.As(err, &de) || de.Reason != tc.reason || !strings.Contains(de.Detail, tc.detail) {
				t.Fatalf("got %v, want %s containing %q", err, tc.reason, tc.detail)
			}
		})
	}
}

func findingSet(fs []rule.Finding) map[string]rule.ID {
	m := map[string]rule.ID{}
	for _, f := range fs {
		m[f.Path] = f.Rule
	}
	return m
}

func TestDecodeFindings(t *testing.T) {
	base := `{"claim_id":"C","originator_id":"O",%s}`
	for _, tc := range []struct {
		name string
		body string
		want map[string]rule.ID
	}{
		{"empty claim", `"x":1`, map[string]rule.ID{"x": rule.InvalidField, "form": rule.MissingField, "diagnoses": rule.MissingField, "lines": rule.MissingField}},
		{"wrong types", `"form":"professional","frequency":1,"diagnoses":"I10","lines":[{"procedure":{"code":99213},"service_date":"2025-1-1","units":"2","charge":12,"diagnosis_pointers":["1"]}]`,
			map[string]rule.ID{"frequency": rule.InvalidField, "diagnoses": rule.InvalidField, "lines[0].procedure.code": rule.InvalidField,
				"lines[0].service_date": rule.InvalidField, "lines[0].units": rule.InvalidField, "lines[0].charge": rule.InvalidField,
				"lines[0].diagnosis_pointers[0]": rule.InvalidField}},
		{"bad enums and shapes", `"form":"dental","frequency":"2","place_of_service":"1","patient":{"sex":"X","birth_date":"1980-02-30"},"diagnoses":[{"code":"1234"},{"code":"E11.9","system":"ICD-11"},{"code":"V9","system":"ICD-9-CM"}],"lines":[{"procedure":{"code":"9921","modifiers":["L","25"]},"service_date":"2025-11-01","charge":"-1","units":-1}],"total_charge":"1.234"`,
			map[string]rule.ID{"form": rule.InvalidField, "frequency": rule.InvalidField, "place_of_service": rule.InvalidField,
				"patient.sex": rule.InvalidField, "patient.birth_date": rule.InvalidField, "diagnoses[0].code": rule.InvalidField,
				"diagnoses[1].system": rule.InvalidField, "diagnoses[2].code": rule.InvalidField, "lines[0].procedure.code": rule.InvalidField,
				"lines[0].procedure.modifiers[0]": rule.InvalidField, "lines[0].charge": rule.InvalidField, "lines[0].units": rule.InvalidField,
				"total_charge": rule.InvalidField}},
		{"missing line parts", `"form":"professional","diagnoses":[{"system":"ICD-10-CM"}],"lines":[{"number":1}]`,
			map[string]rule.ID{"diagnoses[0].code": rule.MissingField, "lines[0].procedure.code": rule.MissingField, "lines[0].charge": rule.MissingField,
				"lines[0].service_date": rule.MissingField, "lines[0].diagnosis_pointers": rule.MissingField}},
		{"institutional without period", `"form":"institutional","diagnoses":[{"code":"I10"}],"lines":[{"procedure":{"code":"80053"},"charge":"1"}]`,
			map[string]rule.ID{"statement_period": rule.MissingField, "lines[0].service_date": rule.MissingField}},
		{"nulls, duplicates, numbering", `"form":"professional","patient":null,"diagnoses":[{"code":"I10","code":"E119"}],"lines":[{"number":2,"procedure":{"code":"99213"},"service_date":"2025-11-01","charge":"1","diagnosis_pointers":[1]}]`,
			map[string]rule.ID{"patient": rule.InvalidField, "diagnoses[0].code": rule.InvalidField, "lines[0].number": rule.InvalidField}},
		{"control characters and long strings", `"form":"professional","patient":{"member_id":"a\u0001b"},"diagnoses":[{"code":"` + strings.Repeat("A", 300) + `"}],"lines":[{"procedure":{"code":"99213"},"service_date":"2025-11-01","charge":"1","diagnosis_pointers":[1]}]`,
			map[string]rule.ID{"patient.member_id": rule.InvalidField, "diagnoses[0].code": rule.InvalidField}},
		{"too many", `"form":"professional","diagnoses":[` + strings.Repeat(`{"code":"I10"},`, 12) + `{"code":"I10"}],"lines":[{"procedure":{"code":"99213","modifiers":["25","59","76","91","LT","RT"]},"service_date":"2025-11-01","charge":"1","diagnosis_pointers":[1]}]`,
			map[string]rule.ID{"diagnoses": rule.InvalidField, "lines[0].procedure.modifiers": rule.InvalidField}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, fs, err := Decode([]byte(strings.Replace(base, "%s", tc.body, 1)), recv)
			if err != nil {
				t.Fatal(err)
			}
			got := findingSet(fs)
			for p, id := range tc.want {
				if got[p] != id {
					t.Errorf("%s: got %q, want %s (all: %+v)", p, got[p], id, fs)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %d findings, want %d: %+v", len(got), len(tc.want), fs)
			}
			for _, f := range fs {
				if f.Message == "" || f.X12 == "" || f.CARC != "16" || len(f.Code) > 45 {
					t.Errorf("finding not complete or quotes too much: %+v", f)
				}
			}
		})
	}
}

func TestMissingStatus(t *testing.T) {
	_, fs, _ := Decode([]byte(`{"claim_id":"C","originator_id":"O","form":"professional","diagnoses":[{}],"lines":[{"procedure":{},"diagnosis_pointers":[1]}]}`), recv)
	want := map[string]string{"diagnoses[0].code": "A6:255", "lines[0].procedure.code": "A6:454", "lines[0].service_date": "A6:187", "lines[0].charge": "A6:400"}
	for _, f := range fs {
		if w, ok := want[f.Path]; ok && f.X12 != w {
			t.Errorf("%s: x12 %s, want %s", f.Path, f.X12, w)
		}
	}
}

func TestShapes(t *testing.T) {
	for code, want := range map[string]string{"99213": CPT, "0001U": CPT, "1111F": CPT, "0591T": CPT, "G0438": HCPCS, "D0120": HCPCS, "9921": "", "99213F": "", "G043X": "", "1111X": ""} {
		if got := ProcedureSystem(code); got != want {
			t.Errorf("ProcedureSystem(%s) = %q, want %q", code, got, want)
		}
	}
	for _, c := range []string{"I10", "E119", "S301XXA", "C4A0", "Z3A01"} {
		if !ValidICD10Shape(c) {
			t.Errorf("%s refused", c)
		}
	}
	for _, c := range []string{"I1", "1I0", "E11.9", "S301XXAB", "e119"} {
		if ValidICD10Shape(c) {
			t.Errorf("%s accepted", c)
		}
	}
	for _, c := range []string{"250", "25000", "V700", "E8889"} {
		if !ValidICD9Shape(c) {
			t.Errorf("icd9 %s refused", c)
		}
	}
	if NormalizeCode(" e11.9 ") != "E119" || NormalizeCode("I10") != "I10" {
		t.Error("NormalizeCode")
	}
	if ModifierSystem("25") != "CPT-MODIFIER" || ModifierSystem("LT") != "HCPCS-MODIFIER" {
		t.Error("ModifierSystem")
	}
}

func TestLimitsConfigurable(t *testing.T) {
	d := NewDecoder(Limits{MaxBytes: 100})
	if _, _, err := d.Decode([]byte(good), recv); err == nil || !strings.Contains(err.Error(), "limit of 100") {
		t.Fatalf("got %v", err)
	}
	d = NewDecoder(Limits{MaxDepth: 3})
	if _, _, err := d.Decode([]byte(good), recv); err == nil || !strings.Contains(err.Error(), "nested") {
		t.Fatalf("got %v", err)
	}
}

func TestShow(t *testing.T) {
	if s := Show("a\x01b"); s != "a?b" {
		t.Errorf("Show = %q", s)
	}
	if s := Show(strings.Repeat("é", 30)); len(s) > 45 || !strings.HasSuffix(s, "…") {
		t.Errorf("Show long = %q", s)
	}
}

func TestJSONDepth(t *testing.T) {
	for s, want := range map[string]int{
		`{}`: 1, `[[{}]]`: 3, `{"a":"[[[["}`: 1, `{"a":"\"[[["}`: 1, `{"a":"\\"}`: 1, `{"a":"\\\"[["}`: 1,
		`{"a":"x\\\\"}, [[`: 2, `"unterminated [[[`: 0, `[{"k":["v\\","w"]}]`: 3,
	} {
		if got := jsonDepth([]byte(s)); got != want {
			t.Errorf("jsonDepth(%s) = %d, want %d", s, got, want)
		}
	}
}

// depthReference is the plain byte loop jsonDepth replaces.
func depthReference(b []byte) int {
	depth, max, inStr := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			if c == '\\' {
				i++
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
			if depth > max {
				max = depth
			}
		case '}', ']':
			depth--
		}
	}
	return max
}

func TestJSONDepthMatchesReference(t *testing.T) {
	alphabet := []byte(`{}[]"\ax`)
	seed := uint32(7)
	for n := 0; n < 200000; n++ {
		l := int(seed % 24)
		b := make([]byte, l)
		for i := range b {
			seed = seed*1664525 + 1013904223
			b[i] = alphabet[(seed>>24)%uint32(len(alphabet))]
		}
		if got, want := jsonDepth(b), depthReference(b); got != want {
			t.Fatalf("jsonDepth(%q) = %d, reference %d", b, got, want)
		}
	}
}

// TestValueDepthMatchesBytes: on valid JSON, the depth measured on the
// parsed values is the depth of the bytes.
func TestValueDepthMatchesBytes(t *testing.T) {
	var p fastjson.Parser
	for _, s := range []string{`{}`, `[]`, `1`, `"[["`, `[[{}]]`, `{"a":"[[[["}`, `{"a":[1,{"b":[[]]}],"c":{}}`, `[{"k":["v\\","w"]}]`, good} {
		v, err := p.Parse(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if got, want := valueDepth(v), jsonDepth([]byte(s)); got != want {
			t.Errorf("valueDepth(%s) = %d, bytes %d", s, got, want)
		}
	}
	deep := strings.Repeat("[", 400) + strings.Repeat("]", 400)
	if _, _, err := NewDecoder(Limits{MaxDepth: 1000}).Decode([]byte(deep), recv); err == nil {
		t.Fatal("a 400-deep array decoded")
	}
	if _, _, err := Decode([]byte(deep), recv); err == nil || !strings.Contains(err.Error(), "nested 400 deep") {
		t.Fatalf("got %v", err)
	}
}
