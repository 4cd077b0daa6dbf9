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
