package schemas_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/samples"
	"github.com/claimscreen/claimscreen/schemas"
)

func compile(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	out, err := schemas.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Validate reports whether msg is valid for the named schema.
func validate(s *jsonschema.Schema, msg []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(msg))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

const base = `{"claim_id":"PCN-1","originator_id":"LAB-0042","form":"professional","received_at":"2025-11-02T14:05:00Z",
"place_of_service":"11","diagnoses":[{"code":"E11.9"}],"lines":[{"number":1,"procedure":{"code":"G0438","modifiers":["LT"]},
"service_date":"2025-11-01","units":1,"charge":"125.00","diagnosis_pointers":[1]}],"total_charge":"125.00"}`

// Each example is the base claim with one replacement.
var examples = []struct{ old, new string }{
	{"", ""},
	{`"E11.9"`, `"e11 .9"`},
	{`"E11.9"`, `"E11.9","system":"ICD-10-CM"`},
	{`"E11.9"`, `"250.00","system":"ICD-9-CM"`},
	{`"G0438"`, `"99213"`},
	{`"G0438"`, `"0001u"`},
	{`"form":"professional",`, `"form":"professional","frequency":"7","patient":{"member_id":"M1","birth_date":"1980-05-01","sex":"U"},`},
	{`"form":"professional"`, `"form":"institutional","statement_period":{"from":"2025-11-01","through":"2025-11-02"}`},
	{`"units":1`, `"units":2.5`},
	{`"form":"professional"`, `"form":"institutional","bill_type":"111","statement_period":{"from":"2025-11-01","through":"2025-11-02"}`},
	{`"form":"professional"`, `"form":"institutional","bill_type":"0131","statement_period":{"from":"2025-11-01","through":"2025-11-02"}`},
	// invalid
	{`"form":"professional"`, `"form":"professional","bill_type":"111"`},
	{`"form":"professional"`, `"form":"institutional","bill_type":"11","statement_period":{"from":"2025-11-01","through":"2025-11-02"}`},
	{`"form":"professional",`, ``},
	{`"form":"professional"`, `"form":"dental"`},
	{`"form":"professional"`, `"form":"institutional"`},
	{`"frequency"`, `"x"`},
	{`"E11.9"`, `"E11.9X9999"`},
	{`"E11.9"`, `"11.9"`},
	{`"E11.9"`, `"E11.9","system":"ICD-9-CM"`},
	{`"E11.9"`, `"E11.9","system":"ICD-11"`},
	{`"G0438"`, `"9921"`},
	{`"G0438"`, `"G043A"`},
	{`["LT"]`, `["LT","RT","25","59","XS"]`},
	{`["LT"]`, `["L"]`},
	{`"units":1`, `"units":0`},
	{`"units":1`, `"units":"1"`},
	{`"charge":"125.00"`, `"charge":"125.001"`},
	{`"charge":"125.00"`, `"charge":125}`},
	{`"service_date":"2025-11-01"`, `"service_date":"2025-02-30"`},
	{`"service_date":"2025-11-01",`, ``},
	{`"diagnosis_pointers":[1]`, `"diagnosis_pointers":[]`},
	{`"diagnosis_pointers":[1]`, `"diagnosis_pointers":["1"]`},
	{`"place_of_service":"11"`, `"place_of_service":"1"`},
	{`"place_of_service":"11"`, `"place_of_service":null`},
	{`"received_at":"2025-11-02T14:05:00Z"`, `"received_at":"yesterday"`},
	{`"total_charge"`, `"unknown_field"`},
	{`"diagnoses":[{"code":"E11.9"}]`, `"diagnoses":[]`},
	{`"diagnoses":[{"code":"E11.9"}]`, `"diagnoses":[` + strings.Repeat(`{"code":"I10"},`, 12) + `{"code":"I10"}]`},
	{`"lines":[{`, `"lines":[{"bogus":1,`},
	{`"procedure":{"code":"G0438","modifiers":["LT"]}`, `"procedure":{"modifiers":["LT"]}`},
	{`"member_id"`, `"member_id"`},
	{`"form":"professional",`, `"form":"professional","patient":{"member_id":"a\u0001"},`},
	{`"form":"professional",`, `"form":"professional","patient":{"sex":"X"},`},
}

func TestSchemaAndDecoderAgree(t *testing.T) {
	s := compile(t)["claim.v1.json"]
	var msgs []string
	for _, ex := range examples {
		if ex.old == "" {
			msgs = append(msgs, base)
			continue
		}
		if !strings.Contains(base, ex.old) {
			continue
		}
		msgs = append(msgs, strings.Replace(base, ex.old, ex.new, 1))
	}
	sc := bufio.NewScanner(bytes.NewReader(samples.Claims))
	for sc.Scan() {
		msgs = append(msgs, sc.Text())
	}
	var valid, invalid int
	for _, m := range msgs {
		_, fs, err := claim.Decode([]byte(m), time.Now())
		decoderOK := err == nil && len(fs) == 0
		serr := validate(s, []byte(m))
		if decoderOK != (serr == nil) {
			t.Errorf("disagree on %s\n  decoder: err %v findings %+v\n  schema: %v", m, err, fs, serr)
		}
		if decoderOK {
			valid++
		} else {
			invalid++
		}
	}
	if valid < 10 || invalid < 25 {
		t.Errorf("too few examples: %d valid, %d invalid", valid, invalid)
	}
}

func TestOutputsMatchSchemas(t *testing.T) {
	// The decision, notice and review outputs are checked against their
	// schemas in internal/screening's golden test; here each schema at least
	// compiles and rejects an empty object.
	for n, s := range compile(t) {
		if err := validate(s, []byte(`{}`)); err == nil {
			t.Errorf("%s accepts {}", n)
		}
		var v map[string]any
		b, _ := schemas.FS.ReadFile(n)
		if err := json.Unmarshal(b, &v); err != nil || v["$id"] != schemas.BaseURI+n {
			t.Errorf("%s: $id %v", n, v["$id"])
		}
	}
}
