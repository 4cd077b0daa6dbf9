package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Service is the configuration of `claimscreen serve` (and demo, topics).
type Service struct {
	Brokers         []string
	Embedded        bool
	EmbeddedAddr    string
	GroupID         string
	InputTopic      string
	ReviewTopic     string
	HeldTopic       string
	DeadLetterTopic string
	NoticeTemplate  string
	Registry        string
	DatabaseURL     string
	Codesets        string
	Crosswalk       string
	ConfigFile      string
	BatchSize       int
	BatchWait       time.Duration
	ShutdownTimeout time.Duration
	SessionTimeout  time.Duration
	TopicRecheck    time.Duration
	HTTPAddr        string
	LogLevel        string
	KafkaTLS        bool
	KafkaTLSCA      string
	KafkaTLSCert    string
	KafkaTLSKey     string
	SASLMechanism   string
	SASLUser        string
	SASLPassword    string

	// From the configuration file.
	File *File
}

// Setting is one configuration setting: a flag, an environment variable,
// and a key in the file's "service" object, in increasing order of
// precedence: file, environment, flag.
type Setting struct {
	Name    string // flag name and file key
	Env     string
	Default string
	Help    string
	set     func(s *Service, v string) error
}

func str(p func(*Service) *string) func(*Service, string) error {
	return func(s *Service, v string) error { *p(s) = v; return nil }
}

func integer(p func(*Service) *int, min int) func(*Service, string) error {
	return func(s *Service, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < min {
			return fmt.Errorf("%q is not a whole number of at least %d", v, min)
		}
		*p(s) = n
		return nil
	}
}

func millis(p func(*Service) *time.Duration) func(*Service, string) error {
	return func(s *Service, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a number of milliseconds", v)
		}
		*p(s) = time.Duration(n) * time.Millisecond
		return nil
	}
}

func boolean(p func(*Service) *bool) func(*Service, string) error {
	return func(s *Service, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*p(s) = b
		return nil
	}
}

// Settings is every setting, in the order docs/configuration.md lists them.
var Settings = []Setting{
	{"brokers", "KAFKA_BROKERS", "", "Kafka bootstrap brokers, comma-separated (host:port). Required unless --embedded.", func(s *Service, v string) error {
		s.Brokers = nil
		for _, b := range strings.Split(v, ",") {
			if b = strings.TrimSpace(b); b != "" {
				s.Brokers = append(s.Brokers, b)
			}
		}
		return nil
	}},
	{"embedded", "CLAIMSCREEN_EMBEDDED", "false", "run an in-process Kafka-protocol broker (kfake) and an in-memory ledger", boolean(func(s *Service) *bool { return &s.Embedded })},
	{"embedded-addr", "CLAIMSCREEN_EMBEDDED_ADDR", "127.0.0.1:9092", "address of the embedded broker", str(func(s *Service) *string { return &s.EmbeddedAddr })},
	{"group", "CLAIMSCREEN_GROUP", "claimscreen", "Kafka consumer group", str(func(s *Service) *string { return &s.GroupID })},
	{"input-topic", "CLAIMSCREEN_INPUT_TOPIC", "claims.submitted", "topic of submitted claims (claim.v1)", str(func(s *Service) *string { return &s.InputTopic })},
	{"review-topic", "CLAIMSCREEN_REVIEW_TOPIC", "claims.review", "topic of accepted claims (review.v1)", str(func(s *Service) *string { return &s.ReviewTopic })},
	{"held-topic", "CLAIMSCREEN_HELD_TOPIC", "claims.held", "topic of held claims", str(func(s *Service) *string { return &s.HeldTopic })},
	{"deadletter-topic", "CLAIMSCREEN_DEADLETTER_TOPIC", "claims.deadletter", "topic of messages that cannot be answered", str(func(s *Service) *string { return &s.DeadLetterTopic })},
	{"notice-topic-template", "CLAIMSCREEN_NOTICE_TOPIC_TEMPLATE", "claims.notices.{originator}", "notice topic of an originator; {originator} is replaced by its id", str(func(s *Service) *string { return &s.NoticeTemplate })},
	{"database-url", "DATABASE_URL", "", "PostgreSQL URL: the decision ledger, the code-set and chart registry with hot reload, the originator table. Without it the ledger is in memory", str(func(s *Service) *string { return &s.DatabaseURL })},
	{"registry", "CLAIMSCREEN_REGISTRY", "", "originator registry CSV (originator_id,notice_topic,active); when set, unknown or inactive originators are dead-lettered", str(func(s *Service) *string { return &s.Registry })},
	{"codesets", "CLAIMSCREEN_CODESETS", "", "folder of code-set files; required without --database-url, which otherwise supplies the active releases", str(func(s *Service) *string { return &s.Codesets })},
	{"crosswalk", "CLAIMSCREEN_CROSSWALK", "", "crosswalk chart CSV file or folder", str(func(s *Service) *string { return &s.Crosswalk })},
	{"config", "CLAIMSCREEN_CONFIG", "", "configuration file (JSON): rules, limits, service", str(func(s *Service) *string { return &s.ConfigFile })},
	{"batch-size", "CLAIMSCREEN_BATCH_SIZE", "500", "most claims a batch", integer(func(s *Service) *int { return &s.BatchSize }, 1)},
	{"batch-wait-ms", "CLAIMSCREEN_BATCH_WAIT_MS", "50", "longest wait to fill a batch, in milliseconds", millis(func(s *Service) *time.Duration { return &s.BatchWait })},
	{"shutdown-timeout-ms", "CLAIMSCREEN_SHUTDOWN_TIMEOUT_MS", "30000", "time to finish the batch in hand on SIGTERM, in milliseconds", millis(func(s *Service) *time.Duration { return &s.ShutdownTimeout })},
	{"session-timeout-ms", "CLAIMSCREEN_SESSION_TIMEOUT_MS", "10000", "consumer group session timeout: how long the group waits for an instance that stopped answering before its partitions move, in milliseconds (the broker allows 6000 to 1800000 by default)", millis(func(s *Service) *time.Duration { return &s.SessionTimeout })},
	{"topic-recheck-ms", "CLAIMSCREEN_TOPIC_RECHECK_MS", "30000", "how long a notice topic found missing is taken as missing before the brokers are asked again, in milliseconds", millis(func(s *Service) *time.Duration { return &s.TopicRecheck })},
	{"http-addr", "CLAIMSCREEN_HTTP_ADDR", "127.0.0.1:8080", "address of /metrics, /healthz and /readyz", str(func(s *Service) *string { return &s.HTTPAddr })},
	{"log-level", "CLAIMSCREEN_LOG_LEVEL", "info", "debug, info, warn or error", str(func(s *Service) *string { return &s.LogLevel })},
	{"kafka-tls", "KAFKA_TLS", "false", "connect to Kafka over TLS", boolean(func(s *Service) *bool { return &s.KafkaTLS })},
	{"kafka-tls-ca", "KAFKA_TLS_CA", "", "PEM file of the CA that signed the brokers' certificates (default: system roots)", str(func(s *Service) *string { return &s.KafkaTLSCA })},
	{"kafka-tls-cert", "KAFKA_TLS_CERT", "", "client certificate PEM file, for mutual TLS", str(func(s *Service) *string { return &s.KafkaTLSCert })},
	{"kafka-tls-key", "KAFKA_TLS_KEY", "", "client key PEM file, for mutual TLS", str(func(s *Service) *string { return &s.KafkaTLSKey })},
	{"kafka-sasl-mechanism", "KAFKA_SASL_MECHANISM", "", "SCRAM-SHA-256 or SCRAM-SHA-512; empty for none", str(func(s *Service) *string { return &s.SASLMechanism })},
	{"kafka-sasl-user", "KAFKA_SASL_USER", "", "SASL user", str(func(s *Service) *string { return &s.SASLUser })},
	{"kafka-sasl-password", "KAFKA_SASL_PASSWORD", "", "SASL password (prefer the environment to a flag)", str(func(s *Service) *string { return &s.SASLPassword })},
}

var topicName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)

// LoadService reads the settings: defaults, then the file named by
// --config (or CLAIMSCREEN_CONFIG), then the environment, then the flags.
// It reports every problem at once. fs may already hold other flags.
func LoadService(fs *flag.FlagSet, args []string, lookup func(string) (string, bool)) (*Service, error) {
	s := &Service{}
	for _, st := range Settings {
		if err := st.set(s, st.Default); err != nil {
			panic("config: bad default for " + st.Name)
		}
	}
	flagVals := map[string]string{}
	for _, st := range Settings {
		name := st.Name
		if st.Default == "true" || st.Default == "false" {
			fs.BoolFunc(name, st.Help+envNote(st), func(v string) error { flagVals[name] = v; return nil })
			continue
		}
		fs.Func(name, st.Help+envNote(st), func(v string) error { flagVals[name] = v; return nil })
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	var errs []error
	apply := func(src string, vals map[string]string) {
		for _, st := range Settings {
			if v, ok := vals[st.Name]; ok {
				if err := st.set(s, v); err != nil {
					errs = append(errs, fmt.Errorf("%s %s: %w", src, st.Name, err))
				}
			}
		}
	}
	env := map[string]string{}
	for _, st := range Settings {
		if v, ok := lookup(st.Env); ok && v != "" {
			env[st.Name] = v
		}
	}
	cfgPath := flagVals["config"]
	if cfgPath == "" {
		cfgPath = env["config"]
	}
	s.File = &File{}
	if cfgPath != "" {
		f, err := os.Open(cfgPath)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		cf, _, err := Parse(cfgPath, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		s.File = cf
		known := map[string]bool{}
		for _, st := range Settings {
			known[st.Name] = true
		}
		keys := make([]string, 0, len(cf.Service))
		for k := range cf.Service {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !known[k] {
				errs = append(errs, fmt.Errorf("config %s: service.%s is not a setting", cfgPath, k))
			}
		}
		apply("config file", cf.Service)
	}
	apply("environment", env)
	apply("flag", flagVals)

	if !s.Embedded && len(s.Brokers) == 0 {
		errs = append(errs, errors.New("no Kafka brokers: set KAFKA_BROKERS or --brokers (or use --embedded)"))
	}
	if s.Codesets == "" && s.DatabaseURL == "" {
		errs = append(errs, errors.New("--codesets (CLAIMSCREEN_CODESETS) or --database-url (DATABASE_URL) is required"))
	}
	for name, t := range map[string]string{"input-topic": s.InputTopic, "review-topic": s.ReviewTopic, "held-topic": s.HeldTopic, "deadletter-topic": s.DeadLetterTopic} {
		if !topicName.MatchString(t) {
			errs = append(errs, fmt.Errorf("%s %q is not a valid Kafka topic name", name, t))
		}
	}
	if !strings.Contains(s.NoticeTemplate, "{originator}") || !topicName.MatchString(strings.ReplaceAll(s.NoticeTemplate, "{originator}", "X")) {
		errs = append(errs, fmt.Errorf("notice-topic-template %q must contain {originator} and otherwise only letters, digits, '.', '_' and '-'", s.NoticeTemplate))
	}
	switch s.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log-level %q: want debug, info, warn or error", s.LogLevel))
	}
	if s.SASLMechanism != "" && (s.SASLUser == "" || s.SASLPassword == "") {
		errs = append(errs, errors.New("kafka-sasl-mechanism needs kafka-sasl-user and kafka-sasl-password"))
	}
	if (s.KafkaTLSCert == "") != (s.KafkaTLSKey == "") {
		errs = append(errs, errors.New("kafka-tls-cert and kafka-tls-key go together"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

func envNote(st Setting) string {
	s := " (env " + st.Env
	if st.Default != "" {
		s += ", default " + st.Default
	}
	return s + ")"
}

// MarkdownTable renders the settings for docs/configuration.md.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| flag | environment | default | meaning |\n|---|---|---|---|\n")
	for _, st := range Settings {
		def := st.Default
		if def == "" {
			def = "—"
		} else {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | %s | %s |\n", st.Name, st.Env, def, st.Help)
	}
	return b.String()
}
