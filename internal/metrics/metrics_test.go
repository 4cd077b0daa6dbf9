package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/rule"
	"github.com/claimscreen/claimscreen/internal/screening"
)

func get(t *testing.T, m *Metrics, path string) (int, string) {
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func TestEndpoints(t *testing.T) {
	m := New(func() int64 { return 42 })
	if code, _ := get(t, m, "/readyz"); code != 503 {
		t.Errorf("ready before start: %d", code)
	}
	m.Ready(true)
	if code, _ := get(t, m, "/readyz"); code != 200 {
		t.Errorf("readyz %d", code)
	}
	if code, _ := get(t, m, "/healthz"); code != 200 {
		t.Errorf("healthz %d", code)
	}
	d := screening.Decision{Outcome: screening.Rejected, Findings: []rule.Finding{rule.New(rule.DxUnknown, 0, "diagnoses[0].code", "Q999", "m")}}
	m.Decided(d.Outcome, &d)
	m.DeadLettered("MALFORMED")
	m.Fault("write")
	m.Batch(10, 20*time.Millisecond)
	_, body := get(t, m, "/metrics")
	for _, want := range []string{
		`claimscreen_claims_total{outcome="rejected"} 1`,
		`claimscreen_findings_total{rule="DX_UNKNOWN",severity="reject"} 1`,
		`claimscreen_deadletters_total{reason="MALFORMED"} 1`,
		`claimscreen_faults_total{stage="write"} 1`,
		`claimscreen_consumer_lag 42`,
		`claimscreen_batch_size_count 1`,
		`claimscreen_ready 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "Q999") {
		t.Error("a claim's code reached the metrics")
	}
}

func TestDependencyReadiness(t *testing.T) {
	m := New(nil)
	m.Ready(true)
	m.Dependency("kafka", true)
	m.Dependency("postgresql", false)
	code, body := get(t, m, "/readyz")
	if code != 503 || !strings.Contains(body, "postgresql unreachable") {
		t.Errorf("postgresql down: %d %q", code, body)
	}
	if _, mb := get(t, m, "/metrics"); !strings.Contains(mb, `claimscreen_dependency_up{dependency="postgresql"} 0`) || !strings.Contains(mb, "claimscreen_ready 0") {
		t.Errorf("metrics while postgresql is down:\n%s", mb)
	}
	m.Dependency("postgresql", true)
	if code, _ := get(t, m, "/readyz"); code != 200 {
		t.Errorf("after recovery: %d", code)
	}
	m.Ready(false)
	if code, body := get(t, m, "/readyz"); code != 503 || !strings.Contains(body, "retrying") {
		t.Errorf("pipeline retrying: %d %q", code, body)
	}
}
