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
	fs.IntVar(&o.Claims, "claims", 200000, "claims to generate and push through")
	fs.IntVar(&o.Partitions, "partitions", 6, "partitions of the fresh input topic")
	fs.IntVar(&o.Rate, "rate", 5000, "offered load for the latency run, claims/s")
	fs.IntVar(&o.LatencyClaims, "latency-claims", 20000, "claims in the latency run")
	fs.StringVar(&o.Codesets, "codesets", "", "code-set folder to generate claims from and screen with (default: the bundled samples)")
	fs.StringVar(&o.Brokers, "brokers", "", "Kafka brokers (env KAFKA_BROKERS); none: the embedded broker")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "PostgreSQL for the ledger and the baseline (env DATABASE_URL); none: the in-memory ledger, no baseline. Give it a database of its own, never a service's: the bench deletes its rows and rewrites the ledger tables (VACUUM FULL, which locks them)")
	fs.IntVar(&o.BatchSize, "batch-size", 2000, "pipeline batch size")
	fs.StringVar(&o.Compression, "compression", "none", "compression of every batch written, by the relay and the pipeline alike: none, gzip, snappy, lz4 or zstd")
	fs.IntVar(&o.Workers, "workers", 1, "pipelines in the process, each a member of the consumer group")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the pipeline run (b) to this file")
	fs.BoolVar(&o.X12, "x12", false, "also push the claims through the X12 intake, as 837P interchanges on the X12 topic (run (c))")
	fs.IntVar(&o.X12PerInterchange, "x12-claims-per-interchange", 1000, "claims per generated interchange with --x12")
	fs.BoolVar(&o.Embedded, "embedded", false, "with a broker or a database: also run the relay and the pipeline on the embedded broker with the memory ledger")
	markdown := fs.String("markdown", "", "write the figures into this Markdown file, between <!-- bench:start --> and <!-- bench:end -->")
	fs.StringVar(&o.BrokerLabel, "broker-label", "", "how to name the broker in the report (for example 'Apache Kafka 4.1.1, deploy/local')")
	if err := parseFlags(fs, args, s.err); err != nil {
		return err
	}
	if o.Claims < 1000 || o.Partitions < 1 || o.Rate < 1 || o.LatencyClaims < 100 || o.BatchSize < 1 || o.Workers < 1 || o.X12PerInterchange < 1 {
		return fmt.Errorf("%w: --claims at least 1000, --latency-claims at least 100, --partitions, --rate, --batch-size, --workers and --x12-claims-per-interchange at least 1", errUsage)
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
