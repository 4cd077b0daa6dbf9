package service

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/scram"
	"go.uber.org/zap/zaptest"

	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/kafkaio"
	"github.com/claimscreen/claimscreen/internal/originators"
	"github.com/claimscreen/claimscreen/internal/postgres"
	"github.com/claimscreen/claimscreen/internal/refdata"
	"github.com/claimscreen/claimscreen/internal/testenv"
	"github.com/claimscreen/claimscreen/pipeline"
)

// aclEnv is a test's share of the local Kafka's SASL_SSL listener, where
// ACLs are enforced (deploy/local/up): its own topics, principals and
// users, named after prefix, and the admin (super user) connection.
type aclEnv struct {
	t       *testing.T
	prefix  string
	brokers string
	ca      string
	adminPW string
	flags   []string
	admin   *kafkaio.Conn
}

func newACLEnv(t *testing.T, extra ...string) *aclEnv {
	dir, brokers := testenv.LocalTLS(t)
	pw, err := os.ReadFile(filepath.Join(dir, "kafka-password"))
	if err != nil {
		t.Fatal(err)
	}
	p := fmt.Sprintf("acl%d", time.Now().UnixNano())
	e := &aclEnv{t: t, prefix: p, brokers: brokers, ca: filepath.Join(dir, "ca.pem"), adminPW: strings.TrimSpace(string(pw))}
	e.flags = append([]string{"--group", p + "-group", "--input-topic", p + ".submitted", "--x12-topic", p + ".x12", "--review-topic", p + ".review",
		"--held-topic", p + ".held", "--deadletter-topic", p + ".deadletter", "--notice-topic-template", p + ".notices.{originator}",
		"--direct-input-topic-template", p + ".submitted.{originator}", "--direct-x12-topic-template", p + ".x12.{originator}",
		"--service-principal", "User:" + p + "-svc", "--gateway-principal", "User:" + p + "-gw", "--adjusters-principal", "User:" + p + "-adj",
		"--adjusters-group", p + "-adj", "--originator-user-template", p + "-org.{originator}", "--originator-group-template", p + ".nq.{originator}"}, extra...)
	if e.admin, err = kafkaio.NewConn([]string{brokers}, e.security("claimscreen", e.adminPW)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.cleanup)
	return e
}

func (e *aclEnv) security(user, pw string) kafkaio.Security {
	return kafkaio.Security{TLS: true, TLSCAFile: e.ca, SASLMechanism: "SCRAM-SHA-512", SASLUser: user, SASLPassword: pw}
}

// env is the environment of a command running as user.
func (e *aclEnv) env(user, pw string) func(string) (string, bool) {
	m := map[string]string{"KAFKA_BROKERS": e.brokers, "KAFKA_TLS": "true", "KAFKA_TLS_CA": e.ca,
		"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USER": user, "KAFKA_SASL_PASSWORD": pw}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func (e *aclEnv) adminConfig(user, pw string, extra ...string) *config.Admin {
	e.t.Helper()
	cfg, err := config.LoadAdmin(flag.NewFlagSet("t", flag.ContinueOnError), append(append([]string(nil), e.flags...), extra...), e.env(user, pw))
	if err != nil {
		e.t.Fatal(err)
	}
	return cfg
}

// cleanup deletes what the test made: its principals' ACLs, users, topics.
func (e *aclEnv) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := e.raw("claimscreen", e.adminPW)
	users := []string{"-svc", "-gw", "-adj", "-limited", "-org.ORG-A", "-org.ORG-B", "-org.ORG-C"}
	var filters []kafka.DeleteACLsFilter
	for _, u := range users {
		filters = append(filters, kafka.DeleteACLsFilter{ResourceTypeFilter: kafka.ResourceTypeAny, ResourcePatternTypeFilter: kafka.PatternTypeAny,
			PrincipalFilter: "User:" + e.prefix + u, Operation: kafka.ACLOperationTypeAny, PermissionType: kafka.ACLPermissionTypeAny})
	}
	c.DeleteACLs(ctx, &kafka.DeleteACLsRequest{Filters: filters})
	for _, u := range users {
		e.admin.DeleteUser(ctx, e.prefix+u)
	}
	if md, err := c.Metadata(ctx, &kafka.MetadataRequest{}); err == nil {
		var topics []string
		for _, tp := range md.Topics {
			if strings.HasPrefix(tp.Name, e.prefix+".") {
				topics = append(topics, tp.Name)
			}
		}
		e.admin.DeleteTopics(ctx, topics)
	}
}

// raw is a kafka-go client of user's, for requests the adapters never make
// (a fetch, a join) and so see the brokers' own answer.
func (e *aclEnv) raw(user, pw string) *kafka.Client {
	tr, _ := e.transport(user, pw)
	return &kafka.Client{Addr: kafka.TCP(e.brokers), Transport: tr, Timeout: 20 * time.Second}
}

func (e *aclEnv) transport(user, pw string) (*kafka.Transport, *kafka.Dialer) {
	e.t.Helper()
	pem, err := os.ReadFile(e.ca)
	if err != nil {
		e.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	mech, err := scram.Mechanism(scram.SHA512, user, pw)
	if err != nil {
		e.t.Fatal(err)
	}
	return &kafka.Transport{TLS: tc, SASL: mech, MetadataTTL: time.Second}, &kafka.Dialer{Timeout: 10 * time.Second, TLS: tc, SASLMechanism: mech}
}

// write produces values to topic as user; the error is the brokers'.
func (e *aclEnv) write(user, pw, topic string, values ...[]byte) error {
	tr, _ := e.transport(user, pw)
	w := &kafka.Writer{Addr: kafka.TCP(e.brokers), Transport: tr, Topic: topic, RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var msgs []kafka.Message
	for i, v := range values {
		msgs = append(msgs, kafka.Message{Key: []byte(fmt.Sprint(i)), Value: v})
	}
	return w.WriteMessages(ctx, msgs...)
}

// produce sends one record to partition 0 of topic as user, in a produce
// request straight to the (only) broker: a client that asks for metadata
// first is told "unknown topic" for a topic the principal may not
// describe, and this asks the broker to write.
func (e *aclEnv) produce(user, pw, topic string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, d := e.transport(user, pw)
	host, port, _ := net.SplitHostPort(e.brokers)
	n, _ := strconv.Atoi(port)
	c, err := d.DialPartition(ctx, "tcp", "", kafka.Partition{Topic: topic, ID: 0, Leader: kafka.Broker{Host: host, Port: n, ID: 1}})
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetWriteDeadline(time.Now().Add(20 * time.Second))
	_, err = c.WriteMessages(kafka.Message{Value: []byte("{}")})
	return err
}

// fetch reads partition 0 of topic as user, without a group.
func (e *aclEnv) fetch(user, pw, topic string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := e.raw(user, pw).Fetch(ctx, &kafka.FetchRequest{Topic: topic, Partition: 0, Offset: kafka.FirstOffset, MaxBytes: 1 << 20})
	if err == nil {
		err = res.Error
	}
	return err
}

// join asks to join group as user.
func (e *aclEnv) join(user, pw, group, topic string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := e.raw(user, pw).JoinGroup(ctx, &kafka.JoinGroupRequest{GroupID: group, SessionTimeout: 10 * time.Second, RebalanceTimeout: 10 * time.Second,
		ProtocolType: "consumer", Protocols: []kafka.GroupProtocol{{Name: "range", Metadata: kafka.GroupProtocolSubscription{Topics: []string{topic}}}}})
	if err == nil {
		err = res.Error
	}
	return err
}

// eventually retries f until it returns nil or 30 seconds pass: a new
// user, ACL or subscription takes effect through the cluster metadata.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func refused(err error, code kafka.Error) bool {
	return errors.Is(err, code) || (err != nil && strings.Contains(err.Error(), code.Title()))
}

// TestOriginatorIsolation: direct trust on the local Kafka with SASL/SCRAM
// and ACLs. The base ACLs and two originators are provisioned as
// claimscreen's commands do; the service runs as its own principal (so the
// ACLs it is given are enough); then each originator is held to its own
// topics by the brokers, and by the service to its own identity.
func TestOriginatorIsolation(t *testing.T) {
	e := newACLEnv(t, "--trust-model", "direct", "--manage-users")
	ctx := context.Background()
	url := testenv.FreshDatabase(t, postgres.MigrateURL)
	cfg := e.adminConfig("claimscreen", e.adminPW, "--database-url", url)
	prov, err := NewProvisioner(ctx, cfg, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	svcUser, svcPW := e.prefix+"-svc", "service-password-"+e.prefix
	if _, err := prov.Apply(ctx, []string{cfg.Topics.Review, cfg.Topics.Held, cfg.Topics.DeadLetter}, svcUser, svcPW, prov.Model.Base()); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	reg := postgres.NewOriginators(pool)
	pw := map[string]string{}
	add := func(id string) {
		t.Helper()
		pw[id] = "pw-" + id + "-" + e.prefix
		ent := originators.Entry{ID: id, Active: true}
		c, err := prov.AddOriginator(ctx, ent, pw[id])
		if err != nil {
			t.Fatal(err)
		}
		if c.User != prov.Model.User(id) || len(c.Topics) != 3 || len(c.ACLs) != 7 {
			t.Fatalf("originator %s: %+v", id, c)
		}
		if err := reg.AddOriginator(ctx, ent); err != nil {
			t.Fatal(err)
		}
	}
	add("ORG-A")
	add("ORG-B")
	user := func(id string) string { return prov.Model.User(id) }
	own := func(id string) string { return e.prefix + ".submitted." + id }
	notice := func(id string) string { return e.prefix + ".notices." + id }

	// The service, as its own principal.
	scfg, err := config.LoadServe(flag.NewFlagSet("t", flag.ContinueOnError), append(append([]string(nil), e.flags...),
		"--trust-model", "direct", "--database-url", url, "--codesets", "(samples)", "--http-addr", "127.0.0.1:0", "--batch-wait-ms", "20"), e.env(svcUser, svcPW))
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := refdata.Samples(nil)(ctx)
	var svc *Service
	eventually(t, "start the service as its own principal", func() (err error) {
		svc, err = Start(ctx, scfg, ref, zaptest.NewLogger(t))
		return err
	})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(rctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	// B, authenticated, is refused by the brokers: A's notices, A's
	// submit topic, the service's group.
	eventually(t, "B writes its own topic", func() error { return e.write(user("ORG-B"), pw["ORG-B"], own("ORG-B")) })
	if err := e.fetch(user("ORG-B"), pw["ORG-B"], notice("ORG-A")); !refused(err, kafka.TopicAuthorizationFailed) {
		t.Errorf("B reads A's notice topic: %v", err)
	}
	if err := e.produce(user("ORG-B"), pw["ORG-B"], own("ORG-A")); !refused(err, kafka.TopicAuthorizationFailed) {
		t.Errorf("B writes A's submit topic: %v", err)
	}
	if err := e.join(user("ORG-B"), pw["ORG-B"], cfg.Consumer.GroupID, own("ORG-B")); !refused(err, kafka.GroupAuthorizationFailed) {
		t.Errorf("B joins the service's group: %v", err)
	}
	if err := e.join(user("ORG-B"), pw["ORG-B"], prov.Model.OriginatorGroup("ORG-A"), notice("ORG-A")); !refused(err, kafka.GroupAuthorizationFailed) {
		t.Errorf("B joins A's notice group: %v", err)
	}
	if err := e.fetch(user("ORG-A"), pw["ORG-A"], notice("ORG-A")); err != nil {
		t.Errorf("A reads its own notice topic: %v", err)
	}
	javaClientRefuses(t, e, user("ORG-B"), pw["ORG-B"], prov.Model.OriginatorGroup("ORG-B"), notice("ORG-A"), own("ORG-A"))

	// The topic is the identity: a claim naming A on B's own topic, and a
	// void of A's claim there, are dead-lettered ORIGINATOR_MISMATCH and
	// change nothing; A's own void works.
	claims := genClaims(t, 1, []string{"ORG-A"})
	claimA := claims[0]
	if strings.Contains(string(claimA), `"frequency"`) {
		t.Fatal("the generated claim names a frequency")
	}
	voidA := []byte(`{"frequency":"8",` + string(claimA[1:])) // the same claim, voided
	rows := func(id string) int {
		return ledgerCount(t, pool, "originator_id = '"+id+"'")
	}
	if err := e.write(user("ORG-A"), pw["ORG-A"], own("ORG-A"), claimA); err != nil {
		t.Fatal(err)
	}
	eventually(t, "A's claim decided", func() error {
		if n := rows("ORG-A"); n != 1 {
			return fmt.Errorf("%d ledger rows for A", n)
		}
		return nil
	})
	if err := e.write(user("ORG-B"), pw["ORG-B"], own("ORG-B"), claimA, voidA); err != nil {
		t.Fatal(err)
	}
	ectx, ecancel := context.WithTimeout(ctx, 60*time.Second)
	defer ecancel()
	dead, err := e.admin.Drain(ectx, cfg.Topics.DeadLetter, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range dead {
		if r := pipeline.HeaderValue(m.Headers, pipeline.HeaderReason); r != pipeline.ReasonOriginatorMismatch || m.Topic != cfg.Topics.DeadLetter {
			t.Errorf("B's message naming A: dead-lettered %s", r)
		}
	}
	if n := rows("ORG-A"); n != 1 {
		t.Errorf("B's void of A's claim changed the ledger: %d rows", n)
	}
	if err := e.write(user("ORG-A"), pw["ORG-A"], own("ORG-A"), voidA); err != nil {
		t.Fatal(err)
	}
	eventually(t, "A's own void recorded", func() error {
		if n := rows("ORG-A"); n != 2 {
			return fmt.Errorf("%d ledger rows for A", n)
		}
		return nil
	})

	// An originator added while the service runs: its topics, user and
	// ACLs are made, the service reads its topic, its first claim is
	// decided.
	add("ORG-C")
	claimC := genClaims(t, 1, []string{"ORG-C"})[0]
	eventually(t, "C writes its own topic", func() error { return e.write(user("ORG-C"), pw["ORG-C"], own("ORG-C"), claimC) })
	start := time.Now()
	eventually(t, "C's first claim decided", func() error {
		if n := rows("ORG-C"); n != 1 {
			return fmt.Errorf("%d ledger rows for C", n)
		}
		return nil
	})
	t.Logf("an originator added while the service ran: its first claim decided %v after it was written", time.Since(start).Round(10*time.Millisecond))

	// A disabled originator's next write is refused.
	if _, err := prov.RevokeOriginator(ctx, originators.Entry{ID: "ORG-B"}); err != nil {
		t.Fatal(err)
	}
	if err := reg.DisableOriginator(ctx, "ORG-B"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B's write refused once disabled", func() error {
		if err := e.write(user("ORG-B"), pw["ORG-B"], own("ORG-B"), claimA); err == nil {
			return errors.New("B still writes")
		}
		return nil
	})
	// And the ACLs in force are those the table calls for.
	active, _ := postgres.NewOriginators(pool).Load(ctx)
	if _, d, err := prov.Drift(ctx, active.Active()); err != nil || !d.None() {
		t.Errorf("drift after disable: %+v %v", d, err)
	}
}

// javaClientRefuses checks with a second Kafka client, Kafka's own Java
// client (its console consumer and producer, which deploy/local/up fetches
// beside the broker), that user cannot read readTopic nor write writeTopic.
// (Debian's kcat was the plan: its librdkafka 2.0.2 cannot authenticate
// with SCRAM to a Kafka 4 broker at all, edenhill/kcat#462, fixed in
// librdkafka 2.6.1.)
func javaClientRefuses(t *testing.T, e *aclEnv, user, pw, group, readTopic, writeTopic string) {
	t.Helper()
	lib := os.Getenv("CLAIMSCREEN_KAFKA_LIB")
	if lib == "" {
		t.Fatal("CLAIMSCREEN_KAFKA_LIB is not set: run the tests after eval \"$(deploy/local/up)\" (make test does)")
	}
	props := filepath.Join(t.TempDir(), "client.properties")
	os.WriteFile(props, []byte(fmt.Sprintf("security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n"+
		"sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"%s\" password=\"%s\";\n"+
		"ssl.truststore.type=PEM\nssl.truststore.location=%s\n", user, pw, e.ca)), 0o600)
	run := func(stdin string, args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "java", append([]string{"-cp", filepath.Join(lib, "*"),
			"-Dlog4j2.configurationFile=" + filepath.Join(testenv.RepoRoot(t), "deploy", "local", "log4j2.properties")}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	out := run("", "org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server", e.brokers, "--consumer.config", props,
		"--topic", readTopic, "--group", group, "--from-beginning", "--max-messages", "1", "--timeout-ms", "15000")
	if !strings.Contains(out, "TopicAuthorizationException") {
		t.Errorf("the Java console consumer reading %s as %s:\n%s", readTopic, user, out)
	}
	out = run("x\n", "org.apache.kafka.tools.ConsoleProducer", "--bootstrap-server", e.brokers, "--producer.config", props, "--topic", writeTopic)
	if !strings.Contains(out, "TopicAuthorizationException") {
		t.Errorf("the Java console producer writing %s as %s:\n%s", writeTopic, user, out)
	}
}

// TestProvisioningRefused: what the brokers refuse is told clearly and
// leaves nothing half-made.
func TestProvisioningRefused(t *testing.T) {
	e := newACLEnv(t, "--trust-model", "direct")
	ctx := context.Background()
	cfg := e.adminConfig("claimscreen", e.adminPW)
	prov, err := NewProvisioner(ctx, cfg, 1, 1)
	if err != nil {
		t.Fatal(err)
	}

	// An originator id that is no topic suffix: refused before anything.
	for _, id := range []string{"ORG A", "ORG/A", ""} {
		if _, err := prov.AddOriginator(ctx, originators.Entry{ID: id}, ""); err == nil || !strings.Contains(err.Error(), "originator id") {
			t.Errorf("id %q: %v", id, err)
		}
	}

	// An admin principal that may create and delete topics but not manage
	// ACLs: the originator's topics are made, the ACLs refused, the topics
	// deleted again.
	limited, limitedPW := e.prefix+"-limited", "limited-"+e.prefix
	if err := e.admin.SetUser(ctx, limited, limitedPW); err != nil {
		t.Fatal(err)
	}
	grant := func(rt kafka.ResourceType, name string, pt kafka.PatternType, op kafka.ACLOperationType) kafka.ACLEntry {
		return kafka.ACLEntry{ResourceType: rt, ResourceName: name, ResourcePatternType: pt, Principal: "User:" + limited, Host: "*",
			Operation: op, PermissionType: kafka.ACLPermissionTypeAllow}
	}
	res, err := e.raw("claimscreen", e.adminPW).CreateACLs(ctx, &kafka.CreateACLsRequest{ACLs: []kafka.ACLEntry{
		grant(kafka.ResourceTypeCluster, "kafka-cluster", kafka.PatternTypeLiteral, kafka.ACLOperationTypeCreate),
		grant(kafka.ResourceTypeCluster, "kafka-cluster", kafka.PatternTypeLiteral, kafka.ACLOperationTypeDescribe),
		grant(kafka.ResourceTypeTopic, e.prefix+".", kafka.PatternTypePrefixed, kafka.ACLOperationTypeDelete),
		grant(kafka.ResourceTypeTopic, e.prefix+".", kafka.PatternTypePrefixed, kafka.ACLOperationTypeDescribe)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range res.Errors {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		e.raw("claimscreen", e.adminPW).DeleteACLs(context.Background(), &kafka.DeleteACLsRequest{Filters: []kafka.DeleteACLsFilter{{
			ResourceTypeFilter: kafka.ResourceTypeAny, ResourcePatternTypeFilter: kafka.PatternTypeAny, PrincipalFilter: "User:" + limited,
			Operation: kafka.ACLOperationTypeAny, PermissionType: kafka.ACLPermissionTypeAny}}})
	})
	var lp *Provisioner
	eventually(t, "connect as the limited admin", func() (err error) {
		lp, err = NewProvisioner(ctx, e.adminConfig(limited, limitedPW), 1, 1)
		return err
	})
	_, err = lp.AddOriginator(ctx, originators.Entry{ID: "ORG-A"}, "")
	if err == nil || !strings.Contains(err.Error(), "may not manage ACLs") || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("ACLs refused: %v", err)
	}
	t.Logf("refused: %v", err)
	// Kafka deletes a topic asynchronously: the metadata may name it for a
	// moment after the delete was acknowledged.
	notice, submit := prov.Model.OriginatorTopics("ORG-A", "")
	eventually(t, "the rolled-back topics gone", func() error {
		ex, err := e.admin.Exists(ctx, append([]string{notice}, submit...))
		if err != nil {
			return err
		}
		for topic, there := range ex {
			if there {
				return fmt.Errorf("topic %s left behind", topic)
			}
		}
		return nil
	})
	if have, _ := e.admin.ACLs(ctx); len(prov.Model.Diff(nil, have).Extra) != 0 {
		t.Errorf("ACLs left behind: %v", prov.Model.Diff(nil, have).Extra)
	}

	// A super user that does not exist (or a wrong password): the
	// connection is refused, saying why, before anything is asked.
	_, err = NewProvisioner(ctx, e.adminConfig(e.prefix+"-nobody", "x"), 1, 1)
	if err == nil || !strings.Contains(err.Error(), "SASL Authentication failed") {
		t.Errorf("unknown admin user: %v", err)
	}
}

// TestGatewayTrust: only the gateway writes the shared submit topics; an
// originator reads only its notices.
func TestGatewayTrust(t *testing.T) {
	e := newACLEnv(t)
	ctx := context.Background()
	cfg := e.adminConfig("claimscreen", e.adminPW, "--manage-users")
	prov, err := NewProvisioner(ctx, cfg, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	gwUser, gwPW := e.prefix+"-gw", "gw-"+e.prefix
	if _, err := prov.Apply(ctx, append(cfg.Topics.Inputs(), cfg.Topics.Review, cfg.Topics.Held, cfg.Topics.DeadLetter), gwUser, gwPW, prov.Model.Base()); err != nil {
		t.Fatal(err)
	}
	c, err := prov.AddOriginator(ctx, originators.Entry{ID: "ORG-A"}, "pw-a")
	if err != nil || len(c.Topics) != 1 || len(c.ACLs) != 3 {
		t.Fatalf("gateway trust: an originator gets its notice topic and 3 ACLs: %+v %v", c, err)
	}
	orgUser := prov.Model.User("ORG-A")
	eventually(t, "the gateway writes the shared submit topic", func() error { return e.write(gwUser, gwPW, cfg.Topics.Input, []byte("{}")) })
	for _, topic := range cfg.Topics.Inputs() {
		if err := e.produce(orgUser, "pw-a", topic); !refused(err, kafka.TopicAuthorizationFailed) {
			t.Errorf("an originator writes the shared %s: %v", topic, err)
		}
	}
	if err := e.fetch(orgUser, "pw-a", cfg.Topics.Input); !refused(err, kafka.TopicAuthorizationFailed) {
		t.Errorf("an originator reads the shared submit topic: %v", err)
	}
	if err := e.fetch(orgUser, "pw-a", e.prefix+".notices.ORG-A"); err != nil {
		t.Errorf("an originator reads its notices: %v", err)
	}
	if err := e.fetch(gwUser, gwPW, e.prefix+".notices.ORG-A"); !refused(err, kafka.TopicAuthorizationFailed) {
		t.Errorf("the gateway reads a notice topic: %v", err)
	}
}
