package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/kafkaio"
	"github.com/claimscreen/claimscreen/internal/registry"
)

// runTopics creates the input, review, held and dead-letter topics and the
// notice topic of every originator named (by flag or registry).
func runTopics(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("%w: topics create [--originators A,B] [--partitions N] [--replication N] [serve settings]", errUsage)
	}
	fs := flag.NewFlagSet("topics create", flag.ContinueOnError)
	originators := fs.String("originators", "", "comma-separated originator ids whose notice topics to create")
	partitions := fs.Int("partitions", 6, "partitions of each topic")
	replication := fs.Int("replication", 1, "replication factor of each topic")
	// Codesets are not needed to create topics.
	args = append([]string{"--codesets", "-"}, args[1:]...)
	cfg, err := config.LoadService(fs, args, s.env)
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *partitions < 1 || *replication < 1 {
		return fmt.Errorf("%w: --partitions and --replication must be at least 1", errUsage)
	}
	topics := baseTopics(cfg)
	var ids []string
	for _, id := range strings.Split(*originators, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		topics = append(topics, strings.ReplaceAll(cfg.NoticeTemplate, "{originator}", id))
	}
	if cfg.Registry != "" {
		reg, err := registry.Load(cfg.Registry)
		if err != nil {
			return err
		}
		topics = append(topics, registryTopics(cfg, reg)...)
	}
	conn, err := kafkaio.NewConn(cfg.Brokers, security(cfg))
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
