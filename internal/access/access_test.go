package access_test

import (
	"flag"
	"strings"
	"testing"

	"github.com/claimscreen/claimscreen/internal/access"
	"github.com/claimscreen/claimscreen/internal/config"
)

func model(t *testing.T, args ...string) access.Model {
	t.Helper()
	a, err := config.LoadAdmin(flag.NewFlagSet("t", flag.ContinueOnError), args, func(k string) (string, bool) {
		return map[string]string{"KAFKA_BROKERS": "a:1"}[k], k == "KAFKA_BROKERS"
	})
	if err != nil {
		t.Fatal(err)
	}
	return access.Model{Access: a.Access, Topics: a.Topics, Group: a.Consumer.GroupID}
}

func lines(acls []access.ACL) string {
	var b strings.Builder
	for _, a := range acls {
		b.WriteString(a.String() + "\n")
	}
	return b.String()
}

// The ACLs of each trust model, in full: what each principal may do.
func TestWant(t *testing.T) {
	gw := lines(model(t).Want(map[string]string{"LAB-1": "", "CLINIC-2": "notices.clinic-2"}))
	const wantGateway = `User:claimscreen-adjusters READ group claims.adjusters
User:claimscreen-adjusters READ topic claims.held
User:claimscreen-adjusters READ topic claims.review
User:claimscreen-gateway WRITE topic claims.submitted
User:claimscreen-gateway WRITE topic claims.x12.submitted
User:claimscreen-service READ group claimscreen
User:claimscreen-service WRITE topic claims.deadletter
User:claimscreen-service WRITE topic claims.held
User:claimscreen-service WRITE topic claims.notices.LAB-1
User:claimscreen-service WRITE topic claims.review
User:claimscreen-service READ topic claims.submitted
User:claimscreen-service READ topic claims.x12.submitted
User:claimscreen-service WRITE topic notices.clinic-2
User:originator.CLINIC-2 READ group claims.notices.CLINIC-2
User:originator.CLINIC-2 READ topic notices.clinic-2
User:originator.LAB-1 READ group claims.notices.LAB-1
User:originator.LAB-1 READ topic claims.notices.LAB-1
`
	if gw != wantGateway {
		t.Errorf("gateway trust:\n%s", gw)
	}
	direct := lines(model(t, "--trust-model", "direct").Want(map[string]string{"LAB-1": ""}))
	const wantDirect = `User:claimscreen-adjusters READ group claims.adjusters
User:claimscreen-adjusters READ topic claims.held
User:claimscreen-adjusters READ topic claims.review
User:claimscreen-service READ group claimscreen
User:claimscreen-service WRITE topic claims.deadletter
User:claimscreen-service WRITE topic claims.held
User:claimscreen-service WRITE topic claims.notices.LAB-1
User:claimscreen-service WRITE topic claims.review
User:claimscreen-service READ topic claims.submitted.LAB-1
User:claimscreen-service READ topic claims.x12.submitted.LAB-1
User:originator.LAB-1 READ group claims.notices.LAB-1
User:originator.LAB-1 READ topic claims.notices.LAB-1
User:originator.LAB-1 WRITE topic claims.submitted.LAB-1
User:originator.LAB-1 WRITE topic claims.x12.submitted.LAB-1
`
	if direct != wantDirect {
		t.Errorf("direct trust:\n%s", direct)
	}
	// No X12 topic: no X12 submit topic of its own either.
	if s := lines(model(t, "--trust-model", "direct", "--x12-topic", "").Want(map[string]string{"LAB-1": ""})); strings.Contains(s, "x12") {
		t.Errorf("without X12:\n%s", s)
	}
}

func TestDiff(t *testing.T) {
	m := model(t, "--trust-model", "direct")
	want := m.Want(map[string]string{"A": ""})
	other := access.ACL{Principal: "User:ops", Resource: access.Topic, Name: "claims.review", Operation: access.Read}
	disabled := m.Originator("B", "")
	have := append(append(append([]access.ACL(nil), want[1:]...), other), disabled...)
	d := m.Diff(want, have)
	if len(d.Missing) != 1 || d.Missing[0] != want[0] {
		t.Errorf("missing: %v", d.Missing)
	}
	// B's own ACLs and the service's on B's topics are extra; ops' are not
	// claimscreen's.
	if lines(d.Extra) != lines(access.Sort(disabled)) {
		t.Errorf("extra:\n%s", lines(d.Extra))
	}
	if d.None() || !m.Diff(want, want).None() {
		t.Error("None")
	}
	for p, managed := range map[string]bool{"User:originator.A": true, "User:originator.": false, "User:claimscreen-service": true, "User:ops": false, "Group:x": false} {
		if m.Managed(p) != managed {
			t.Errorf("Managed(%s) = %v", p, !managed)
		}
	}
}

func TestCheckOriginator(t *testing.T) {
	m := model(t, "--trust-model", "direct")
	if err := m.CheckOriginator("LAB-0042"); err != nil {
		t.Error(err)
	}
	for _, id := range []string{"", "a b", "A/B", "x*", strings.Repeat("A", 65)} {
		if err := m.CheckOriginator(id); err == nil {
			t.Errorf("%q taken", id)
		}
	}
	long := model(t, "--trust-model", "direct", "--direct-input-topic-template", strings.Repeat("t", 190)+".{originator}")
	if err := long.CheckOriginator(strings.Repeat("A", 64)); err == nil || !strings.Contains(err.Error(), "not a valid Kafka name") {
		t.Errorf("a topic name over 249 characters: %v", err)
	}
}

func TestListing(t *testing.T) {
	m := model(t)
	want := m.Want(nil)
	other := access.ACL{Principal: "User:ops", Resource: access.Topic, Name: "claims.review", Operation: access.Read}
	extra := m.Originator("GONE", "")
	have := append(append(append([]access.ACL(nil), want[1:]...), other), extra...)
	states := map[string]int{}
	for _, r := range m.Listing(have, m.Diff(want, have)) {
		states[r.State]++
	}
	if states["missing"] != 1 || states["other"] != 1 || states["extra"] != len(extra) || states["ok"] != len(want)-1 {
		t.Errorf("states: %v", states)
	}
}
