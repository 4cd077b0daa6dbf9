// Package postgres is claimscreen's PostgreSQL adapter (pgx/v5): embedded
// migrations, the code-set and crosswalk registry (bulk-loaded with COPY),
// the originator registry, the decision ledger, and LISTEN/NOTIFY for hot
// reload.
package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/claimscreen/claimscreen/internal/civil"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Channel is the NOTIFY channel told when a release or chart is activated
// or retired.
const Channel = "claimscreen_reference"

// Open connects a pool and checks the database answers.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	// pgx prepares its statements, and PostgreSQL switches a prepared
	// statement to a generic plan after five runs. The ledger's plans were
	// then fixed while its table was empty (a sequential scan), and a batch
	// lookup grew from milliseconds to seconds as the table filled. Batch
	// statements are few and large: plan each with its parameters.
	if _, set := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !set {
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database %s: %w", redact(url), err)
	}
	return pool, nil
}

// redact drops a password from a URL for messages.
func redact(url string) string {
	if cfg, err := pgxpool.ParseConfig(url); err == nil {
		c := cfg.ConnConfig
		return fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
	}
	return "(unparsable url)"
}

// Migrate applies the embedded migrations not yet applied, each in its own
// transaction, under an advisory lock so that instances starting together
// apply each once. It returns the versions it applied.
func Migrate(ctx context.Context, pool *pgxpool.Pool) ([]int, error) {
	return migrateTo(ctx, pool, math.MaxInt)
}

// migrateTo applies the pending migrations up to version last.
func migrateTo(ctx context.Context, pool *pgxpool.Pool, last int) ([]int, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(724365)"); err != nil {
		return nil, fmt.Errorf("migrate lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(724365)")
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migration (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var applied []int
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its number", base)
		}
		var done bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migration WHERE version = $1)", v).Scan(&done); err != nil {
			return nil, err
		}
		if done || v > last {
			continue
		}
		sql, _ := migrations.ReadFile(name)
		tx, err := conn.Begin(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, string(sql)); err != nil {
			tx.Rollback(ctx)
			return nil, fmt.Errorf("migration %s: %w", base, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migration (version) VALUES ($1)", v); err != nil {
			tx.Rollback(ctx)
			return nil, err
		}
		if err := tx.Commit(ctx); err != nil {
			return nil, fmt.Errorf("migration %s: %w", base, err)
		}
		applied = append(applied, v)
	}
	return applied, nil
}

func toDate(d civil.Date) pgtype.Date {
	if d == civil.Min || d == civil.Max {
		return pgtype.Date{}
	}
	y, m, day := d.YMD()
	return pgtype.Date{Time: time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC), Valid: true}
}

func fromDate(d pgtype.Date, open civil.Date) civil.Date {
	if !d.Valid {
		return open
	}
	y, m, day := d.Time.Date()
	return civil.FromYMD(y, int(m), day)
}

// OpenMigrated connects to url and applies any pending migration.
func OpenMigrated(ctx context.Context, url string) (*pgxpool.Pool, error) {
	pool, err := Open(ctx, url)
	if err != nil {
		return nil, err
	}
	if _, err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return pool, nil
}

// MigrateURL connects to url, applies the pending migrations and
// disconnects (for test databases made from a migrated template).
func MigrateURL(ctx context.Context, url string) error {
	pool, err := OpenMigrated(ctx, url)
	if err == nil {
		pool.Close()
	}
	return err
}
