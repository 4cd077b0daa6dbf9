package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/kafkaio"
	"github.com/claimscreen/claimscreen/internal/postgres"
	"github.com/claimscreen/claimscreen/internal/refdata"
	"github.com/claimscreen/claimscreen/internal/rule"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/pipeline"
)

// Replay re-screens the ledger's claims that filter selects with the
// active releases, through the pipeline's decide step: a changed decision
// replaces the recorded one (the old one goes to the history with the
// reason) and is published through the normal routes, each step retried.
// With dryRun it only says what would change. It reports on out.
func Replay(ctx context.Context, cfg *config.Admin, filter postgres.Filter, dryRun bool, out io.Writer, log *zap.Logger) error {
	if cfg.PostgreSQL.URL == "" {
		return errors.New("replay needs the ledger: set DATABASE_URL (or --database-url)")
	}
	pool, err := OpenDB(ctx, cfg.PostgreSQL.URL)
	if err != nil {
		return fmt.Errorf("postgresql: %w", err)
	}
	defer pool.Close()
	policy, err := rule.NewPolicy(cfg.Screening.File.Rules)
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	ref, err := refdata.Active(postgres.NewReleases(pool), postgres.NewCharts(pool), policy)(ctx)
	if err != nil {
		return fmt.Errorf("load reference data from PostgreSQL: %w", err)
	}
	ledger := postgres.NewLedger(pool)
	subs, err := ledger.Select(ctx, filter)
	if err != nil {
		return err
	}
	table, err := postgres.NewOriginators(pool).Load(ctx)
	if err != nil {
		return fmt.Errorf("originator table: %w", err)
	}
	var orgs pipeline.Originators
	if table != nil {
		orgs = table
	}
	var sink pipeline.Sink
	checker := pipeline.EveryTopicExists
	if !dryRun {
		conn, err := Connect(ctx, cfg.Kafka, cfg.Kafka.Brokers)
		if err != nil {
			return err
		}
		s := conn.NewSink(kafkaio.SinkConfig{Compression: cfg.Kafka.Compression})
		defer s.Close()
		sink, checker = s, s
	}
	var sc atomic.Pointer[screening.Screener]
	sc.Store(ref.Screener)
	d := pipeline.NewDecider(pipeline.Config{Topics: cfg.Topics.Pipeline(), Originators: orgs}, ledger, &sc,
		claim.NewDecoder(cfg.Screening.File.Limits.Decoder()), checker, nil, log)
	batch, results, err := d.Replay(ctx, subs, dryRun, func(old, new screening.Decision) string {
		return fmt.Sprintf("replay with %s: %s -> %s", versions(new.Codesets), old.Outcome, new.Outcome)
	})
	if err != nil {
		return err
	}
	var same, changed int
	counts := map[screening.Outcome]int{}
	for _, r := range results {
		if !r.Changed {
			same++
			continue
		}
		changed++
		counts[r.Decision.Outcome]++
		note := ""
		if r.NotRouted != "" {
			note = " (not replayed: " + r.NotRouted + ")"
		}
		fmt.Fprintf(out, "%s: %s -> %s%s\n", r.Old.Key(), r.Old.Decision.Outcome, r.Decision.Outcome, note)
	}
	if !dryRun {
		if err := d.Publish(ctx, sink, batch); err != nil {
			return fmt.Errorf("publish the new decisions: %w (they are recorded, not yet published)", err)
		}
	}
	fmt.Fprintf(out, "replayed %d claims: %d unchanged, %d changed (%d accepted, %d rejected, %d held)\n",
		len(subs), same, changed, counts[screening.Accepted], counts[screening.Rejected], counts[screening.Held])
	return nil
}

func versions(v screening.Versions) string {
	var parts []string
	for _, sv := range v {
		parts = append(parts, sv.System+" "+sv.Version)
	}
	if len(parts) == 0 {
		return "the active releases"
	}
	return strings.Join(parts, ", ")
}
