package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestPrecedenceAndDefaults(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "c.json")
	os.WriteFile(f, []byte(`{"rules":{"NCCI_PTP":"off"},"service":{"group":"from-file","batch-size":"7","input-topic":"file.in"}}`), 0o644)
	s, err := LoadServe(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--config", f, "--batch-size", "9", "--codesets", "x"},
		env(map[string]string{"KAFKA_BROKERS": "a:1, b:2", "CLAIMSCREEN_GROUP": "from-env"}))
	if err != nil {
		t.Fatal(err)
	}
	if s.Consumer.GroupID != "from-env" || s.Consumer.BatchSize != 9 || s.Topics.Input != "file.in" || strings.Join(s.Kafka.Brokers, ",") != "a:1,b:2" ||
		s.Consumer.BatchWait != 50*time.Millisecond || s.Topics.Review != "claims.review" || s.Screening.File.Rules["NCCI_PTP"] != "off" {
		t.Errorf("%+v", s)
	}
}

func TestEveryProblemAtOnce(t *testing.T) {
	_, err := LoadServe(flag.NewFlagSet("t", flag.ContinueOnError),
		[]string{"--batch-size", "0", "--review-topic", "bad topic", "--notice-topic-template", "x", "--log-level", "loud", "--kafka-sasl-mechanism", "SCRAM-SHA-256"},
		env(nil))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"batch-size", "review-topic", "notice-topic-template", "log-level", "no Kafka brokers", "--codesets", "kafka-sasl-user"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

// An admin command takes only its parts' settings, and a serve setting in
// a shared configuration file is no error there.
func TestAdminParts(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "c.json")
	os.WriteFile(f, []byte(`{"service":{"batch-size":"7","deadletter-topic":"file.dlq"}}`), 0o644)
	a, err := LoadAdmin(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--config", f}, env(map[string]string{"KAFKA_BROKERS": "a:1"}))
	if err != nil {
		t.Fatal(err)
	}
	if a.Topics.DeadLetter != "file.dlq" || a.Kafka.Brokers[0] != "a:1" {
		t.Errorf("%+v", a)
	}
	if _, err := LoadAdmin(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--http-addr", "127.0.0.1:1"}, env(map[string]string{"KAFKA_BROKERS": "a:1"})); err == nil {
		t.Error("an admin command took --http-addr")
	}
	// A command that needs no brokers (originators add --table-only) is not
	// refused for want of them; one that does is.
	if _, err := LoadAdminFor(flag.NewFlagSet("t", flag.ContinueOnError), nil, env(nil), func() bool { return false }); err != nil {
		t.Errorf("without brokers, not needed: %v", err)
	}
	if _, err := LoadAdminFor(flag.NewFlagSet("t", flag.ContinueOnError), nil, env(nil), func() bool { return true }); err == nil || !strings.Contains(err.Error(), "no Kafka brokers") {
		t.Errorf("without brokers, needed: %v", err)
	}
	if _, err := LoadAdmin(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--kafka-compression", "brotli"}, env(map[string]string{"KAFKA_BROKERS": "a:1"})); err == nil || !strings.Contains(err.Error(), `kafka-compression "brotli"`) {
		t.Errorf("an unknown compression: %v", err)
	}
	// Bad trust settings are each told.
	_, err = LoadAdmin(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--trust-model", "open", "--direct-input-topic-template", "in.{originator}.{originator}",
		"--service-principal", "claimscreen", "--originator-user-template", "u"}, env(map[string]string{"KAFKA_BROKERS": "a:1"}))
	for _, want := range []string{"trust-model \"open\"", "direct-input-topic-template", "service-principal", "originator-user-template"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad access settings: want %s in %v", want, err)
		}
	}
	if _, err := LoadServe(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--codesets", "x", "--http-addr", "nope", "--group", " "}, env(map[string]string{"KAFKA_BROKERS": "a:1"})); err == nil ||
		!strings.Contains(err.Error(), "http-addr") || !strings.Contains(err.Error(), "group") {
		t.Errorf("bad http-addr and group: %v", err)
	}
}

func TestDocsTableIsCurrent(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), MarkdownTable()) {
		t.Error("docs/configuration.md's table differs from internal/config.Settings; regenerate it")
	}
}

// FuzzConfigFile: any configuration file is read or refused with its name,
// never a panic.
func FuzzConfigFile(f *testing.F) {
	f.Add(`{"rules":{"NCCI_PTP":"off"},"limits":{"max_bytes":1000}}`)
	f.Add(`{"service":{"group":"g","batch-size":"7"}}`)
	f.Add(`{"rules":{"NOPE":"reject"}}`)
	f.Fuzz(func(t *testing.T, body string) {
		_, _, err := Parse("c.json", strings.NewReader(body))
		if err != nil && !strings.Contains(err.Error(), "c.json") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}
