package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/claimscreen/claimscreen/internal/access"
	"github.com/claimscreen/claimscreen/internal/service"
)

// runTopics creates the review, held and dead-letter topics, the shared
// submit topics (gateway trust), and the topics of every originator named
// (by flag or originator table file), with their ACLs: all or none.
func runTopics(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("%w: topics create [--originators A,B] [--partitions N] [--replication N] [serve settings]", errUsage)
	}
	fs := flag.NewFlagSet("topics create", flag.ContinueOnError)
	ids := fs.String("originators", "", "comma-separated originator ids whose notice topics (and, in direct trust, own submit topics) to create")
	partitions := fs.Int("partitions", 6, "partitions of each topic")
	replication := fs.Int("replication", 1, "replication factor of each topic")
	cfg, err := loadAdminConfig(fs, args[1:], s, nil)
	if err != nil {
		return err
	}
	if *partitions < 1 || *replication < 1 {
		return fmt.Errorf("%w: --partitions and --replication must be at least 1", errUsage)
	}
	model := service.Model(cfg.Access, cfg.Topics, cfg.Consumer.GroupID)
	named := map[string]string{}
	for _, id := range strings.Split(*ids, ",") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		if err := model.CheckOriginator(id); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		named[id] = ""
	}
	c, topics, err := service.CreateTopics(ctx, cfg, named, *partitions, *replication)
	if err != nil {
		return err
	}
	c.Report(s.out, "created")
	fmt.Fprintf(s.out, "%d topics exist (%d created); %d ACLs created\n", topics, len(c.Topics), len(c.ACLs))
	return nil
}

// runACLs lists the ACLs in force against those the trust model and the
// originator table call for, and applies the difference.
func runACLs(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "apply") {
		return fmt.Errorf("%w: acls list [--check] | acls apply [serve settings]", errUsage)
	}
	verb := args[0]
	fs := flag.NewFlagSet("acls "+verb, flag.ContinueOnError)
	check := fs.Bool("check", false, "acls list: exit with an error when the ACLs drift from the originator table")
	cfg, err := loadAdminConfig(fs, args[1:], s, nil)
	if err != nil {
		return err
	}
	model, have, drift, err := service.ACLs(ctx, cfg, verb == "apply")
	if err != nil {
		return err
	}
	if verb == "apply" {
		for _, a := range drift.Missing {
			fmt.Fprintln(s.out, "created ACL", a)
		}
		for _, a := range drift.Extra {
			fmt.Fprintln(s.out, "deleted ACL", a)
		}
		fmt.Fprintf(s.out, "%d ACLs created, %d deleted\n", len(drift.Missing), len(drift.Extra))
		return nil
	}
	printACLs(s, model, have, drift)
	if *check && !drift.None() {
		return fmt.Errorf("the ACLs drift from the originator table: %d missing, %d extra; claimscreen acls apply fixes it", len(drift.Missing), len(drift.Extra))
	}
	return nil
}

// printACLs prints the ACLs in force and the drift (access.Model.Listing).
func printACLs(s stdio, m access.Model, have []access.ACL, d access.Drift) {
	tw := newTable(s.out, "PRINCIPAL\tOPERATION\tRESOURCE\tNAME\tSTATE")
	for _, r := range m.Listing(have, d) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Principal, r.Operation, r.Resource, r.Name, r.State)
	}
	tw.Flush()
	if d.None() {
		fmt.Fprintln(s.out, "no drift: the ACLs in force are those the originator table calls for")
	} else {
		fmt.Fprintf(s.out, "drift: %d missing, %d extra; claimscreen acls apply fixes it\n", len(d.Missing), len(d.Extra))
	}
}
