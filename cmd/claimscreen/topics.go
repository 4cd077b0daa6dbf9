package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/originators"
	"github.com/claimscreen/claimscreen/internal/service"
)

// runTopics creates the input, review, held and dead-letter topics and the
// notice topic of every originator named (by flag or originator table file).
func runTopics(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("%w: topics create [--originators A,B] [--partitions N] [--replication N] [serve settings]", errUsage)
	}
	fs := flag.NewFlagSet("topics create", flag.ContinueOnError)
	ids := fs.String("originators", "", "comma-separated originator ids whose notice topics to create")
	partitions := fs.Int("partitions", 6, "partitions of each topic")
	replication := fs.Int("replication", 1, "replication factor of each topic")
	cfg, err := loadAdminConfig(fs, args[1:], s)
	if err != nil {
		return err
	}
	if *partitions < 1 || *replication < 1 {
		return fmt.Errorf("%w: --partitions and --replication must be at least 1", errUsage)
	}
	topics := cfg.Topics.Base()
	for _, id := range strings.Split(*ids, ",") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		if !claim.ValidOriginatorID(id) {
			return fmt.Errorf("%w: originator id %q must match %s", errUsage, id, claim.OriginatorIDPattern)
		}
		topics = append(topics, cfg.Topics.Pipeline().NoticeTopic(id))
	}
	if cfg.Screening.Registry != "" {
		t, err := originators.Load(cfg.Screening.Registry)
		if err != nil {
			return err
		}
		topics = append(topics, service.NoticeTopics(cfg.Topics.Pipeline(), t)...)
	}
	conn, err := service.Connect(ctx, cfg.Kafka, cfg.Kafka.Brokers)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	created, err := conn.CreateTopics(cctx, topics, *partitions, *replication)
	for _, t := range created {
		fmt.Fprintln(s.out, "created", t)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(s.out, "%d topics exist (%d created)\n", len(topics), len(created))
	return nil
}
