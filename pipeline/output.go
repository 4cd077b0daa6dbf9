package pipeline

import (
	"strconv"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/notice"
	"github.com/claimscreen/claimscreen/internal/screening"
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
