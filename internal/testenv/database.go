package testenv

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

var (
	tmplOnce sync.Once
	tmplName string
	tmplErr  error
	dbSeq    atomic.Int64
)

// FreshDatabase returns the URL of a new database cloned from a migrated
// template (made once per test process with migrate), dropped when the test
// ends. Each test gets its own copy.
func FreshDatabase(t testing.TB, migrate func(ctx context.Context, url string) error) string {
	t.Helper()
	base := DatabaseURL(t)
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	urlFor := func(db string) string {
		c := cfg.Copy()
		c.Database = db
		return fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", c.User, c.Password, c.Host, c.Port, db)
	}
	admin := func() *pgx.Conn {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatalf("connect to PostgreSQL: %v", err)
		}
		return conn
	}
	tmplOnce.Do(func() {
		tmplName = fmt.Sprintf("cs_tmpl_%d", os.Getpid())
		conn := admin()
		defer conn.Close(ctx)
		dropStale(ctx, conn)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+tmplName); err != nil {
			tmplErr = err
			return
		}
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+tmplName); err != nil {
			tmplErr = err
			return
		}
		tmplErr = migrate(ctx, urlFor(tmplName))
	})
	if tmplErr != nil {
		t.Fatalf("template database: %v", tmplErr)
	}
	name := fmt.Sprintf("cs_t_%d_%d", os.Getpid(), dbSeq.Add(1))
	conn := admin()
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmplName)); err != nil {
		t.Fatalf("clone the template database: %v", err)
	}
	t.Cleanup(func() {
		c := admin()
		defer c.Close(ctx)
		c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return urlFor(name)
}

// dropStale drops the databases of test processes that are gone (killed
// before their cleanup ran); templates are kept for the process's life.
func dropStale(ctx context.Context, conn *pgx.Conn) {
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'cs\_tmpl\_%' OR datname LIKE 'cs\_t\_%'`)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		rows.Scan(&name)
		var pid int
		if _, err := fmt.Sscanf(strings.TrimPrefix(strings.TrimPrefix(name, "cs_tmpl_"), "cs_t_"), "%d", &pid); err != nil || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, 0) != nil { // no such process
			stale = append(stale, name)
		}
	}
	rows.Close()
	for _, name := range stale {
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
}
