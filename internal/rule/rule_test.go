package rule

import (
	"os"
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	if len(Table) != 28 || len(byID) != 28 { // ARCHITECTURE §5, and the ten editors' diagnosis and coverage edits
		t.Fatalf("%d rules", len(Table))
	}
	for _, s := range Table {
		if s.When == "" || s.Stage < StageStructure || s.Stage > StageCodes {
			t.Errorf("%s: incomplete spec", s.ID)
		}
		if s.Default != Hold && s.CARC == "" {
			t.Errorf("%s: no CARC", s.ID)
		}
		if s.Default == Reject && !strings.HasPrefix(s.X12, "A") {
			t.Errorf("%s: a rejection needs a 277CA status", s.ID)
		}
	}
	f := NewDx(DxUnknown, true, "diagnoses[0].code", "Q999", "m")
	g := NewDx(DxUnknown, false, "diagnoses[1].code", "Q999", "m")
	if f.X12 != "A7:254" || f.RARC != "M76" || g.X12 != "A7:255" || g.RARC != "M64" || f.CARC != "16" {
		t.Errorf("principal %+v other %+v", f, g)
	}
}

func TestPolicy(t *testing.T) {
	p, err := NewPolicy(map[string]string{"NCCI_PTP": "off", "XWALK_MISSING": "hold"})
	if err != nil {
		t.Fatal(err)
	}
	fs := p.Apply([]Finding{New(NcciPTP, 1, "p", "", "m"), New(XwalkMissing, 1, "p", "", "m"), New(DxUnknown, 0, "p", "", "m")})
	if len(fs) != 2 || fs[0].Severity != Hold || fs[1].Severity != Reject {
		t.Errorf("%+v", fs)
	}
	if DefaultPolicy().Severity(MueExceeded) != Flag {
		t.Error("default")
	}
	if _, err := NewPolicy(map[string]string{"A": "off", "DX_UNKNOWN": "x"}); err == nil || !strings.Contains(err.Error(), `"A"`) || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("%v", err)
	}
}

// docs/rules.md lists the line rules of the table, all of them.
func TestDocsListTheLineRules(t *testing.T) {
	raw, err := os.ReadFile("../../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Join(strings.Fields(string(raw)), " ")
	var want []string
	for _, s := range Table {
		if s.X12Line {
			want = append(want, "`"+string(s.ID)+"`")
		}
	}
	if line := "line rules: " + strings.Join(want, ", ") + "."; !strings.Contains(doc, line) {
		t.Errorf("docs/rules.md should say %q", line)
	}
}
