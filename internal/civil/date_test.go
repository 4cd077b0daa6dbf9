package civil

import (
	"testing"
	"time"
)

func TestRoundTripAgainstTime(t *testing.T) {
	start := time.Date(1899, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 80000; i += 7 {
		tm := start.AddDate(0, 0, i)
		s := tm.Format("2006-01-02")
		d, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if want := Date(tm.Unix() / 86400); d != want {
			t.Fatalf("Parse(%q) = %d, want %d", s, d, want)
		}
		if d.String() != s {
			t.Fatalf("String() = %q, want %q", d.String(), s)
		}
		c, err := ParseCompact(tm.Format("20060102"))
		if err != nil || c != d {
			t.Fatalf("ParseCompact(%q) = %v, %v", tm.Format("20060102"), c, err)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{"", "2025-02-29", "2024-13-01", "2024-00-10", "2024-1-01", "2024/01/01", "20240101", "2024-01-32", "0000-01-01", "２０２４-01-01"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
	if _, err := Parse("2024-02-29"); err != nil {
		t.Errorf("leap day refused: %v", err)
	}
	for _, s := range []string{"2024013", "2024-101", "20241301", "2024010a"} {
		if _, err := ParseCompact(s); err == nil {
			t.Errorf("ParseCompact(%q) accepted", s)
		}
	}
}

func TestRange(t *testing.T) {
	a := Range{FromYMD(2024, 10, 1), FromYMD(2025, 9, 30)}
	if !a.Contains(FromYMD(2025, 9, 30)) || a.Contains(FromYMD(2025, 10, 1)) {
		t.Fatal("Contains is not inclusive of the ends only")
	}
	b := Range{FromYMD(2025, 9, 30), Max}
	if !a.Overlaps(b) || a.Overlaps(Range{FromYMD(2025, 10, 1), Max}) {
		t.Fatal("Overlaps wrong")
	}
	if Max.String() != "open" {
		t.Fatal("open end")
	}
}
