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
