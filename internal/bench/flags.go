package bench

import (
	"errors"
	"flag"
)

// Flags registers the options as claimscreen bench's flags, with their
// defaults.
func (o *Options) Flags(fs *flag.FlagSet) {
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
	fs.StringVar(&o.X12CPUProfile, "x12-cpuprofile", "", "with --x12: write a CPU profile of the X12 run (c) to this file")
	fs.IntVar(&o.X12PerInterchange, "x12-claims-per-interchange", 1000, "claims per generated interchange with --x12")
	fs.BoolVar(&o.Embedded, "embedded", false, "with a broker or a database: also run the relay and the pipeline on the embedded broker with the memory ledger")
	fs.StringVar(&o.BrokerLabel, "broker-label", "", "how to name the broker in the report (for example 'Apache Kafka 4.1.1, deploy/local')")
}

// Check reports options too small to measure anything.
func (o *Options) Check() error {
	if o.Claims < 1000 || o.Partitions < 1 || o.Rate < 1 || o.LatencyClaims < 100 || o.BatchSize < 1 || o.Workers < 1 || o.X12PerInterchange < 1 {
		return errors.New("--claims at least 1000, --latency-claims at least 100, --partitions, --rate, --batch-size, --workers and --x12-claims-per-interchange at least 1")
	}
	return nil
}
