package main

import (
	"strings"
	"testing"
)

// TestDemo runs `claimscreen demo` as `make demo` does: the embedded broker,
// the real service code, every outcome.
func TestDemo(t *testing.T) {
	code, out, errOut := runCmd(t, "", "demo")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"claims.review                      5",
		"claims.notices.<originator>        7",
		"claims.held                        1",
		"claims.deadletter                  2",
		"[flag NCCI_PTP]", "[flag DUPLICATE]", "MALFORMED at claims.submitted",
		`"schema": "notice.v1"`, "demo done",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(errOut, "M1001") || strings.Contains(out, "1961-03-14") {
		t.Error("the demo printed a member id or birth date")
	}
}
