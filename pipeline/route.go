package pipeline

import (
	"strconv"
	"strings"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/notice"
	"github.com/claimscreen/claimscreen/internal/screening"
)

// Topics names the output topics.
type Topics struct {
	Review     string // accepted claims, review.v1
	Held       string // held claims, review.v1 with hold_reason
	DeadLetter string // messages that cannot be answered, bytes unchanged
	// NoticeTemplate makes an originator's notice topic; "{originator}" is
	// replaced by the (validated) originator id.
	NoticeTemplate string
}

// DefaultTopics are the topics of ARCHITECTURE §2.
var DefaultTopics = Topics{Review: "claims.review", Held: "claims.held", DeadLetter: "claims.deadletter", NoticeTemplate: "claims.notices.{originator}"}

// NoticeTopic returns the notice topic of originator by the template.
func (t Topics) NoticeTopic(originator string) string {
	return strings.ReplaceAll(t.NoticeTemplate, "{originator}", originator)
}

// Registry says which originators may submit and where their notices go.
type Registry interface {
	// Lookup returns the originator's notice topic ("" for the template's)
	// and whether it is known and active.
	Lookup(originatorID string) (noticeTopic string, ok bool)
	// Originators lists the active originators and their notice topics.
	Originators() map[string]string
}

// Header names.
const (
	HeaderContentType = "content-type"
	HeaderSchema      = "schema"
	HeaderDecisionID  = "decision-id"
	HeaderOutcome     = "outcome"
	HeaderReason      = "deadletter-reason"
	HeaderDetail      = "deadletter-detail"
	HeaderSrcTopic    = "source-topic"
	HeaderSrcPart     = "source-partition"
	HeaderSrcOffset   = "source-offset"
)

// Dead-letter reasons beside the decoder's (MALFORMED, TOO_LARGE).
const (
	ReasonUnknownOriginator  = "UNKNOWN_ORIGINATOR"
	ReasonNoticeTopicMissing = "NOTICE_TOPIC_MISSING"
)

// deadLetter is the output for an input that cannot be answered: its bytes
// unchanged, and why.
func deadLetter(t Topics, m Message, reason, detail string) Output {
	h := append([]Header(nil), m.Headers...)
	h = append(h,
		Header{HeaderReason, []byte(reason)},
		Header{HeaderDetail, []byte(detail)},
		Header{HeaderSrcTopic, []byte(m.Topic)},
		Header{HeaderSrcPart, []byte(strconv.Itoa(m.Partition))},
		Header{HeaderSrcOffset, []byte(strconv.FormatInt(m.Offset, 10))},
	)
	return Output{Topic: t.DeadLetter, Key: m.Key, Value: m.Value, Headers: h}
}

// decisionOutput builds the review, held or notice message of a decision.
func decisionOutput(topic string, c *claim.Claim, body []byte, hash string, d screening.Decision, decisionJSON []byte, decidedAt time.Time) (Output, error) {
	var b []byte
	var err error
	schema := notice.ReviewSchema
	if d.Outcome == screening.Rejected {
		n := notice.NewNotice(c, hash, d, decidedAt)
		b, err = n.Encode()
		schema = notice.NoticeSchema
	} else {
		r := notice.NewReview(c, body, hash, d, decidedAt)
		b, err = r.Encode(decisionJSON)
	}
	if err != nil {
		return Output{}, err
	}
	return Output{Topic: topic, Key: []byte(c.Key()), Value: b, Headers: []Header{
		{HeaderContentType, []byte("application/json")},
		{HeaderSchema, []byte(schema)},
		{HeaderDecisionID, []byte(notice.ID(c, hash))},
		{HeaderOutcome, []byte(d.Outcome)},
	}}, nil
}

// RouteDecision builds the output of a decision taken outside the loop (a
// replay): review, held, or a notice on the originator's topic.
func RouteDecision(t Topics, reg Registry, c *claim.Claim, body []byte, hash string, d screening.Decision, decidedAt time.Time) (Output, error) {
	topic := t.Review
	switch d.Outcome {
	case screening.Held:
		topic = t.Held
	case screening.Rejected:
		topic = ""
		if reg != nil {
			topic, _ = reg.Lookup(c.OriginatorID)
		}
		if topic == "" {
			topic = t.NoticeTopic(c.OriginatorID)
		}
	}
	return decisionOutput(topic, c, body, hash, d, nil, decidedAt)
}
