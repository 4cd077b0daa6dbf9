package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/access"
	"github.com/claimscreen/claimscreen/internal/kafkaio"
	"github.com/claimscreen/claimscreen/internal/postgres"
	"github.com/claimscreen/claimscreen/internal/testenv"
)

// TestConnectingOriginatorsRunbook runs the commands of docs/operations.md
// "Connecting originators" (direct trust, users managed by claimscreen) on
// the local Kafka with SASL/SCRAM and ACLs, as the runbook's operator does.
func TestConnectingOriginatorsRunbook(t *testing.T) {
	dir, brokers := testenv.LocalTLS(t)
	pw, _ := os.ReadFile(filepath.Join(dir, "kafka-password"))
	p := fmt.Sprintf("rb%d", time.Now().UnixNano())
	env := map[string]string{
		"KAFKA_BROKERS": brokers, "KAFKA_TLS": "true", "KAFKA_TLS_CA": filepath.Join(dir, "ca.pem"),
		"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USER": "claimscreen", "KAFKA_SASL_PASSWORD": strings.TrimSpace(string(pw)),
		"DATABASE_URL":            testenv.FreshDatabase(t, postgres.MigrateURL),
		"CLAIMSCREEN_TRUST_MODEL": "direct", "CLAIMSCREEN_MANAGE_USERS": "true",
		"CLAIMSCREEN_GROUP": p + "-group", "CLAIMSCREEN_REVIEW_TOPIC": p + ".review", "CLAIMSCREEN_HELD_TOPIC": p + ".held",
		"CLAIMSCREEN_DEADLETTER_TOPIC": p + ".deadletter", "CLAIMSCREEN_NOTICE_TOPIC_TEMPLATE": p + ".notices.{originator}",
		"CLAIMSCREEN_DIRECT_INPUT_TOPIC_TEMPLATE": p + ".submitted.{originator}", "CLAIMSCREEN_DIRECT_X12_TOPIC_TEMPLATE": p + ".x12.{originator}",
		"CLAIMSCREEN_SERVICE_PRINCIPAL": "User:" + p + "-svc", "CLAIMSCREEN_GATEWAY_PRINCIPAL": "User:" + p + "-gw",
		"CLAIMSCREEN_ADJUSTERS_PRINCIPAL": "User:" + p + "-adj", "CLAIMSCREEN_ADJUSTERS_GROUP": p + "-adj",
		"CLAIMSCREEN_ORIGINATOR_USER_TEMPLATE": p + "-org.{originator}", "CLAIMSCREEN_ORIGINATOR_GROUP_TEMPLATE": p + ".nq.{originator}",
	}
	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(""), &out, &errb, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		return code, out.String(), errb.String()
	}
	must := func(args ...string) string {
		t.Helper()
		code, out, errOut := cli(args...)
		if code != 0 {
			t.Fatalf("claimscreen %s: exit %d: %s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	admin, err := kafkaio.NewConn([]string{brokers}, kafkaio.Security{TLS: true, TLSCAFile: env["KAFKA_TLS_CA"], SASLMechanism: "SCRAM-SHA-512",
		SASLUser: "claimscreen", SASLPassword: env["KAFKA_SASL_PASSWORD"]})
	if err != nil {
		t.Fatal(err)
	}
	topics := []string{p + ".review", p + ".held", p + ".deadletter"}
	for _, id := range []string{"ORG-A", "ORG-B"} {
		topics = append(topics, p+".notices."+id, p+".submitted."+id, p+".x12."+id)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		have, _ := admin.ACLs(ctx)
		var mine []access.ACL
		for _, a := range have {
			if strings.HasPrefix(a.Principal, "User:"+p) {
				mine = append(mine, a)
			}
		}
		admin.DeleteACLs(ctx, mine)
		admin.DeleteUser(ctx, p+"-org.ORG-A")
		admin.DeleteTopics(ctx, topics)
	})

	out := must("topics", "create", "--partitions", "1")
	if !strings.Contains(out, "3 topics exist (3 created); 7 ACLs created") {
		t.Errorf("topics create:\n%s", out)
	}
	out = must("originators", "add", "ORG-A")
	for _, want := range []string{"created topic " + p + ".submitted.ORG-A", "created SCRAM-SHA-512 user " + p + "-org.ORG-A",
		"created ACL User:" + p + "-org.ORG-A WRITE topic " + p + ".submitted.ORG-A", "originator ORG-A added"} {
		if !strings.Contains(out, want) {
			t.Errorf("originators add: want %q in\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`password of \S+ \(shown once[^)]*\): \S{20,}`).MatchString(out) {
		t.Errorf("originators add shows no password:\n%s", out)
	}
	if out := must("acls", "list", "--check"); !strings.Contains(out, "no drift") || !strings.Contains(out, "User:"+p+"-org.ORG-A  READ") {
		t.Errorf("acls list:\n%s", out)
	}

	// Bad input: told, nothing made.
	if code, _, errOut := cli("originators", "add", "ORG B"); code != 2 || !strings.Contains(errOut, `originator_id "ORG B" must match`) {
		t.Errorf("a bad id: exit %d: %s", code, errOut)
	}
	if code, _, errOut := cli("originators", "add", "ORG-A", "--password-file", "/nonexistent"); code != 2 || !strings.Contains(errOut, "password-file") {
		t.Errorf("a missing password file: exit %d: %s", code, errOut)
	}

	// Drift: an ACL deleted by hand is found, and put back.
	gone := access.ACL{Principal: "User:" + p + "-svc", Resource: access.Topic, Name: p + ".review", Operation: access.Write}
	if err := admin.DeleteACLs(context.Background(), []access.ACL{gone}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) { // until the brokers show it gone
		have, err := admin.ACLs(context.Background())
		if err != nil || !slices.Contains(have, gone) || time.Now().After(deadline) {
			break
		}
	}
	if code, out, errOut := cli("acls", "list", "--check"); code != 1 || !regexp.MustCompile(`\.review\s+missing`).MatchString(out) || !strings.Contains(errOut, "1 missing, 0 extra") {
		t.Errorf("acls list with drift: exit %d:\n%s%s", code, out, errOut)
	}
	if out := must("acls", "apply"); !strings.Contains(out, "1 ACLs created, 0 deleted") {
		t.Errorf("acls apply:\n%s", out)
	}

	// Disabled: its ACLs and user go; the table and the ACLs agree again.
	out = must("originators", "disable", "ORG-A")
	if !strings.Contains(out, "deleted ACL User:"+p+"-org.ORG-A WRITE topic "+p+".submitted.ORG-A") || !strings.Contains(out, "deleted SCRAM-SHA-512 user") {
		t.Errorf("originators disable:\n%s", out)
	}
	if out := must("acls", "list", "--check"); strings.Contains(out, "-org.ORG-A") {
		t.Errorf("a disabled originator keeps ACLs:\n%s", out)
	}
	// The table alone, without brokers.
	delete(env, "KAFKA_BROKERS")
	if out := must("originators", "add", "ORG-B", "--table-only"); !strings.Contains(out, "originator ORG-B added") {
		t.Errorf("--table-only:\n%s", out)
	}
	if code, _, errOut := cli("originators", "add", "ORG-B"); code != 2 || !strings.Contains(errOut, "no Kafka brokers") {
		t.Errorf("without brokers: exit %d: %s", code, errOut)
	}
}
