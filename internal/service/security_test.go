package service

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap/zaptest"

	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/kafkaio"
	"github.com/claimscreen/claimscreen/internal/refdata"
	"github.com/claimscreen/claimscreen/internal/testenv"
)

// otherCA writes a CA certificate that signed nothing the services use.
func otherCA(t *testing.T) string {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not the claimscreen CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "other-ca.pem")
	os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	return p
}

// TestTransportSecurity runs the service against Kafka over TLS with
// SASL/SCRAM and PostgreSQL over TLS, set only through configuration (the
// environment, as in a deployment), then with a wrong CA or password for
// each: those fail at start with an error that says what is wrong.
func TestTransportSecurity(t *testing.T) {
	dir, tlsBrokers := testenv.LocalTLS(t)
	read := func(f string) string {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	ca, kafkaPW, pgPW := filepath.Join(dir, "ca.pem"), read("kafka-password"), read("pg-password")

	// A database of the TLS role's own, made over the plain admin connection.
	admin, err := pgx.ParseConfig(testenv.DatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db := fmt.Sprintf("cs_tls_%d", time.Now().UnixNano())
	ac, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ac.Exec(ctx, "CREATE DATABASE "+db+" OWNER claimscreen_tls"); err != nil {
		t.Fatal(err)
	}
	ac.Close(ctx)
	t.Cleanup(func() {
		c, err := pgx.ConnectConfig(ctx, admin)
		if err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	pgURL := func(password, rootCA string) string {
		return fmt.Sprintf("postgres://claimscreen_tls:%s@127.0.0.1:%d/%s?sslmode=verify-full&sslrootcert=%s", password, admin.Port, db, rootCA)
	}

	p := fmt.Sprintf("tls%d", time.Now().UnixNano())
	env := map[string]string{
		"KAFKA_BROKERS": tlsBrokers, "KAFKA_TLS": "true", "KAFKA_TLS_CA": ca,
		"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USER": "claimscreen", "KAFKA_SASL_PASSWORD": kafkaPW,
		"DATABASE_URL": pgURL(pgPW, ca),
	}
	cfgWith := func(change map[string]string) *config.Serve {
		e := map[string]string{}
		for k, v := range env {
			e[k] = v
		}
		for k, v := range change {
			e[k] = v
		}
		cfg, err := config.LoadServe(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--codesets", "(samples)", "--http-addr", "127.0.0.1:0",
			"--group", p + "-group", "--input-topic", p + ".submitted", "--x12-topic", p + ".x12", "--review-topic", p + ".review", "--held-topic", p + ".held",
			"--deadletter-topic", p + ".deadletter", "--notice-topic-template", p + ".notices.{originator}", "--batch-wait-ms", "20"},
			func(k string) (string, bool) { v, ok := e[k]; return v, ok })
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}

	// Good credentials: topics, migrations and a few claims, all secured.
	cfg := cfgWith(nil)
	conn, err := kafkaio.NewConn(cfg.Kafka.Brokers, Security(cfg.Kafka))
	if err != nil {
		t.Fatal(err)
	}
	orgs := []string{"TLS-A"}
	topics := append(cfg.Topics.Base(), p+".notices.TLS-A")
	if _, err := conn.CreateTopics(ctx, topics, 3, 1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.DeleteTopics(context.Background(), topics) })
	pool, err := OpenDB(ctx, cfg.PostgreSQL.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var tlsOn bool
	if err := pool.QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&tlsOn); err != nil || !tlsOn {
		t.Fatalf("the database connection is not TLS (%v)", err)
	}
	ref, _ := refdata.Samples(nil)(ctx)
	svc, err := Start(ctx, cfg, ref, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(rctx) }()
	values := genClaims(t, 40, orgs)
	e := &e2e{t: t, prefix: p, cfg: cfg, conn: conn, orgs: orgs}
	e.produce(values)
	want := expected(t, values)
	got := 0
	for _, tp := range []string{cfg.Topics.Review, cfg.Topics.Held, p + ".notices.TLS-A"} {
		n := 0
		for _, d := range want {
			switch {
			case tp == cfg.Topics.Review && d.Outcome == "accepted", tp == cfg.Topics.Held && d.Outcome == "held", strings.HasSuffix(tp, "TLS-A") && d.Outcome == "rejected":
				n++
			}
		}
		got += len(e.drain(tp, n))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got != len(want) || ledgerCount(t, pool, "true") != len(want) {
		t.Errorf("over TLS: %d outputs, %d ledger rows, want %d", got, ledgerCount(t, pool, "true"), len(want))
	}

	// Wrong CA or password: the start fails, by itself, saying why.
	wrongCA := otherCA(t)
	for _, tc := range []struct {
		name   string
		change map[string]string
		want   string
	}{
		{"kafka password", map[string]string{"KAFKA_SASL_PASSWORD": "not-the-password"}, "SASL Authentication failed"},
		{"kafka CA", map[string]string{"KAFKA_TLS_CA": wrongCA}, "certificate signed by unknown authority"},
		{"kafka without TLS", map[string]string{"KAFKA_TLS": "false"}, "expecting TLS"},
		{"database password", map[string]string{"DATABASE_URL": pgURL("not-the-password", ca)}, "password authentication failed"},
		{"database CA", map[string]string{"DATABASE_URL": pgURL(pgPW, wrongCA)}, "certificate signed by unknown authority"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			start := time.Now()
			svc, err := Start(cctx, cfgWith(tc.change), ref, zaptest.NewLogger(t))
			if err == nil {
				svc.Close()
				t.Fatal("the service started")
			}
			if cctx.Err() != nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error after %v: %v; want one saying %q", time.Since(start).Round(time.Millisecond), err, tc.want)
			}
			for _, secret := range []string{kafkaPW, pgPW, "not-the-password"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows a password: %v", err)
				}
			}
			t.Logf("failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
		})
	}
}
