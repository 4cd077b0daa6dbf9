package postgres

import (
	"bytes"
	"context"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/klauspost/compress/dict"

	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/pipeline"
)

var updateDict = flag.Bool("update-dict", false, "retrain internal/postgres/ledger-1.s2dict from synthetic claims")

// The committed dictionary compresses claims and decisions it was not
// trained on (another seed) to less than two fifths of their size, and every
// value comes back byte for byte.
func TestLedgerDictionary(t *testing.T) {
	if *updateDict {
		claims, decisions := syntheticValues(t, 20000, 1)
		d, err := dict.BuildS2Dict(append(claims, decisions...), dict.Options{MaxDictSize: 64 << 10, HashBytes: 6})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("ledger-1.s2dict", d, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote ledger-1.s2dict, %d bytes; rebuild and run again to check it", len(d))
		return
	}
	claims, decisions := syntheticValues(t, 3000, 77)
	for name, vals := range map[string][][]byte{"claims": claims, "decisions": decisions} {
		raw, packed := 0, 0
		for _, v := range vals {
			p := pack(v)
			got, err := unpack(p)
			if err != nil || !bytes.Equal(got, v) {
				t.Fatalf("%s: round trip: %v", name, err)
			}
			raw, packed = raw+len(v), packed+len(p)
		}
		t.Logf("%s: %d values, %d bytes raw, %d packed (%.2f)", name, len(vals), raw, packed, float64(packed)/float64(raw))
		if packed*5 > raw*2 {
			t.Errorf("%s: packed %d of %d bytes, want less than two fifths", name, packed, raw)
		}
	}
}

// Plain JSON (a row from before the compact ledger) reads as it is; a
// corrupt frame is an error, not garbage.
func TestUnpackOldRowsAndCorruptFrames(t *testing.T) {
	old := []byte(`{"claim_id":"X"}`)
	if got, err := unpack(old); err != nil || !bytes.Equal(got, old) {
		t.Errorf("plain JSON: %q %v", got, err)
	}
	v := []byte(`{"claim_id":"X","lines":[{"number":1},{"number":2},{"number":3}]}`)
	for i := 1; i < len(pack(v)); i++ {
		p := pack(v)
		p[i] ^= 0x20
		if got, err := unpack(p); err == nil {
			t.Errorf("byte %d changed: read %q without error", i, got)
		}
	}
	if _, err := unpack([]byte{0x7f, 1, 2, 3, 4, 5}); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Errorf("unknown format: %v", err)
	}
}

// A ledger written before the compact row (migration 4: JSON columns, hex
// hashes) is migrated in place: its rows read back whole through Prior and
// Select, publication times kept, and new rows are written compact beside
// them.
func TestCompactMigrationKeepsOldRows(t *testing.T) {
	ctx := context.Background()
	pool := db(t)
	if _, err := pool.Exec(ctx, "DROP SCHEMA public CASCADE; CREATE SCHEMA public"); err != nil {
		t.Fatal(err)
	}
	if _, err := migrateTo(ctx, pool, 4); err != nil {
		t.Fatal(err)
	}
	h := strings.Repeat("0f", 32)
	if _, err := pool.Exec(ctx, `INSERT INTO decision (originator_id, claim_id, content_hash, frequency, replaces_hash, claim, decision, outcome, codesets,
		source_topic, source_partition, source_offset, decided_at) VALUES
		('ORG-1', 'C-OLD', $1, '1', NULL, '{"claim_id":"C-OLD"}', '{"claim_id":"C-OLD","originator_id":"ORG-1","outcome":"accepted","codesets":{"ICD-10-CM":"FY2026"}}',
		 'accepted', '{"ICD-10-CM":"FY2026"}', 'claims.submitted', 2, 40, '2025-11-20T10:00:00Z')`, h); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO decision_published VALUES ('ORG-1', 'C-OLD', $1, '2025-11-20T10:00:01Z')`, h); err != nil {
		t.Fatal(err)
	}
	if applied, err := Migrate(ctx, pool); err != nil || len(applied) == 0 {
		t.Fatalf("migrate: %v %v", applied, err)
	}
	l := NewLedger(pool)
	prior, err := l.Prior(ctx, []string{"ORG-1/C-OLD"})
	if err != nil {
		t.Fatal(err)
	}
	old := prior["ORG-1/C-OLD"]
	if len(old) != 1 || old[0].Hash != h || !old[0].Published || string(old[0].Claim) != `{"claim_id":"C-OLD"}` ||
		old[0].Decision.Outcome != screening.Accepted || old[0].Source.Offset != 40 {
		t.Fatalf("old row after migration: %+v", old)
	}
	// A replacement recorded now links to it and is stored compressed.
	repl := old[0]
	repl.Hash, repl.Frequency, repl.Replaces = strings.Repeat("1e", 32), "7", h
	if _, err := l.Record(ctx, []pipeline.Submission{repl}); err != nil {
		t.Fatal(err)
	}
	var frame []byte
	var view string
	if err := pool.QueryRow(ctx, `SELECT claim, replaces_hash FROM ledger WHERE content_hash = $1`, repl.Hash).Scan(&frame, &view); err != nil {
		t.Fatal(err)
	}
	if frame[0] != formatDict1 || view != h {
		t.Errorf("new row: claim %x, replaces %q in the view", frame[:4], view)
	}
	all, err := l.Select(ctx, Filter{Originator: "ORG-1"})
	if err != nil || len(all) != 2 || all[1].Replaces != h {
		t.Fatalf("select: %v %+v", err, all)
	}
}

// BenchmarkPack compresses one claim and its decision into a packer's
// chunks, as Record does for every submission, and reports the bytes stored
// per claim.
func BenchmarkPack(b *testing.B) {
	claims, decisions := syntheticValues(b, 1000, 5)
	p := packer{chunk: 64 << 10}
	b.ReportAllocs()
	b.ResetTimer()
	stored := 0
	for i := 0; i < b.N; i++ {
		stored += len(p.pack(claims[i%len(claims)])) + len(p.pack(decisions[i%len(decisions)]))
	}
	b.ReportMetric(float64(stored)/float64(b.N), "bytes/claim")
}

// BenchmarkUnpack decompresses them, as Prior and replay do.
func BenchmarkUnpack(b *testing.B) {
	claims, decisions := syntheticValues(b, 1000, 5)
	var packed [][]byte
	for i := range claims {
		packed = append(packed, pack(claims[i]), pack(decisions[i]))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := unpack(packed[(2*i)%len(packed)]); err != nil {
			b.Fatal(err)
		}
		if _, err := unpack(packed[(2*i+1)%len(packed)]); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzUnpack: any stored bytes read back as an error or as a value, never
// a panic; every value packs and reads back byte for byte.
func FuzzUnpack(f *testing.F) {
	f.Add([]byte(`{"claim_id":"X"}`))
	f.Add(pack([]byte(`{"claim_id":"X","lines":[{"number":1}]}`)))
	f.Add([]byte{formatDict1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		unpack(b)
		got, err := unpack(pack(b))
		if err != nil || !bytes.Equal(got, b) && !(len(b) == 0 && len(got) == 0) {
			t.Fatalf("round trip of %q: %q, %v", b, got, err)
		}
	})
}
