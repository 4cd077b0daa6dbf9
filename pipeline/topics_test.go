package pipeline

import (
	"strings"
	"testing"
)

func TestParseReasons(t *testing.T) {
	got, err := ParseReasons(" NOTICE_TOPIC_MISSING, ,UNKNOWN_ORIGINATOR")
	if err != nil || len(got) != 2 || !got[ReasonNoticeTopicMissing] || !got[ReasonUnknownOriginator] {
		t.Fatalf("%v %v", got, err)
	}
	if got, err := ParseReasons(""); err != nil || len(got) != 0 {
		t.Errorf("no reasons: %v %v", got, err)
	}
	_, err = ParseReasons("MALFORMED,LOST")
	if err == nil || !strings.Contains(err.Error(), `"LOST"`) || !strings.Contains(err.Error(), ReasonTooLarge) {
		t.Errorf("an unknown reason: %v, want it named with the reasons there are", err)
	}
}

// Every reason the service or an intake dead-letters for can be named to
// deadletters --reasons, and the fixable ones are requeued by default.
func TestRequeueableReasons(t *testing.T) {
	all, err := ParseReasons(strings.Join(Reasons, ","))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{ReasonUnknownSender, ReasonUnknownOriginator, ReasonNoticeTopicMissing, ReasonOriginatorMismatch, ReasonMalformed, ReasonTooLarge} {
		if !all[r] {
			t.Errorf("%s is not in Reasons", r)
		}
	}
	def, err := ParseReasons(strings.Join(Requeueable, ","))
	if err != nil || !def[ReasonUnknownSender] || def[ReasonMalformed] || def[ReasonOriginatorMismatch] {
		t.Errorf("the default requeue set %v (%v): want the fixable reasons, UNKNOWN_SENDER among them, and never MALFORMED or ORIGINATOR_MISMATCH", def, err)
	}
}

// countingIntake holds as many claims as its message's bytes.
type countingIntake struct{}

func (countingIntake) Split(Message) Split    { return Split{} }
func (countingIntake) Count(value []byte) int { return len(value) }

// plainIntake counts nothing.
type plainIntake struct{}

func (plainIntake) Split(Message) Split { return Split{} }

// TestWeigher: a message weighs what its topic's intake counts (an
// originator's own topic by its template too, at least one), and one on
// any other topic or with an intake that does not count.
func TestWeigher(t *testing.T) {
	if Weigher(Topics{}, nil) != nil {
		t.Error("without intakes, a weigher")
	}
	topics := Topics{Owned: []string{"x12." + OriginatorPlaceholder + ".submitted"}}
	w := Weigher(topics, map[string]Intake{"claims.x12": countingIntake{}, "x12." + OriginatorPlaceholder + ".submitted": countingIntake{}, "other": plainIntake{}})
	for _, tc := range []struct {
		topic, value string
		want         int
	}{
		{"claims.x12", "12345", 5},
		{"claims.x12", "", 1},
		{"x12.ORIG-1.submitted", "123", 3},
		{"claims.submitted", "12345", 1},
		{"other", "12345", 1},
	} {
		if got := w(tc.topic, []byte(tc.value)); got != tc.want {
			t.Errorf("%s %q: %d, want %d", tc.topic, tc.value, got, tc.want)
		}
	}
}
