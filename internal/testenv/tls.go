package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// LocalTLS returns the secured services deploy/local/up sets up: the folder
// of its generated CA and credentials (ca.pem, kafka-password,
// pg-password) and the Kafka TLS + SASL/SCRAM brokers. It skips when the
// tests run on services of the environment's own (KAFKA_BROKERS and
// DATABASE_URL set by hand, or testcontainers), which have no such
// listeners; make test always starts deploy/local's.
func LocalTLS(t testing.TB) (dir, brokers string) {
	t.Helper()
	dir = os.Getenv("CLAIMSCREEN_LOCAL_TLS")
	brokers = os.Getenv("KAFKA_TLS_BROKERS")
	if dir == "" || brokers == "" {
		t.Skip("no secured local services: run the tests after eval \"$(deploy/local/up)\" (make test does), which sets CLAIMSCREEN_LOCAL_TLS and KAFKA_TLS_BROKERS")
	}
	for _, f := range []string{"ca.pem", "kafka-password", "pg-password"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("CLAIMSCREEN_LOCAL_TLS=%s lacks %s: run deploy/local/up again", dir, f)
		}
	}
	return dir, brokers
}
