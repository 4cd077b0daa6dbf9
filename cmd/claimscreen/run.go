package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// env looks up an environment variable; tests pass a map.
type env func(string) (string, bool)

// io is what a subcommand reads and writes.
type stdio struct {
	in       io.Reader
	out, err io.Writer
	env      env
}

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, s stdio) error
}

func commands() []command {
	return []command{
		{"screen", "screen claim.v1 NDJSON from files or standard input, one decision per line", runScreen},
		{"serve", "run the screening service: Kafka consumer group, review/notice/held/dead-letter topics", runServe},
		{"demo", "run the service on an embedded broker with sample data and show what comes out", runDemo},
		{"topics", "create the service's topics and their ACLs: topics create [--originators A,B] [--partitions N]", runTopics},
		{"acls", "the Kafka ACLs of the trust model: list [--check] shows them and any drift from the originator table | apply fixes it", runACLs},
		{"codesets", "code sets: list [DIR|FILE...] | import FILE... | activate|retire SYSTEM VERSION", runCodesets},
		{"crosswalk", "crosswalk charts in PostgreSQL: import FILE|DIR | list | activate VERSION", runCrosswalk},
		{"originators", "the originator table, with each one's topics, user and ACLs: add ID [--notice-topic T] | list | disable ID", runOriginators},
		{"migrate", "apply the database migrations (DATABASE_URL)", runMigrate},
		{"bench", "measure: raw relay vs pipeline on Kafka, latency at a fixed load, rules per core, the SQL baseline", runBench},
		{"replay", "re-screen ledger claims with the active releases and publish the new decisions", runReplay},
		{"ledger", "print ledger rows as NDJSON, claim and decision as JSON (--outcome, --from, --to, --originator, --limit)", runLedger},
		{"x12", "X12 837 interchanges: x12 claims FILE... prints their claim.v1 mapping as NDJSON", runX12},
		{"deadletters", "list the dead-letter topic's messages (never their content); --requeue sends the fixable ones back to the input", runDeadletters},
		{"version", "print the version", func(ctx context.Context, args []string, s stdio) error {
			fmt.Fprintln(s.out, "claimscreen", version)
			return nil
		}},
	}
}

var version = "dev"

// errUsage marks an error in the command line (exit 2).
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: claimscreen COMMAND [flags]")
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "Run 'claimscreen COMMAND -h' for a command's flags.")
}

// run runs one command and returns the process exit code: 0 done, 1 failed,
// 2 wrong command line.
func run(ctx context.Context, args []string, in io.Reader, out, errw io.Writer, lookup env) int {
	s := stdio{in, out, errw, lookup}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(errw)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], s)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(errw, "claimscreen %s: %v\n", c.name, strings.TrimPrefix(err.Error(), "usage: "))
			return 2
		default:
			fmt.Fprintf(errw, "claimscreen %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(errw, "claimscreen: unknown command %q\n\n", args[0])
	usage(errw)
	return 2
}

// parseFlags parses a subcommand's flags; a bad flag is a usage error.
func parseFlags(fs *flag.FlagSet, args []string, w io.Writer) error {
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}
