package testenv

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tckafka "github.com/testcontainers/testcontainers-go/modules/kafka"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
)

// Images used where a Docker engine answers.
const (
	KafkaImage    = "confluentinc/confluent-local:7.5.0"
	PostgresImage = "postgres:16-alpine"
)

var (
	kafkaOnce, pgOnce sync.Once
	kafkaAddr, pgURL  string
	kafkaErr, pgErr   string
)

// dockerAnswers reports whether a Docker engine answers here.
func dockerAnswers() bool {
	if _, err := exec.LookPath("docker"); err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, "docker", "info").Run() == nil
}

const howTo = "set %s, or start the local services with: eval \"$(deploy/local/up)\" (make test does this), or run where a Docker engine answers (testcontainers-go is used then)"

// KafkaBrokers returns the brokers tests use: KAFKA_BROKERS when set (make
// test sets it from deploy/local/up), else a testcontainers Kafka where
// Docker answers. Otherwise the test fails and says what to do.
func KafkaBrokers(t testing.TB) []string {
	t.Helper()
	kafkaOnce.Do(func() {
		if v := os.Getenv("KAFKA_BROKERS"); v != "" {
			kafkaAddr = v
			return
		}
		if !dockerAnswers() {
			kafkaErr = "no Kafka for this test: " + strings.Replace(howTo, "%s", "KAFKA_BROKERS", 1)
			return
		}
		ctx := context.Background()
		c, err := tckafka.Run(ctx, KafkaImage, tckafka.WithClusterID("claimscreen-test"),
			// As deploy/local: room for a 16 MiB interchange.
			testcontainers.WithEnv(map[string]string{"KAFKA_MESSAGE_MAX_BYTES": "18874368"}))
		if err != nil {
			kafkaErr = "testcontainers Kafka: " + err.Error()
			return
		}
		brokers, err := c.Brokers(ctx)
		if err != nil {
			kafkaErr = "testcontainers Kafka brokers: " + err.Error()
			return
		}
		kafkaAddr = strings.Join(brokers, ",")
	})
	if kafkaErr != "" {
		t.Fatal(kafkaErr)
	}
	return strings.Split(kafkaAddr, ",")
}

// DatabaseURL returns the PostgreSQL URL tests use: DATABASE_URL when set,
// else a testcontainers PostgreSQL where Docker answers.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() {
		if v := os.Getenv("DATABASE_URL"); v != "" {
			pgURL = v
			return
		}
		if !dockerAnswers() {
			pgErr = "no PostgreSQL for this test: " + strings.Replace(howTo, "%s", "DATABASE_URL", 1)
			return
		}
		ctx := context.Background()
		c, err := tcpostgres.Run(ctx, PostgresImage, tcpostgres.WithDatabase("claimscreen"), tcpostgres.WithUsername("claimscreen"),
			tcpostgres.WithPassword("claimscreen"), tcpostgres.BasicWaitStrategies())
		if err != nil {
			pgErr = "testcontainers PostgreSQL: " + err.Error()
			return
		}
		u, err := c.ConnectionString(ctx, "sslmode=disable")
		if err != nil {
			pgErr = err.Error()
			return
		}
		pgURL = u
	})
	if pgErr != "" {
		t.Fatal(pgErr)
	}
	return pgURL
}
