package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/claimscreen/claimscreen/pipeline"
)

// The configuration of each command is composed of these parts; each
// part's Validate reports every problem it has at once, and a command's
// Validate joins its parts' and its own cross-checks.

// Kafka is how to reach the brokers.
type Kafka struct {
	Brokers       []string
	Embedded      bool
	EmbeddedAddr  string
	TLS           bool
	TLSCA         string
	TLSCert       string
	TLSKey        string
	SASLMechanism string
	SASLUser      string
	SASLPassword  string
	Compression   string // of what the service writes: none, gzip, snappy, lz4, zstd
}

// Validate implements the part's checks.
func (k *Kafka) Validate() error {
	var errs []error
	if !k.Embedded && len(k.Brokers) == 0 {
		errs = append(errs, errors.New("no Kafka brokers: set KAFKA_BROKERS or --brokers (or use --embedded)"))
	}
	if k.SASLMechanism != "" && (k.SASLUser == "" || k.SASLPassword == "") {
		errs = append(errs, errors.New("kafka-sasl-mechanism needs kafka-sasl-user and kafka-sasl-password"))
	}
	if (k.TLSCert == "") != (k.TLSKey == "") {
		errs = append(errs, errors.New("kafka-tls-cert and kafka-tls-key go together"))
	}
	switch k.Compression {
	case "none", "gzip", "snappy", "lz4", "zstd":
	default:
		errs = append(errs, fmt.Errorf("kafka-compression %q: want none, gzip, snappy, lz4 or zstd", k.Compression))
	}
	return errors.Join(errs...)
}

// Topics are the topics the service reads and writes.
type Topics struct {
	Input          string
	X12            string // X12 837 interchanges, one a message; "" reads none
	Review         string
	Held           string
	DeadLetter     string
	NoticeTemplate string
}

// Pipeline returns the output topics as the pipeline names them.
func (t *Topics) Pipeline() pipeline.Topics {
	return pipeline.Topics{Review: t.Review, Held: t.Held, DeadLetter: t.DeadLetter, NoticeTemplate: t.NoticeTemplate}
}

// Base are the topics that exist whatever the originators: input, review,
// held and dead letters.
func (t *Topics) Base() []string {
	return append(t.Inputs(), t.Review, t.Held, t.DeadLetter)
}

// Inputs are the topics the service reads: claim.v1, then X12 when set.
func (t *Topics) Inputs() []string {
	if t.X12 == "" {
		return []string{t.Input}
	}
	return []string{t.Input, t.X12}
}

// Validate implements the part's checks.
func (t *Topics) Validate() error {
	var errs []error
	for name, v := range map[string]string{"input-topic": t.Input, "review-topic": t.Review, "held-topic": t.Held, "deadletter-topic": t.DeadLetter} {
		if !pipeline.ValidTopicName(v) {
			errs = append(errs, fmt.Errorf("%s %q is not a valid Kafka topic name", name, v))
		}
	}
	if t.X12 != "" && !pipeline.ValidTopicName(t.X12) {
		errs = append(errs, fmt.Errorf("x12-topic %q is not a valid Kafka topic name", t.X12))
	}
	if t.X12 != "" && t.X12 == t.Input {
		errs = append(errs, fmt.Errorf("x12-topic and input-topic are both %q: claim.v1 and X12 need topics of their own", t.X12))
	}
	if !strings.Contains(t.NoticeTemplate, pipeline.OriginatorPlaceholder) || !pipeline.ValidTopicName(t.Pipeline().NoticeTopic("X")) {
		errs = append(errs, fmt.Errorf("notice-topic-template %q must contain %s and otherwise only letters, digits, '.', '_' and '-'", t.NoticeTemplate, pipeline.OriginatorPlaceholder))
	}
	sortErrs(errs)
	return errors.Join(errs...)
}

// Trust models (docs/operations.md, "Connecting originators").
const (
	// TrustGateway: only the insurer's intake gateway writes the shared
	// submit topics; the originator_id (or X12 trading-partner id) it
	// writes is trusted because the gateway authenticated the sender.
	TrustGateway = "gateway"
	// TrustDirect: each originator writes submit topics of its own; the
	// topic is the identity, and a message naming another originator is
	// dead-lettered ORIGINATOR_MISMATCH.
	TrustDirect = "direct"
)

// Access is who may do what on the topics: the trust model, the
// principals of the service, the gateway and the adjusters, and the
// templates of each originator's submit topics, user and group.
type Access struct {
	Trust string
	// DirectInput and DirectX12 make an originator's own submit topics
	// (direct trust); DirectX12 "" gives none for X12.
	DirectInput, DirectX12 string
	ServicePrincipal       string
	GatewayPrincipal       string
	AdjustersPrincipal     string
	AdjustersGroup         string
	// OriginatorUser and OriginatorGroup make an originator's SCRAM user
	// (its principal is User:<name>) and the consumer group it reads its
	// notices with.
	OriginatorUser, OriginatorGroup string
	// ManageUsers: originators add creates the originator's SCRAM user
	// (and disable deletes it); otherwise the operator manages users.
	ManageUsers bool
}

// Direct reports whether the direct trust model is in force.
func (a *Access) Direct() bool { return a.Trust == TrustDirect }

// Validate implements the part's checks.
func (a *Access) Validate() error {
	var errs []error
	if a.Trust != TrustGateway && a.Trust != TrustDirect {
		errs = append(errs, fmt.Errorf("trust-model %q: want %s or %s", a.Trust, TrustGateway, TrustDirect))
	}
	for _, t := range []struct{ name, v string }{{"direct-input-topic-template", a.DirectInput}, {"direct-x12-topic-template", a.DirectX12},
		{"originator-user-template", a.OriginatorUser}, {"originator-group-template", a.OriginatorGroup}} {
		if t.v == "" && t.name == "direct-x12-topic-template" {
			continue
		}
		if strings.Count(t.v, pipeline.OriginatorPlaceholder) != 1 || !pipeline.ValidTopicName(strings.ReplaceAll(t.v, pipeline.OriginatorPlaceholder, "X")) {
			errs = append(errs, fmt.Errorf("%s %q must contain %s once and otherwise only letters, digits, '.', '_' and '-'", t.name, t.v, pipeline.OriginatorPlaceholder))
		}
	}
	if a.DirectX12 != "" && a.DirectX12 == a.DirectInput {
		errs = append(errs, fmt.Errorf("direct-x12-topic-template and direct-input-topic-template are both %q", a.DirectX12))
	}
	for _, p := range []struct{ name, v string }{{"service-principal", a.ServicePrincipal}, {"gateway-principal", a.GatewayPrincipal}, {"adjusters-principal", a.AdjustersPrincipal}} {
		if name, ok := strings.CutPrefix(p.v, "User:"); !ok || name == "" || strings.ContainsAny(name, " ,;*") {
			errs = append(errs, fmt.Errorf("%s %q must be User:NAME", p.name, p.v))
		}
	}
	if !pipeline.ValidTopicName(a.AdjustersGroup) {
		errs = append(errs, fmt.Errorf("adjusters-group %q must be letters, digits, '.', '_' and '-'", a.AdjustersGroup))
	}
	sortErrs(errs)
	return errors.Join(errs...)
}

// Consumer is the consumer group and the batch loop.
type Consumer struct {
	GroupID         string
	BatchSize       int
	BatchWait       time.Duration
	ShutdownTimeout time.Duration
	SessionTimeout  time.Duration
	TopicRecheck    time.Duration
	// MaxInterchangeBytes is the largest X12 message taken (bigger ones
	// are dead-lettered TOO_LARGE); the reader fetches and the writer
	// writes messages up to this size.
	MaxInterchangeBytes int
	// MaxBatchBytes bounds a batch by the bytes of its input messages (at
	// least one message a batch): a batch of X12 interchanges holds every
	// claim they carry at once.
	MaxBatchBytes int
}

// Validate implements the part's checks.
func (c *Consumer) Validate() error {
	if strings.TrimSpace(c.GroupID) == "" {
		return errors.New("group must not be empty")
	}
	return nil
}

// PostgreSQL is the database.
type PostgreSQL struct {
	URL string
}

// Validate implements the part's checks.
func (p *PostgreSQL) Validate() error {
	if p.URL != "" && !strings.HasPrefix(p.URL, "postgres://") && !strings.HasPrefix(p.URL, "postgresql://") && !strings.Contains(p.URL, "=") {
		return fmt.Errorf("database-url must be a postgres:// URL or key=value settings")
	}
	return nil
}

// HTTP is the metrics and health endpoint.
type HTTP struct {
	Addr string
}

// Validate implements the part's checks.
func (h *HTTP) Validate() error {
	if _, _, err := net.SplitHostPort(h.Addr); err != nil {
		return fmt.Errorf("http-addr %q: %v", h.Addr, err)
	}
	return nil
}

// Screening is the reference data and the rules.
type Screening struct {
	Codesets   string
	Crosswalk  string
	Registry   string // originator table file
	ConfigFile string
	// File is the configuration file's content (rules, limits).
	File *File
}

// Validate implements the part's checks.
func (s *Screening) Validate() error { return nil }

// Logging is the log level.
type Logging struct {
	Level string
}

// Validate implements the part's checks.
func (l *Logging) Validate() error {
	switch l.Level {
	case "debug", "info", "warn", "error":
		return nil
	}
	return fmt.Errorf("log-level %q: want debug, info, warn or error", l.Level)
}

// Serve is the configuration of `claimscreen serve` and `demo`.
type Serve struct {
	Kafka      Kafka
	Topics     Topics
	Consumer   Consumer
	PostgreSQL PostgreSQL
	HTTP       HTTP
	Screening  Screening
	Log        Logging
	Access     Access
}

func (s *Serve) parts() parts {
	return parts{kafka: &s.Kafka, topics: &s.Topics, consumer: &s.Consumer, pg: &s.PostgreSQL, http: &s.HTTP, screening: &s.Screening, log: &s.Log, access: &s.Access}
}

// Validate checks every part, and that there is reference data.
func (s *Serve) Validate() error {
	errs := s.parts().validate()
	if s.Screening.Codesets == "" && s.PostgreSQL.URL == "" {
		errs = append(errs, errors.New("--codesets (CLAIMSCREEN_CODESETS) or --database-url (DATABASE_URL) is required"))
	}
	if s.Access.Direct() && s.Screening.Registry == "" && s.PostgreSQL.URL == "" {
		errs = append(errs, errors.New("trust-model direct reads the originators' own topics from the originator table: give --registry or --database-url"))
	}
	return errors.Join(errs...)
}

// Admin is the configuration of the commands that work on the topics and
// the ledger beside the service: topics create, replay, deadletters.
type Admin struct {
	Kafka      Kafka
	Topics     Topics
	Consumer   Consumer // the service's group, for its ACLs
	PostgreSQL PostgreSQL
	Screening  Screening
	Log        Logging
	Access     Access
}

func (a *Admin) parts() parts {
	return parts{kafka: &a.Kafka, topics: &a.Topics, consumer: &a.Consumer, pg: &a.PostgreSQL, screening: &a.Screening, log: &a.Log, access: &a.Access}
}

// Validate checks every part.
func (a *Admin) Validate() error { return errors.Join(a.parts().validate()...) }

// parts points at the parts a command has; nil for those it has not.
type parts struct {
	kafka     *Kafka
	topics    *Topics
	consumer  *Consumer
	pg        *PostgreSQL
	http      *HTTP
	screening *Screening
	log       *Logging
	access    *Access
}

func (p parts) has(g group) bool {
	switch g {
	case groupKafka:
		return p.kafka != nil
	case groupTopics:
		return p.topics != nil
	case groupConsumer:
		return p.consumer != nil
	case groupPostgreSQL:
		return p.pg != nil
	case groupHTTP:
		return p.http != nil
	case groupScreening:
		return p.screening != nil
	case groupLog:
		return p.log != nil
	case groupAccess:
		return p.access != nil
	}
	return false
}

func (p parts) validate() []error {
	var vs []interface{ Validate() error }
	if p.kafka != nil {
		vs = append(vs, p.kafka)
	}
	if p.topics != nil {
		vs = append(vs, p.topics)
	}
	if p.consumer != nil {
		vs = append(vs, p.consumer)
	}
	if p.pg != nil {
		vs = append(vs, p.pg)
	}
	if p.http != nil {
		vs = append(vs, p.http)
	}
	if p.screening != nil {
		vs = append(vs, p.screening)
	}
	if p.log != nil {
		vs = append(vs, p.log)
	}
	if p.access != nil {
		vs = append(vs, p.access)
	}
	var errs []error
	for _, v := range vs {
		if err := v.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// group is the part a setting belongs to.
type group string

const (
	groupKafka      group = "kafka"
	groupTopics     group = "topics"
	groupConsumer   group = "consumer"
	groupPostgreSQL group = "postgresql"
	groupHTTP       group = "http"
	groupScreening  group = "screening"
	groupLog        group = "log"
	groupAccess     group = "access"
)

// Setting is one configuration setting: a flag, an environment variable,
// and a key in the file's "service" object, in increasing order of
// precedence: file, environment, flag.
type Setting struct {
	Name    string // flag name and file key
	Env     string
	Default string
	Help    string
	group   group
	set     func(p parts, v string) error
}

// binder sets one field of a part from a setting's text.
type binder struct {
	g   group
	set func(p parts, v string) error
}

func str(g group, field func(parts) *string) binder {
	return binder{g, func(p parts, v string) error { *field(p) = v; return nil }}
}

func integer(g group, field func(parts) *int, min int) binder {
	return binder{g, func(p parts, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < min {
			return fmt.Errorf("%q is not a whole number of at least %d", v, min)
		}
		*field(p) = n
		return nil
	}}
}

func millis(g group, field func(parts) *time.Duration) binder {
	return binder{g, func(p parts, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a number of milliseconds", v)
		}
		*field(p) = time.Duration(n) * time.Millisecond
		return nil
	}}
}

func boolean(g group, field func(parts) *bool) binder {
	return binder{g, func(p parts, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*field(p) = b
		return nil
	}}
}

// Settings is every setting, in the order docs/configuration.md lists them.
var Settings = []Setting{
	mk("brokers", "KAFKA_BROKERS", "", "Kafka bootstrap brokers, comma-separated (host:port). Required unless --embedded.", binder{groupKafka, func(p parts, v string) error {
		p.kafka.Brokers = nil
		for _, b := range strings.Split(v, ",") {
			if b = strings.TrimSpace(b); b != "" {
				p.kafka.Brokers = append(p.kafka.Brokers, b)
			}
		}
		return nil
	}}),
	mk("embedded", "CLAIMSCREEN_EMBEDDED", "false", "run an in-process Kafka-protocol broker (kfake) and an in-memory ledger", boolean(groupKafka, func(p parts) *bool { return &p.kafka.Embedded })),
	mk("embedded-addr", "CLAIMSCREEN_EMBEDDED_ADDR", "127.0.0.1:9092", "address of the embedded broker", str(groupKafka, func(p parts) *string { return &p.kafka.EmbeddedAddr })),
	mk("group", "CLAIMSCREEN_GROUP", "claimscreen", "Kafka consumer group", str(groupConsumer, func(p parts) *string { return &p.consumer.GroupID })),
	mk("input-topic", "CLAIMSCREEN_INPUT_TOPIC", "claims.submitted", "topic of submitted claims (claim.v1)", str(groupTopics, func(p parts) *string { return &p.topics.Input })),
	mk("x12-topic", "CLAIMSCREEN_X12_TOPIC", "claims.x12.submitted", "topic of submitted X12 837 interchanges, one a message; empty reads none", str(groupTopics, func(p parts) *string { return &p.topics.X12 })),
	mk("review-topic", "CLAIMSCREEN_REVIEW_TOPIC", "claims.review", "topic of accepted claims (review.v1)", str(groupTopics, func(p parts) *string { return &p.topics.Review })),
	mk("held-topic", "CLAIMSCREEN_HELD_TOPIC", "claims.held", "topic of held claims", str(groupTopics, func(p parts) *string { return &p.topics.Held })),
	mk("deadletter-topic", "CLAIMSCREEN_DEADLETTER_TOPIC", "claims.deadletter", "topic of messages that cannot be answered", str(groupTopics, func(p parts) *string { return &p.topics.DeadLetter })),
	mk("notice-topic-template", "CLAIMSCREEN_NOTICE_TOPIC_TEMPLATE", "claims.notices.{originator}", "notice topic of an originator; {originator} is replaced by its id", str(groupTopics, func(p parts) *string { return &p.topics.NoticeTemplate })),
	mk("database-url", "DATABASE_URL", "", "PostgreSQL URL: the decision ledger, the code-set and chart registry with hot reload, the originator table. Without it the ledger is in memory", str(groupPostgreSQL, func(p parts) *string { return &p.pg.URL })),
	mk("registry", "CLAIMSCREEN_REGISTRY", "", "originator table file CSV (originator_id,notice_topic,active); when set, unknown or inactive originators are dead-lettered", str(groupScreening, func(p parts) *string { return &p.screening.Registry })),
	mk("codesets", "CLAIMSCREEN_CODESETS", "", "folder of code-set files; required without --database-url, which otherwise supplies the active releases", str(groupScreening, func(p parts) *string { return &p.screening.Codesets })),
	mk("crosswalk", "CLAIMSCREEN_CROSSWALK", "", "crosswalk chart CSV file or folder", str(groupScreening, func(p parts) *string { return &p.screening.Crosswalk })),
	mk("config", "CLAIMSCREEN_CONFIG", "", "configuration file (JSON): rules, limits, service", str(groupScreening, func(p parts) *string { return &p.screening.ConfigFile })),
	mk("batch-size", "CLAIMSCREEN_BATCH_SIZE", "500", "most claims a batch (an X12 interchange counts as the claims it holds; a batch always takes at least one message)", integer(groupConsumer, func(p parts) *int { return &p.consumer.BatchSize }, 1)),
	mk("batch-wait-ms", "CLAIMSCREEN_BATCH_WAIT_MS", "50", "longest wait to fill a batch, in milliseconds", millis(groupConsumer, func(p parts) *time.Duration { return &p.consumer.BatchWait })),
	mk("shutdown-timeout-ms", "CLAIMSCREEN_SHUTDOWN_TIMEOUT_MS", "30000", "time to finish the batch in hand on SIGTERM, in milliseconds", millis(groupConsumer, func(p parts) *time.Duration { return &p.consumer.ShutdownTimeout })),
	mk("session-timeout-ms", "CLAIMSCREEN_SESSION_TIMEOUT_MS", "10000", "consumer group session timeout: how long the group waits for an instance that stopped answering before its partitions move, in milliseconds (the broker allows 6000 to 1800000 by default)", millis(groupConsumer, func(p parts) *time.Duration { return &p.consumer.SessionTimeout })),
	mk("max-interchange-bytes", "CLAIMSCREEN_MAX_INTERCHANGE_BYTES", "16777216", "largest X12 interchange message taken, in bytes (bigger ones are dead-lettered TOO_LARGE); the brokers' message.max.bytes must allow it", integer(groupConsumer, func(p parts) *int { return &p.consumer.MaxInterchangeBytes }, 1024)),
	mk("max-batch-bytes", "CLAIMSCREEN_MAX_BATCH_BYTES", strconv.Itoa(pipeline.DefaultMaxBatchBytes), "most bytes of input messages a batch takes (always at least one message): what bounds the memory of a batch of X12 interchanges, whose claims are all held together", integer(groupConsumer, func(p parts) *int { return &p.consumer.MaxBatchBytes }, 1024)),
	mk("topic-recheck-ms", "CLAIMSCREEN_TOPIC_RECHECK_MS", "30000", "how long a notice topic found missing is taken as missing before the brokers are asked again, in milliseconds", millis(groupConsumer, func(p parts) *time.Duration { return &p.consumer.TopicRecheck })),
	mk("http-addr", "CLAIMSCREEN_HTTP_ADDR", "127.0.0.1:8080", "address of /metrics, /healthz and /readyz", str(groupHTTP, func(p parts) *string { return &p.http.Addr })),
	mk("log-level", "CLAIMSCREEN_LOG_LEVEL", "info", "debug, info, warn or error", str(groupLog, func(p parts) *string { return &p.log.Level })),
	mk("kafka-tls", "KAFKA_TLS", "false", "connect to Kafka over TLS", boolean(groupKafka, func(p parts) *bool { return &p.kafka.TLS })),
	mk("kafka-tls-ca", "KAFKA_TLS_CA", "", "PEM file of the CA that signed the brokers' certificates (default: system roots)", str(groupKafka, func(p parts) *string { return &p.kafka.TLSCA })),
	mk("kafka-tls-cert", "KAFKA_TLS_CERT", "", "client certificate PEM file, for mutual TLS", str(groupKafka, func(p parts) *string { return &p.kafka.TLSCert })),
	mk("kafka-tls-key", "KAFKA_TLS_KEY", "", "client key PEM file, for mutual TLS", str(groupKafka, func(p parts) *string { return &p.kafka.TLSKey })),
	mk("kafka-sasl-mechanism", "KAFKA_SASL_MECHANISM", "", "SCRAM-SHA-256 or SCRAM-SHA-512; empty for none", str(groupKafka, func(p parts) *string { return &p.kafka.SASLMechanism })),
	mk("kafka-sasl-user", "KAFKA_SASL_USER", "", "SASL user", str(groupKafka, func(p parts) *string { return &p.kafka.SASLUser })),
	mk("kafka-sasl-password", "KAFKA_SASL_PASSWORD", "", "SASL password (prefer the environment to a flag)", str(groupKafka, func(p parts) *string { return &p.kafka.SASLPassword })),
	mk("kafka-compression", "KAFKA_COMPRESSION", "none", "compression of the batches the service writes (review, held, notices, dead letters): none, gzip, snappy, lz4 or zstd; consumers decompress by themselves", str(groupKafka, func(p parts) *string { return &p.kafka.Compression })),
	mk("trust-model", "CLAIMSCREEN_TRUST_MODEL", TrustGateway, "gateway: only the gateway principal writes the shared submit topics, and the originator_id it writes is trusted; direct: each originator writes its own submit topics, the topic is the identity and a message naming another originator is dead-lettered ORIGINATOR_MISMATCH", str(groupAccess, func(p parts) *string { return &p.access.Trust })),
	mk("direct-input-topic-template", "CLAIMSCREEN_DIRECT_INPUT_TOPIC_TEMPLATE", "claims.submitted.{originator}", "direct trust: an originator's own claim.v1 submit topic", str(groupAccess, func(p parts) *string { return &p.access.DirectInput })),
	mk("direct-x12-topic-template", "CLAIMSCREEN_DIRECT_X12_TOPIC_TEMPLATE", "claims.x12.submitted.{originator}", "direct trust: an originator's own X12 submit topic; empty for none", str(groupAccess, func(p parts) *string { return &p.access.DirectX12 })),
	mk("service-principal", "CLAIMSCREEN_SERVICE_PRINCIPAL", "User:claimscreen-service", "the Kafka principal serve runs as: the ACLs give it what it needs and no more", str(groupAccess, func(p parts) *string { return &p.access.ServicePrincipal })),
	mk("gateway-principal", "CLAIMSCREEN_GATEWAY_PRINCIPAL", "User:claimscreen-gateway", "gateway trust: the only principal that may write the shared submit topics", str(groupAccess, func(p parts) *string { return &p.access.GatewayPrincipal })),
	mk("adjusters-principal", "CLAIMSCREEN_ADJUSTERS_PRINCIPAL", "User:claimscreen-adjusters", "the principal that reads the review and held topics", str(groupAccess, func(p parts) *string { return &p.access.AdjustersPrincipal })),
	mk("adjusters-group", "CLAIMSCREEN_ADJUSTERS_GROUP", "claims.adjusters", "the consumer group the adjusters read with", str(groupAccess, func(p parts) *string { return &p.access.AdjustersGroup })),
	mk("originator-user-template", "CLAIMSCREEN_ORIGINATOR_USER_TEMPLATE", "originator.{originator}", "an originator's SCRAM user; its principal is User:<user>", str(groupAccess, func(p parts) *string { return &p.access.OriginatorUser })),
	mk("originator-group-template", "CLAIMSCREEN_ORIGINATOR_GROUP_TEMPLATE", "claims.notices.{originator}", "the consumer group an originator reads its notice topic with", str(groupAccess, func(p parts) *string { return &p.access.OriginatorGroup })),
	mk("manage-users", "CLAIMSCREEN_MANAGE_USERS", "false", "originators add creates the originator's SCRAM user (SCRAM-SHA-512) and disable deletes it; otherwise the operator manages users", boolean(groupAccess, func(p parts) *bool { return &p.access.ManageUsers })),
}

func mk(name, env, def, help string, b binder) Setting {
	return Setting{Name: name, Env: env, Default: def, Help: help, group: b.g, set: b.set}
}

// LoadServe reads serve's settings (see load).
func LoadServe(fs *flag.FlagSet, args []string, lookup func(string) (string, bool)) (*Serve, error) {
	s := &Serve{}
	errs, err := load(fs, args, lookup, s.parts())
	if err != nil {
		return nil, err
	}
	if err := errors.Join(append(errs, s.Validate())...); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadAdmin reads the settings of topics create, replay and deadletters
// (see load): Kafka, topics, PostgreSQL, the originator table file and the
// configuration file.
func LoadAdmin(fs *flag.FlagSet, args []string, lookup func(string) (string, bool)) (*Admin, error) {
	return LoadAdminFor(fs, args, lookup, nil)
}

// LoadAdminFor is LoadAdmin for a command that may not need the brokers:
// needKafka, asked once the flags are parsed, says whether it does (nil:
// it does). Without them the Kafka settings are not checked.
func LoadAdminFor(fs *flag.FlagSet, args []string, lookup func(string) (string, bool), needKafka func() bool) (*Admin, error) {
	a := &Admin{}
	errs, err := load(fs, args, lookup, a.parts())
	if err != nil {
		return nil, err
	}
	p := a.parts()
	if needKafka != nil && !needKafka() {
		p.kafka = nil
	}
	if err := errors.Join(append(errs, p.validate()...)...); err != nil {
		return nil, err
	}
	return a, nil
}

// load reads the settings of the parts p has: defaults, then the file
// named by --config (or CLAIMSCREEN_CONFIG), then the environment, then the
// flags. It returns every bad setting's error (the caller adds the
// parts' validation, so every problem is told at once), or err for a
// command line or configuration file that cannot be read at all. fs may
// already hold other flags; it gets a flag for each setting of the parts.
func load(fs *flag.FlagSet, args []string, lookup func(string) (string, bool), p parts) (errs []error, err error) {
	var mine []Setting
	for _, st := range Settings {
		if p.has(st.group) {
			mine = append(mine, st)
		}
	}
	for _, st := range mine {
		if err := st.set(p, st.Default); err != nil {
			panic("config: bad default for " + st.Name)
		}
	}
	flagVals := map[string]string{}
	for _, st := range mine {
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
	apply := func(src string, vals map[string]string) {
		for _, st := range mine {
			if v, ok := vals[st.Name]; ok {
				if err := st.set(p, v); err != nil {
					errs = append(errs, fmt.Errorf("%s %s: %w", src, st.Name, err))
				}
			}
		}
	}
	env := map[string]string{}
	for _, st := range mine {
		if v, ok := lookup(st.Env); ok && v != "" {
			env[st.Name] = v
		}
	}
	file := &File{}
	cfgPath := flagVals["config"]
	if cfgPath == "" {
		cfgPath = env["config"]
	}
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
		file = cf
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
	if p.screening != nil {
		p.screening.File = file
	}
	apply("environment", env)
	apply("flag", flagVals)
	return errs, nil
}

func sortErrs(errs []error) {
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
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
	b.WriteString("| flag | environment | default | part | meaning |\n|---|---|---|---|---|\n")
	for _, st := range Settings {
		def := st.Default
		if def == "" {
			def = "—"
		} else {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | %s | %s | %s |\n", st.Name, st.Env, def, st.group, st.Help)
	}
	return b.String()
}
