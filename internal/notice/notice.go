// Package notice builds what claimscreen publishes from a decision:
// notice.v1 for the originator of a rejected claim, review.v1 for adjusters
// (accepted claims, and held claims on the held topic). It is pure.
package notice

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/jsonw"
	"github.com/claimscreen/claimscreen/internal/rule"
	"github.com/claimscreen/claimscreen/internal/screening"
)

// Schema versions, also sent as the schema-version header.
const (
	NoticeSchema = "notice.v1"
	ReviewSchema = "review.v1"
	ClaimSchema  = "claim.v1"
)

// Notice is notice.v1.
type Notice struct {
	Schema       string             `json:"schema"`
	NoticeID     string             `json:"notice_id"`
	ClaimID      string             `json:"claim_id"`
	OriginatorID string             `json:"originator_id"`
	ReceivedAt   time.Time          `json:"received_at"`
	DecidedAt    time.Time          `json:"decided_at"`
	Outcome      screening.Outcome  `json:"outcome"`
	Findings     []rule.Finding     `json:"findings"`
	Codesets     screening.Versions `json:"codesets"`
	Resubmit     string             `json:"resubmit"`
}

// Review is review.v1.
type Review struct {
	Schema     string             `json:"schema"`
	DecisionID string             `json:"decision_id"`
	DecidedAt  time.Time          `json:"decided_at"`
	HoldReason string             `json:"hold_reason,omitempty"`
	Claim      json.RawMessage    `json:"claim"`
	Decision   screening.Decision `json:"decision"`
}

// ID is the id of a submission's decision and notice: the same for the same
// originator, claim id and content, so a redelivered or resubmitted claim
// gets the same id. hash is the claim's ContentHash.
func ID(c *claim.Claim, hash string) string {
	sum := sha256.Sum256([]byte(c.OriginatorID + "\x00" + c.ClaimID + "\x00" + hash))
	return hex.EncodeToString(sum[:16])
}

const resubmit = "Correct every finding listed and send the claim again with the same claim id as a replacement (frequency 7). Nothing on this claim was paid."

// NewNotice builds the rejection notice of a rejected claim.
func NewNotice(c *claim.Claim, hash string, d screening.Decision, decidedAt time.Time) Notice {
	return Notice{Schema: NoticeSchema, NoticeID: ID(c, hash), ClaimID: c.ClaimID, OriginatorID: c.OriginatorID,
		ReceivedAt: c.ReceivedAt.UTC(), DecidedAt: decidedAt.UTC(), Outcome: d.Outcome,
		Findings: d.Findings, Codesets: d.Codesets, Resubmit: resubmit}
}

// NewReview builds the review message of an accepted or held claim; body is
// the claim's JSON (Claim.Encode).
func NewReview(c *claim.Claim, body []byte, hash string, d screening.Decision, decidedAt time.Time) Review {
	r := Review{Schema: ReviewSchema, DecisionID: ID(c, hash), DecidedAt: decidedAt.UTC(), Claim: body, Decision: d}
	if d.Outcome == screening.Held {
		for _, f := range d.Findings {
			if f.Severity == rule.Hold {
				r.HoldReason = f.Message
				break
			}
		}
	}
	return r
}

// reviewHead is Review without the claim and the decision, which Encode
// splices in as they are.
type reviewHead struct {
	Schema     string    `json:"schema"`
	DecisionID string    `json:"decision_id"`
	DecidedAt  time.Time `json:"decided_at"`
	HoldReason string    `json:"hold_reason,omitempty"`
}

// Encode returns the same bytes as json.Marshal(r), without re-reading the
// claim (already JSON) and with the decision as encoded once for the ledger
// (decision: json.Marshal(r.Decision), or nil to encode it here).
func (r *Review) Encode(decision []byte) ([]byte, error) {
	if decision == nil {
		var err error
		if decision, err = json.Marshal(r.Decision); err != nil {
			return nil, err
		}
	}
	head, err := json.Marshal(reviewHead{r.Schema, r.DecisionID, r.DecidedAt, r.HoldReason})
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(head)+len(r.Claim)+len(decision)+24)
	b = append(b, head[:len(head)-1]...)
	b = append(b, `,"claim":`...)
	b = append(b, r.Claim...)
	b = append(b, `,"decision":`...)
	b = append(b, decision...)
	return append(b, '}'), nil
}

// Encode returns the same bytes as json.Marshal(n), without reflection.
func (n *Notice) Encode() ([]byte, error) {
	b := make([]byte, 0, 512+200*len(n.Findings))
	b = append(b, `{"schema":`...)
	b = jsonw.String(b, n.Schema)
	b = append(b, `,"notice_id":`...)
	b = jsonw.String(b, n.NoticeID)
	b = append(b, `,"claim_id":`...)
	b = jsonw.String(b, n.ClaimID)
	b = append(b, `,"originator_id":`...)
	b = jsonw.String(b, n.OriginatorID)
	for _, t := range [...]struct {
		name string
		at   time.Time
	}{{"received_at", n.ReceivedAt}, {"decided_at", n.DecidedAt}} {
		ts, err := t.at.MarshalJSON()
		if err != nil {
			return nil, err
		}
		b = jsonw.Field(b, t.name, false)
		b = append(b, ts...)
	}
	b = append(b, `,"outcome":`...)
	b = jsonw.String(b, string(n.Outcome))
	b = append(b, `,"findings":`...)
	b = rule.AppendFindings(b, n.Findings)
	b = append(b, `,"codesets":`...)
	b = n.Codesets.AppendJSON(b)
	b = append(b, `,"resubmit":`...)
	b = jsonw.String(b, n.Resubmit)
	return append(b, '}'), nil
}
