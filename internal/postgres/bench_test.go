package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/internal/testenv"
	"github.com/claimscreen/claimscreen/pipeline"
)

// BenchmarkLedgerRecord writes decisions in batches of 500, as the pipeline
// does (Record, then MarkPublished), and reports submissions a second.
func BenchmarkLedgerRecord(b *testing.B) {
	url := testenv.FreshDatabase(b, MigrateURL)
	pool, err := Open(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	l := NewLedger(pool)
	claimJSON := []byte(`{"claim_id":"X","originator_id":"ORG","form":"professional","diagnoses":[{"code":"E119"}],"lines":[{"number":1,"procedure":{"code":"99213"},"units":1,"charge":"95.00"}]}`)
	d := screening.Decision{ClaimID: "X", OriginatorID: "ORG", Outcome: screening.Accepted, Codesets: screening.Versions{{System: "ICD-10-CM", Version: "FY2026"}},
		InternalCodes: []screening.InternalCode{{Path: "diagnoses[0].code", Code: "E119", Internal: "DX-DIAB"}}}
	const batch = 500
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		subs := make([]pipeline.Submission, batch)
		for j := range subs {
			n++
			subs[j] = pipeline.Submission{OriginatorID: "ORG", ClaimID: fmt.Sprintf("C%09d", n), Hash: fmt.Sprintf("%064d", n), Frequency: "1",
				Claim: claimJSON, Decision: d, Source: pipeline.Position{Topic: "in", Partition: 0, Offset: int64(n)}, DecidedAt: time.Now()}
		}
		if _, err := l.Record(context.Background(), subs); err != nil {
			b.Fatal(err)
		}
		if err := l.MarkPublished(context.Background(), subs, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "submissions/s")
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
