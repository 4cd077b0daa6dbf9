package postgres

import (
	"strings"
	"testing"
	"time"
)

func TestParseFilter(t *testing.T) {
	f, err := ParseFilter("held", "2026-01-02", "2026-01-03", "CLINIC-1")
	if err != nil {
		t.Fatal(err)
	}
	if f.Outcome != "held" || f.Originator != "CLINIC-1" || !f.From.Equal(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) ||
		!f.To.Equal(time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond)) {
		t.Errorf("%+v from %v to %v", f, f.From, f.To)
	}
	if f, err := ParseFilter("any", "", "", ""); err != nil || f.Outcome != "" || f.From != nil || f.To != nil {
		t.Errorf("any outcome, no dates: %+v %v", f, err)
	}
	for _, c := range []struct{ outcome, from, to, want string }{
		{"maybe", "", "", `--outcome "maybe"`},
		{"any", "02/01/2026", "", `date "02/01/2026"`},
		{"any", "", "2026-13-01", `date "2026-13-01"`},
	} {
		if _, err := ParseFilter(c.outcome, c.from, c.to, ""); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error naming %s", c, err, c.want)
		}
	}
}
