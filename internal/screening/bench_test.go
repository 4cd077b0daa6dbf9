package screening_test

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/gen"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/internal/testenv"
)

var realFiles = []string{"icd10cm/icd10cm_order_2024.txt.gz", "icd10cm/icd10cm_order_2025.txt.gz", "icd10cm/icd10cm_order_2026.txt.gz",
	"hcpcs/HCPC2025_JAN_ANWEB_12172024.txt.gz", "hcpcs/HCPC2025_JAN_ANWEB.csv"}

// loadReal loads every ICD-10-CM and HCPCS file of shared/data (the HCPCS
// text and CSV forms are the same release: the text form is indexed) and,
// with editors, the MCE tables and the Tabular List.
func loadReal(b testing.TB, editors bool) ([]*codeset.Release, *codeset.Snapshot) {
	var rels []*codeset.Release
	files := realFiles[:4]
	if editors {
		files = append(append([]string(nil), files...), editorFiles...)
	}
	for _, f := range files {
		r, _, err := codeset.OpenFS(testenv.SharedFS(b), f, "")
		if err != nil {
			b.Fatal(err)
		}
		rels = append(rels, r...)
	}
	snap, err := codeset.NewSnapshot(rels)
	if err != nil {
		b.Fatal(err)
	}
	return rels, snap
}

func benchClaims(b *testing.B, n int, uniform, editors bool) (*screening.Screener, [][]byte) {
	rels, snap := loadReal(b, editors)
	g, err := gen.New(rels, gen.Options{Seed: 1, Uniform: uniform})
	if err != nil {
		b.Fatal(err)
	}
	sc := screening.New(snap, g.Chart(), nil)
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i], _ = g.Next()
	}
	return sc, msgs
}

// BenchmarkRules screens decoded claims: the rules alone. Codes follow a
// Zipf law, as on real claims; BenchmarkRulesUniform draws every code of the
// code sets with the same chance, the worst case for the caches.
func BenchmarkRules(b *testing.B) { benchRules(b, false, false) }

// BenchmarkRulesUniform is BenchmarkRules with codes drawn uniformly.
func BenchmarkRulesUniform(b *testing.B) { benchRules(b, true, false) }

// BenchmarkRulesEditors is BenchmarkRules with the MCE tables and the
// Tabular List loaded: every diagnosis edit runs too.
func BenchmarkRulesEditors(b *testing.B) { benchRules(b, false, true) }

func benchRules(b *testing.B, uniform, editors bool) {
	sc, msgs := benchClaims(b, 4096, uniform, editors)
	inputs := make([]screening.Input, len(msgs))
	for i, m := range msgs {
		c, fs, err := claim.Decode(m, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		inputs[i] = screening.Input{Claim: c, Findings: fs}
	}
	b.ReportAllocs()
	settle()
	b.ResetTimer()
	gcCPU.reset()
	for i := 0; i < b.N; i++ {
		in := inputs[i%len(inputs)]
		in.Findings = in.Findings[:len(in.Findings):len(in.Findings)]
		sc.Screen(in)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "claims/s")
	gcCPU.report(b)
}

// settle collects the garbage that loading the code sets leaves (hundreds
// of MB with the Tabular List) and returns its pages to the system now: with
// runtime.GC alone the timed loop paid for sweeping it and for the
// background scavenger's madvise calls, a cost of start-up that a service
// pays once, not per claim.
func settle() { debug.FreeOSMemory() }

// gcCPU reports the collector's CPU time a claim in the timed loop (read
// from runtime/metrics at the start and the end): the share of the work a
// larger pointer heap (more to scan each cycle) costs.
var gcCPU gcMeter

type gcMeter struct{ start float64 }

func (m *gcMeter) read() float64 {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	return s[0].Value.Float64()
}

func (m *gcMeter) reset() { m.start = m.read() }

func (m *gcMeter) report(b *testing.B) {
	b.ReportMetric((m.read()-m.start)*1e9/float64(b.N), "gc-ns/claim")
}

// BenchmarkDecode decodes the generator's claim.v1 messages: the
// decoder alone.
func BenchmarkDecode(b *testing.B) { benchDecode(b, false, false) }

// BenchmarkDecodeAndRules decodes and screens claim.v1 messages.
func BenchmarkDecodeAndRules(b *testing.B) { benchDecode(b, true, false) }

// BenchmarkDecodeAndRulesEditors is BenchmarkDecodeAndRules with the MCE
// tables and the Tabular List loaded.
func BenchmarkDecodeAndRulesEditors(b *testing.B) { benchDecode(b, true, true) }

func benchDecode(b *testing.B, screen, editors bool) {
	sc, msgs := benchClaims(b, 4096, false, editors)
	dec := claim.NewDecoder(claim.Limits{})
	now := time.Now()
	var bytes int
	for _, m := range msgs {
		bytes += len(m)
	}
	b.SetBytes(int64(bytes / len(msgs)))
	b.ReportAllocs()
	settle()
	b.ResetTimer()
	gcCPU.reset()
	for i := 0; i < b.N; i++ {
		c, fs, err := dec.Decode(msgs[i%len(msgs)], now)
		if err != nil {
			b.Fatal(err)
		}
		if screen {
			sc.Screen(screening.Input{Claim: c, Findings: fs})
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "claims/s")
	gcCPU.report(b)
}

// BenchmarkSnapshotBuild reads every ICD-10-CM and HCPCS file of
// shared/data and indexes them; it reports the heap the snapshot holds.
func BenchmarkSnapshotBuild(b *testing.B) { benchSnapshotBuild(b, realFiles) }

// BenchmarkSnapshotBuildEditors is BenchmarkSnapshotBuild with the MCE
// tables and the Tabular List.
func BenchmarkSnapshotBuildEditors(b *testing.B) {
	benchSnapshotBuild(b, append(append([]string(nil), realFiles...), editorFiles...))
}

func benchSnapshotBuild(b *testing.B, files []string) {
	testenv.SharedData(b)
	var heap uint64
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		var rels []*codeset.Release
		for _, f := range files {
			r, _, err := codeset.OpenFS(testenv.SharedFS(b), f, "")
			if err != nil {
				b.Fatal(err)
			}
			if f == realFiles[4] {
				continue // the CSV twin of the text file: read, not indexed twice
			}
			rels = append(rels, r...)
		}
		snap, err := codeset.NewSnapshot(rels)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		heap = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(snap)
		b.StartTimer()
	}
	b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
}
