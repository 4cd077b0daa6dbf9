package originators

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	r, err := Parse("o.csv", strings.NewReader("originator_id,notice_topic,active\nLAB-0042,,true\nCLINIC-1,notices.clinic-1,true\nOLD-9,,false\n"))
	if err != nil {
		t.Fatal(err)
	}
	if topic, ok := r.Lookup("CLINIC-1"); !ok || topic != "notices.clinic-1" {
		t.Errorf("CLINIC-1: %q %v", topic, ok)
	}
	if _, ok := r.Lookup("OLD-9"); ok {
		t.Error("an inactive originator is allowed")
	}
	if _, ok := r.Lookup("NOPE"); ok {
		t.Error("an unknown originator is allowed")
	}
	if len(r.Active()) != 2 {
		t.Errorf("active: %v", r.Active())
	}
	for _, tc := range []struct{ body, want string }{
		{"id,topic\n", "o.csv:1: header"},
		{"originator_id,notice_topic,active\nA/B,,true\n", "o.csv:2: originator_id"},
		{"originator_id,notice_topic,active\nA,bad topic,true\n", "o.csv:2: notice_topic"},
		{"originator_id,notice_topic,active\nA,,yes please\n", "o.csv:2: active"},
		{"originator_id,notice_topic,active\nA,,true\nA,,false\n", "o.csv:3: originator A is listed twice"},
		{"originator_id,notice_topic,active\nA,true\n", "o.csv:2: 2 fields"},
	} {
		if _, err := Parse("o.csv", strings.NewReader(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %s", tc.body, err, tc.want)
		}
	}
}

// FuzzTable: any file is read or refused with its name, never a panic;
// what is read only ever allows valid originator ids.
func FuzzTable(f *testing.F) {
	f.Add("originator_id,notice_topic,active\nLAB-0042,,true\nCLINIC-1,notices.clinic-1,true\nOLD-9,,false\n")
	f.Add("originator_id,notice_topic,active\nA,,true\nA,,false\n")
	f.Add("originator_id,notice_topic,active\n\"A\nB\",,true\n")
	f.Fuzz(func(t *testing.T, body string) {
		r, err := Parse("o.csv", strings.NewReader(body))
		if err != nil {
			if !strings.Contains(err.Error(), "o.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for id := range r.Active() {
			if !validID(id) {
				t.Fatalf("registry allows the originator id %q", id)
			}
		}
	})
}

func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// The trading-partner columns: an interchange's sender (and GS02, when an
// entry names it) identifies one active originator, or none.
func TestSender(t *testing.T) {
	tab, err := Parse("o.csv", strings.NewReader("originator_id,notice_topic,active,x12_sender,x12_group_sender\n"+
		"CLEARING-1,,true,ZZ:CLEARING-1,\nHOSP-7,,true,ZZ:BIGHOSP,BH-EAST\nHOSP-8,,true,ZZ:BIGHOSP,BH-WEST\nOLD-1,,false,ZZ:OLDONE,\nLAB-1,,true,,\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q, id, group, want string
		ok                 bool
	}{
		{"ZZ", "CLEARING-1", "ANY", "CLEARING-1", true},
		{"ZZ", "BIGHOSP", "BH-EAST", "HOSP-7", true},
		{"ZZ", "BIGHOSP", "BH-WEST", "HOSP-8", true},
		{"ZZ", "BIGHOSP", "BH-NORTH", "", false},
		{"ZZ", "OLDONE", "", "", false}, // inactive
		{"01", "CLEARING-1", "", "", false},
		{"ZZ", "NOBODY", "", "", false},
	} {
		if got, ok := tab.Sender(tc.q, tc.id, tc.group); got != tc.want || ok != tc.ok {
			t.Errorf("%s:%s/%s: %q %v", tc.q, tc.id, tc.group, got, ok)
		}
	}
	for _, tc := range []struct{ body, want string }{
		{"originator_id,notice_topic,active,x12_sender,x12_group_sender\nA,,true,CLEARING-1,\n", "o.csv:2: x12_sender"},
		{"originator_id,notice_topic,active,x12_sender,x12_group_sender\nA,,true,,G1\n", "o.csv:2: x12_group_sender"},
		{"originator_id,notice_topic,active,x12_sender,x12_group_sender\nA,,true\n", "o.csv:2: 3 fields, want 5"},
	} {
		if _, err := Parse("o.csv", strings.NewReader(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %s", tc.body, err, tc.want)
		}
	}
}
