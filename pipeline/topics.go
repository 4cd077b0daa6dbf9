package pipeline

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/claimscreen/claimscreen/internal/claim"
)

// This file is the one home of the rule "no input chooses a topic": the
// output topics, the notice-topic template, which originators may submit,
// the names of the headers the outputs carry and the dead-letter reasons.

// Topics names the output topics.
type Topics struct {
	Review     string // accepted claims, review.v1
	Held       string // held claims, review.v1 with hold_reason
	DeadLetter string // messages that cannot be answered, bytes unchanged
	// NoticeTemplate makes an originator's notice topic; "{originator}" is
	// replaced by the (validated) originator id.
	NoticeTemplate string
	// Owned are the templates of the originators' own submit topics
	// (direct trust): a message read from a topic one of them makes is
	// that originator's, whatever it says (OwnerOf). Empty in gateway
	// trust, where the shared topics' messages name their originator.
	Owned []string
}

// OwnerOf returns the originator whose own submit topic topic is, by the
// Owned templates; false for a shared topic.
func (t Topics) OwnerOf(topic string) (string, bool) {
	_, id, ok := t.owner(topic)
	return id, ok
}

// owner is OwnerOf with the template that made the topic: of templates
// that both match (claims.{originator} and claims.{originator}.x12), the
// one with the most fixed text.
func (t Topics) owner(topic string) (tmpl, id string, ok bool) {
	for _, tp := range t.Owned {
		pre, suf, _ := strings.Cut(tp, OriginatorPlaceholder)
		if rest, found := strings.CutPrefix(topic, pre); found {
			if rest, found = strings.CutSuffix(rest, suf); found && claim.ValidOriginatorID(rest) && (!ok || len(tp) > len(tmpl)) {
				tmpl, id, ok = tp, rest, true
			}
		}
	}
	return tmpl, id, ok
}

// OwnTopics are originator's own submit topics by the Owned templates.
func (t Topics) OwnTopics(originator string) []string {
	out := make([]string, len(t.Owned))
	for i, tmpl := range t.Owned {
		out[i] = strings.ReplaceAll(tmpl, OriginatorPlaceholder, originator)
	}
	return out
}

// OriginatorPlaceholder is what NoticeTemplate holds where the originator
// id goes.
const OriginatorPlaceholder = "{originator}"

// DefaultTopics are the topics of ARCHITECTURE §2.
var DefaultTopics = Topics{Review: "claims.review", Held: "claims.held", DeadLetter: "claims.deadletter", NoticeTemplate: "claims.notices." + OriginatorPlaceholder}

// NoticeTopic returns the notice topic of originator by the template. The
// id must be valid (claim.ValidOriginatorID): every caller's id comes from
// the decoder or an originator table, which check it.
func (t Topics) NoticeTopic(originator string) string {
	return strings.ReplaceAll(t.NoticeTemplate, OriginatorPlaceholder, originator)
}

// Validate reports every topic name that Kafka would refuse, and a
// template without its placeholder.
func (t Topics) Validate() error {
	var errs []error
	for _, n := range []struct{ name, topic string }{{"review", t.Review}, {"held", t.Held}, {"dead-letter", t.DeadLetter}} {
		if !ValidTopicName(n.topic) {
			errs = append(errs, fmt.Errorf("%s topic %q is not a valid Kafka topic name (%s)", n.name, n.topic, TopicNamePattern))
		}
	}
	if !strings.Contains(t.NoticeTemplate, OriginatorPlaceholder) || !ValidTopicName(t.NoticeTopic("X")) {
		errs = append(errs, fmt.Errorf("notice topic template %q must contain %s and otherwise only letters, digits, '.', '_' and '-'", t.NoticeTemplate, OriginatorPlaceholder))
	}
	return errors.Join(errs...)
}

// TopicNamePattern is what Kafka accepts as a topic name.
const TopicNamePattern = `^[A-Za-z0-9._-]{1,249}$`

// ValidTopicName reports whether s matches TopicNamePattern.
func ValidTopicName(s string) bool { return claim.NameOf(s, 249) }

// ValidOriginatorID is the originator id rule (claim.OriginatorIDPattern).
func ValidOriginatorID(id string) bool { return claim.ValidOriginatorID(id) }

// Originators says which originators may submit and where their notices
// go. Implementations: originators.Table (a file or the PostgreSQL table)
// and originators.Live (the table as last loaded, swapped on change).
type Originators interface {
	// Lookup returns the originator's own notice topic ("" for the
	// template's) and whether it is known and active.
	Lookup(originatorID string) (noticeTopic string, ok bool)
	// Active lists the active originators and their own notice topics.
	Active() map[string]string
}

// NoticeTopicOf is the notice topic of an originator: its own, from the
// table, or the template's.
func NoticeTopicOf(t Topics, o Originators, id string) string {
	if o != nil {
		if topic, _ := o.Lookup(id); topic != "" {
			return topic
		}
	}
	return t.NoticeTopic(id)
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
	// HeaderSource is where in its input message a claim was, for an
	// intake's claims (X12: "x12:ISA13/GS06/ST02/n", n the CLM's place in
	// the set); review, held and notice messages carry it on.
	HeaderSource = "claim-source"
	// HeaderRequeuedFrom marks a message produced back from the dead-letter
	// topic: partition/offset there.
	HeaderRequeuedFrom = "requeued-from"
)

// Dead-letter reasons: why a message could not be answered.
const (
	ReasonMalformed          = claim.ReasonMalformed // not a claim.v1 message anybody can be answered for
	ReasonTooLarge           = claim.ReasonTooLarge  // over the size limit
	ReasonUnknownOriginator  = "UNKNOWN_ORIGINATOR"  // not in the originator table, or inactive
	ReasonNoticeTopicMissing = "NOTICE_TOPIC_MISSING"
	// ReasonOriginatorMismatch: read from an originator's own submit topic
	// (direct trust) but naming another originator, by its originator_id
	// or its X12 sender. Never screened, recorded or answered: the sender
	// may not speak for the originator it names.
	ReasonOriginatorMismatch = "ORIGINATOR_MISMATCH"
)

// Reasons lists every dead-letter reason.
var Reasons = []string{ReasonMalformed, ReasonTooLarge, ReasonUnknownOriginator, ReasonNoticeTopicMissing, ReasonOriginatorMismatch, ReasonUnknownSender}

// Requeueable are the reasons an operator can fix (create the notice
// topic, register the originator, add the X12 sender to the trading-partner
// table), after which the message can be answered as it is.
var Requeueable = []string{ReasonNoticeTopicMissing, ReasonUnknownOriginator, ReasonUnknownSender}

// ParseReasons reads a comma-separated list of dead-letter reasons (empty
// items skipped) as a set; an unknown reason is an error that names them
// all.
func ParseReasons(list string) (map[string]bool, error) {
	want := map[string]bool{}
	for _, r := range strings.Split(list, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		if !slices.Contains(Reasons, r) {
			return nil, fmt.Errorf("%q is not a dead-letter reason (%s)", r, strings.Join(Reasons, ", "))
		}
		want[r] = true
	}
	return want, nil
}

// HeaderValue is the value of the first header named key, or "".
func HeaderValue(hs []Header, key string) string {
	for _, h := range hs {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
