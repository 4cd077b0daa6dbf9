// Package x12intake is the X12 input format of the service: a
// pipeline.Intake that splits one interchange (a Kafka message) into the
// claim.v1 claims of its accepted 837 transaction sets and, once they are
// decided, writes its TA1, 999 and 277CA. It identifies the sender by the
// trading-partner table, never by a raw ISA or GS id.
package x12intake

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/claimscreen/claimscreen/internal/rule"
	"github.com/claimscreen/claimscreen/internal/screening"
	"github.com/claimscreen/claimscreen/internal/x12"
	"github.com/claimscreen/claimscreen/pipeline"
)

// Partners is the trading-partner table (originators.Table, .Live).
type Partners interface {
	Sender(qualifier, id, group string) (string, bool)
}

// DefaultMaxBytes is the largest interchange taken by default (16 MiB).
const DefaultMaxBytes = 16 << 20

// Content type and schema headers of the acknowledgements.
const (
	ContentType = "application/edi-x12"
	SchemaTA1   = "x12-ta1"
	Schema999   = "x12-999"
	Schema277CA = "x12-277ca"
)

// Intake reads X12 837 interchanges.
type Intake struct {
	Partners Partners
	MaxBytes int // default DefaultMaxBytes
}

var _ pipeline.Intake = (*Intake)(nil)

// Split implements pipeline.Intake.
func (in *Intake) Split(m pipeline.Message) pipeline.Split {
	max := in.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	if len(m.Value) > max {
		return pipeline.Split{Reason: pipeline.ReasonTooLarge, Detail: fmt.Sprintf("interchange of %d bytes, more than the limit of %d", len(m.Value), max)}
	}
	ics, err := x12.Parse(m.Value)
	if err != nil {
		return pipeline.Split{Reason: pipeline.ReasonMalformed, Detail: err.Error()}
	}
	originator := ""
	for _, ic := range ics {
		for _, g := range ic.Groups {
			id, ok := "", false
			if in.Partners != nil {
				id, ok = in.Partners.Sender(ic.SenderQualifier, ic.Sender, g.Sender)
			}
			if !ok {
				return pipeline.Split{Reason: pipeline.ReasonUnknownSender,
					Detail: fmt.Sprintf("interchange %s: sender %s:%s (GS02 %s) is not in the trading-partner table", ic.Control, ic.SenderQualifier, ic.Sender, g.Sender)}
			}
			if originator != "" && id != originator {
				return pipeline.Split{Reason: pipeline.ReasonUnknownSender, Detail: "one message holds the interchanges of two originators"}
			}
			originator = id
		}
	}
	if originator == "" {
		return pipeline.Split{Reason: pipeline.ReasonMalformed, Detail: "the interchange holds no functional group"}
	}
	// The claims of the accepted sets, in file order; what each set is.
	type setClaims struct {
		ic     *x12.Interchange
		g      *x12.Group
		set    *x12.Set
		claims []x12.Claim
		first  int
	}
	var sets []setClaims
	var msgs []pipeline.Message
	groupResults := map[*x12.Group][]x12.SetResult{}
	for _, ic := range ics {
		for _, g := range ic.Groups {
			results, claims := x12.Results(ic, g, func(s *x12.Set) ([]x12.Claim, error) {
				if s.ID != "837" {
					return nil, fmt.Errorf("transaction set %s is a %s, not an 837", s.Control, s.ID)
				}
				return x12.Claims(ic, g, s, m.Time, originator)
			})
			groupResults[g] = results
			// The group's messages, their headers, keys and sources are
			// each taken from one allocation, sized first.
			n := 0
			for i, r := range results {
				if r.Accepted() {
					n += len(claims[i])
				}
			}
			msgs = slices.Grow(msgs, n)
			headers := make([]pipeline.Header, 0, n*(len(m.Headers)+1))
			text := make([]byte, 0, n*(len(originator)+64))
			for i, r := range results {
				if !r.Accepted() {
					continue
				}
				sets = append(sets, setClaims{ic: ic, g: g, set: r.Set, claims: claims[i], first: len(msgs)})
				for j := range claims[i] {
					c := &claims[i][j]
					k := len(text)
					text = append(append(append(text, originator...), '/'), c.ClaimID...)
					key := text[k:len(text):len(text)] // capped: later appends never reach it
					k = len(text)
					text = appendSource(text, c)
					source := text[k:len(text):len(text)]
					h := len(headers)
					headers = append(append(headers, m.Headers...), pipeline.Header{Key: pipeline.HeaderSource, Value: source})
					msgs = append(msgs, pipeline.Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset,
						Key: key, Value: c.JSON, Text: c.Text, Time: m.Time, Headers: headers[h:len(headers):len(headers)]})
				}
			}
		}
	}
	return pipeline.Split{Claims: msgs, Originator: originator, Acks: func(results []pipeline.Result) []pipeline.Ack {
		var acks []pipeline.Ack
		key := func(ic *x12.Interchange, kind string) string { return originator + "/" + ic.Control + "/" + kind }
		for _, ic := range ics {
			if x12.TA1Due(ic) {
				acks = append(acks, pipeline.Ack{Schema: SchemaTA1, ContentType: ContentType, Key: key(ic, "ta1"), Value: x12.TA1(ic)})
			}
			for _, g := range ic.Groups {
				acks = append(acks, pipeline.Ack{Schema: Schema999, ContentType: ContentType, Key: key(ic, "999-"+g.Control), Value: x12.Ack999(ic, g, groupResults[g])})
			}
		}
		for _, s := range sets {
			statuses := make([]x12.ClaimStatus, len(s.claims))
			for i, c := range s.claims {
				statuses[i] = StatusOf(c, results[s.first+i])
			}
			// The message's own time, so that a redelivery gets the same
			// bytes.
			acks = append(acks, pipeline.Ack{Schema: Schema277CA, ContentType: ContentType, Key: key(s.ic, "277ca-"+s.g.Control+"-"+s.set.Control),
				Value: x12.Ack277CA(s.ic, s.g, s.set, statuses, m.Time)})
		}
		return acks
	}}
}

// appendSource appends a claim's source header:
// x12:ISA13/GS06/ST02/its position among the set's claims.
func appendSource(b []byte, c *x12.Claim) []byte {
	for _, part := range [...]string{"x12:", c.Interchange, "/", c.Group, "/", c.Set, "/"} {
		b = append(b, part...)
	}
	return strconv.AppendInt(b, int64(c.Position), 10)
}

// Count is about how many claims an interchange holds (x12.CountClaims),
// for the Source to bound a batch by claims: it makes Intake a
// pipeline.Counter.
func (in *Intake) Count(value []byte) int { return x12.CountClaims(value) }

// StatusOf is what the 277CA says of a claim's decision: accepted (held
// claims too, pending with their reason), or rejected with the 277CA
// statuses of its rejecting findings (with the rule table's entity, A7:255:QC;
// A7:21 when the claim could not be decoded at all), and of each line with
// findings of its own (the rule table's X12Line), for the 2220D loop.
func StatusOf(c x12.Claim, r pipeline.Result) x12.ClaimStatus {
	st := x12.ClaimStatus{Claim: c, DecisionID: r.DecisionID}
	if r.Decision == nil {
		st.Codes = []string{"A7:21"}
		return st
	}
	d := r.Decision
	switch d.Outcome {
	case screening.Accepted:
		st.Accepted = true
	case screening.Held:
		st.Accepted = true
		for _, fd := range d.Findings {
			if fd.Severity == rule.Hold {
				st.Pending = fd.Message
				break
			}
		}
	default:
		// A claim's codes and lines with findings are a handful: looked
		// up in the slices themselves, without a map a claim.
		for _, fd := range d.Findings {
			if fd.Severity != rule.Reject || fd.X12 == "" {
				continue
			}
			code := fd.X12
			spec, _ := rule.Lookup(fd.Rule)
			if spec != nil && spec.X12Entity != "" {
				code += ":" + spec.X12Entity // STC01-3, the entity it concerns
			}
			if !contains(st.Codes, code) {
				st.Codes = append(st.Codes, code)
			}
			// A line's own finding is reported on the line too (2220D).
			if spec != nil && spec.X12Line && fd.Line > 0 && fd.Line <= len(c.Lines) {
				i := slices.IndexFunc(st.Lines, func(l x12.LineStatus) bool { return l.Index == fd.Line-1 })
				if i < 0 {
					i = len(st.Lines)
					st.Lines = append(st.Lines, x12.LineStatus{Index: fd.Line - 1})
				}
				if ls := &st.Lines[i]; len(ls.Codes) < 3 && !contains(ls.Codes, code) {
					ls.Codes = append(ls.Codes, code)
				}
			}
		}
	}
	return st
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
