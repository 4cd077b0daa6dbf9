package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/testenv"
	"github.com/claimscreen/claimscreen/pipeline"
)

// BenchmarkLedgerRecord writes decisions in batches of 500, as the pipeline
// does (Record, then MarkPublished), of synthetic claims decided on the
// sample reference data, and reports submissions a second, the time a batch
// takes and the ledger's bytes on disk per submission.
func BenchmarkLedgerRecord(b *testing.B) {
	url := testenv.FreshDatabase(b, MigrateURL)
	ctx := context.Background()
	pool, err := Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	l := NewLedger(pool)
	const batch = 500
	subs := syntheticSubmissions(b, 2000, 9)
	size := func() int64 {
		var n int64
		if err := pool.QueryRow(ctx, `SELECT pg_total_relation_size('decision') + pg_total_relation_size('decision_published')`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	}
	before := size()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		out := make([]pipeline.Submission, batch)
		for j := range out {
			n++
			out[j] = subs[n%len(subs)]
			out[j].ClaimID = fmt.Sprintf("C%09d", n) // a new submission each time
			out[j].DecidedAt = time.Now()
		}
		if _, err := l.Record(ctx, out); err != nil {
			b.Fatal(err)
		}
		if err := l.MarkPublished(ctx, out, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "submissions/s")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/batch")
	b.ReportMetric(float64(size()-before)/float64(n), "bytes/submission")
}

// BenchmarkImportICD10Year imports one ICD-10-CM order file with COPY.
func BenchmarkImportICD10Year(b *testing.B) {
	rels, _, err := codeset.OpenFS(testenv.SharedFS(b), "icd10cm/icd10cm_order_2026.txt.gz", "")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		url := testenv.FreshDatabase(b, MigrateURL)
		pool, err := Open(context.Background(), url)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := NewReleases(pool).ImportReleases(context.Background(), rels); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		pool.Close()
		b.StartTimer()
	}
}

// BenchmarkSnapshotFromPostgres rebuilds the snapshot from the active
// releases (ICD-10-CM FY2024-FY2026 and HCPCS 2025-Q1).
func BenchmarkSnapshotFromPostgres(b *testing.B) {
	url := testenv.FreshDatabase(b, MigrateURL)
	pool, err := Open(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	reg := NewReleases(pool)
	for _, f := range []string{"icd10cm/icd10cm_order_2024.txt.gz", "icd10cm/icd10cm_order_2025.txt.gz", "icd10cm/icd10cm_order_2026.txt.gz", "hcpcs/HCPC2025_JAN_ANWEB_12172024.txt.gz"} {
		rels, _, err := codeset.OpenFS(testenv.SharedFS(b), f, "")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := reg.ImportReleases(context.Background(), rels); err != nil {
			b.Fatal(err)
		}
		for _, r := range rels {
			reg.SetReleaseActive(context.Background(), r.System, r.Version, true)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rels, err := reg.LoadActive(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := codeset.NewSnapshot(rels); err != nil {
			b.Fatal(err)
		}
	}
}
