package screenfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimscreen/claimscreen/internal/originators"
	"github.com/claimscreen/claimscreen/internal/x12"
)

func TestFileIdentity(t *testing.T) {
	table, err := originators.New([]originators.Entry{{ID: "CLINIC-9", Active: true, X12Sender: "ZZ:CLEARING-1"}})
	if err != nil {
		t.Fatal(err)
	}
	known := &x12.Interchange{SenderQualifier: "ZZ", Sender: "CLEARING-1"}
	odd := &x12.Interchange{SenderQualifier: "ZZ", Sender: "NOT AN ID"}
	g := &x12.Group{Sender: "G"}
	for _, c := range []struct {
		name       string
		originator string
		table      *originators.Table
		ic         *x12.Interchange
		want       string
		ok         bool
	}{
		{"the flag wins", "ACME", table, known, "ACME", true},
		{"the table names the sender", "", table, known, "CLINIC-9", true},
		{"a sender the table does not know", "", table, odd, "", false},
		{"no table: the sender id", "", nil, known, "CLEARING-1", true},
		{"no table, a sender that is no originator id", "", nil, odd, "X12-SENDER", true},
	} {
		got, ok := FileIdentity(c.originator, c.table)(c.ic, g)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %q %v, want %q %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestReadX12AndWriteAcks(t *testing.T) {
	if _, err := ReadX12("big.x12", strings.NewReader(strings.Repeat("x", MaxX12+1))); err == nil || !strings.Contains(err.Error(), "big.x12") {
		t.Fatalf("an oversized input: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "acks")
	paths, err := WriteAcks(dir, []Ack{{Name: "000000001-1.999", Body: []byte("ISA~")}})
	if err != nil || len(paths) != 1 {
		t.Fatal(paths, err)
	}
	if b, err := os.ReadFile(paths[0]); err != nil || string(b) != "ISA~" {
		t.Fatalf("%q %v", b, err)
	}
}
