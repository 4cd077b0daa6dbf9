package jsonw

import (
	"encoding/json"
	"math"
	"testing"
)

func TestSameAsEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "E11.9", `a"b\c`, "<&>", "tab\there", "\x01", "é", "\u2028\u2029", "\xff\xfe", "ok ~ !"} {
		want, _ := json.Marshal(s)
		if got := String(nil, s); string(got) != string(want) {
			t.Errorf("String(%q) = %s, want %s", s, got, want)
		}
	}
	for _, f := range []float64{0, 1, -5, 0.5, 1e-7, 1.5e-9, 1e20, 1e21, 123456789.125, -1e-6, math.SmallestNonzeroFloat64, math.MaxFloat64} {
		want, _ := json.Marshal(f)
		if got := Float(nil, f); string(got) != string(want) {
			t.Errorf("Float(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestArraysSameAsEncodingJSON(t *testing.T) {
	for _, ss := range [][]string{nil, {}, {"25"}, {"25", "59", "<&>"}} {
		want, _ := json.Marshal(ss)
		if got := Strings(nil, ss); string(got) != string(want) {
			t.Errorf("Strings(%q) = %s, want %s", ss, got, want)
		}
	}
	for _, ns := range [][]int{nil, {}, {1}, {1, 2, -3, 40}} {
		want, _ := json.Marshal(ns)
		if got := Ints(nil, ns); string(got) != string(want) {
			t.Errorf("Ints(%v) = %s, want %s", ns, got, want)
		}
	}
}

func FuzzString(f *testing.F) {
	f.Add("E11.9")
	f.Add("<\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := String(nil, s); string(got) != string(want) {
			t.Fatalf("String(%q) = %s, want %s", s, got, want)
		}
	})
}

// BenchmarkString writes a finding's message with quotes in it, as the
// Excludes1 and manifestation messages have.
func BenchmarkString(b *testing.B) {
	s := `E11.9 and E10.9 are an Excludes1 pair (at E11: "type 1 diabetes mellitus (E10.-)"): they are not reported together unless the conditions are unrelated`
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = String(buf[:0], s)
	}
}
