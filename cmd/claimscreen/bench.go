package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"github.com/claimscreen/claimscreen/internal/bench"
)

func runBench(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o bench.Options
	o.Flags(fs)
	markdown := fs.String("markdown", "", "write the figures into this Markdown file, between <!-- bench:start --> and <!-- bench:end -->")
	if err := parseFlags(fs, args, s.err); err != nil {
		return err
	}
	if err := o.Check(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if o.Brokers == "" {
		o.Brokers, _ = s.env("KAFKA_BROKERS")
	}
	if o.DatabaseURL == "" {
		o.DatabaseURL, _ = s.env("DATABASE_URL")
	}
	res, err := bench.Run(ctx, o, s.out)
	if err != nil {
		return err
	}
	if *markdown != "" {
		if err := bench.WriteMarkdown(*markdown, res, strings.Join(append([]string{"claimscreen", "bench"}, args...), " ")); err != nil {
			return err
		}
		fmt.Fprintf(s.out, "figures written to %s\n", *markdown)
	}
	b, _ := json.Marshal(res)
	fmt.Fprintln(s.out, string(b))
	return nil
}
