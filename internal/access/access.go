// Package access is who may do what on claimscreen's topics, as Kafka
// ACLs: the set the trust model and the originator table call for (Model),
// and how it differs from the set in force (Diff). It is pure: kafkaio
// reads and writes ACLs on the brokers, service applies them beside topics
// and users, and `claimscreen acls list` shows the drift.
//
// Gateway trust: the gateway principal alone writes the shared submit
// topics. Direct trust: each originator writes only its own submit topics.
// In both, an originator reads only its notice topic, with its own
// consumer group; the service reads the submit topics with its group and
// writes review, held, dead letters and the notice topics; the adjusters
// read review and held with theirs.
package access

import (
	"fmt"
	"sort"
	"strings"

	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/pipeline"
)

// Resource types.
const (
	Topic = "topic"
	Group = "group"
)

// Operations.
const (
	Read  = "READ"
	Write = "WRITE"
)

// ACL is one allow rule on one literal resource. (claimscreen writes no
// deny rules and no prefixed patterns: every rule names what it is for.)
type ACL struct {
	Principal string // User:NAME
	Resource  string // Topic or Group
	Name      string
	Operation string // Read or Write
}

func (a ACL) String() string {
	return a.Principal + " " + a.Operation + " " + a.Resource + " " + a.Name
}

// Less orders ACLs by principal, resource, name and operation.
func Less(a, b ACL) bool {
	if a.Principal != b.Principal {
		return a.Principal < b.Principal
	}
	if a.Resource != b.Resource {
		return a.Resource < b.Resource
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.Operation < b.Operation
}

// Sort sorts acls in place and returns them.
func Sort(acls []ACL) []ACL {
	sort.Slice(acls, func(i, j int) bool { return Less(acls[i], acls[j]) })
	return acls
}

// Model makes the ACLs of a configuration.
type Model struct {
	Access config.Access
	Topics config.Topics
	// Group is the service's consumer group.
	Group string
}

// Pipeline are the topics as the pipeline names them, with the
// originators' own submit topics in direct trust.
func (m Model) Pipeline() pipeline.Topics {
	t := m.Topics.Pipeline()
	if m.Access.Direct() {
		t.Owned = []string{m.Access.DirectInput}
		if m.Topics.X12 != "" && m.Access.DirectX12 != "" {
			t.Owned = append(t.Owned, m.Access.DirectX12)
		}
	}
	return t
}

// User is an originator's SCRAM user name.
func (m Model) User(originator string) string {
	return strings.ReplaceAll(m.Access.OriginatorUser, pipeline.OriginatorPlaceholder, originator)
}

// Principal is an originator's principal.
func (m Model) Principal(originator string) string { return "User:" + m.User(originator) }

// OriginatorGroup is the consumer group an originator reads notices with.
func (m Model) OriginatorGroup(originator string) string {
	return strings.ReplaceAll(m.Access.OriginatorGroup, pipeline.OriginatorPlaceholder, originator)
}

// Base are the ACLs that exist whatever the originators: the service's on
// its group and the shared topics, the gateway's (gateway trust) and the
// adjusters'.
func (m Model) Base() []ACL {
	svc, t := m.Access.ServicePrincipal, m.Topics
	out := []ACL{{svc, Group, m.Group, Read}}
	for _, topic := range []string{t.Review, t.Held, t.DeadLetter} {
		out = append(out, ACL{svc, Topic, topic, Write})
	}
	if !m.Access.Direct() {
		for _, topic := range t.Inputs() {
			out = append(out, ACL{svc, Topic, topic, Read}, ACL{m.Access.GatewayPrincipal, Topic, topic, Write})
		}
	}
	adj := m.Access.AdjustersPrincipal
	out = append(out, ACL{adj, Topic, t.Review, Read}, ACL{adj, Topic, t.Held, Read}, ACL{adj, Group, m.Access.AdjustersGroup, Read})
	return Sort(out)
}

// Topics are an originator's topics: its notice topic (noticeTopic, or
// the template's when ""), then its own submit topics in direct trust.
func (m Model) OriginatorTopics(id, noticeTopic string) (notice string, submit []string) {
	p := m.Pipeline()
	notice = noticeTopic
	if notice == "" {
		notice = p.NoticeTopic(id)
	}
	return notice, p.OwnTopics(id)
}

// Originator are the ACLs of an active originator: it reads its notice
// topic with its group and, in direct trust, writes its own submit
// topics; the service writes the notice topic and reads the submit topics.
func (m Model) Originator(id, noticeTopic string) []ACL {
	who, svc := m.Principal(id), m.Access.ServicePrincipal
	notice, submit := m.OriginatorTopics(id, noticeTopic)
	out := []ACL{{who, Topic, notice, Read}, {who, Group, m.OriginatorGroup(id), Read}, {svc, Topic, notice, Write}}
	for _, topic := range submit {
		out = append(out, ACL{who, Topic, topic, Write}, ACL{svc, Topic, topic, Read})
	}
	return Sort(out)
}

// CheckOriginator reports an originator id whose topics, user or group
// Kafka would refuse (a valid originator id can still make a topic name
// over 249 characters with a long template).
func (m Model) CheckOriginator(id string) error {
	if !pipeline.ValidOriginatorID(id) {
		return fmt.Errorf("originator id %q must match %s: it becomes part of topic and user names", id, "^[A-Za-z0-9._-]{1,64}$")
	}
	notice, submit := m.OriginatorTopics(id, "")
	for _, t := range append([]string{notice, m.OriginatorGroup(id)}, submit...) {
		if !pipeline.ValidTopicName(t) {
			return fmt.Errorf("originator id %q makes %q, not a valid Kafka name (%s)", id, t, pipeline.TopicNamePattern)
		}
	}
	return nil
}

// Want are the ACLs of the base and of every active originator (id to its
// own notice topic, "" for the template's).
func (m Model) Want(active map[string]string) []ACL {
	out := m.Base()
	for id, topic := range active {
		out = append(out, m.Originator(id, topic)...)
	}
	return Sort(dedupe(out))
}

func dedupe(acls []ACL) []ACL {
	seen := map[ACL]bool{}
	out := acls[:0]
	for _, a := range acls {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

// Managed reports whether principal is one claimscreen manages: the
// service, the gateway, the adjusters, or an originator's by the user
// template. Other principals' ACLs are the operator's own.
func (m Model) Managed(principal string) bool {
	switch principal {
	case m.Access.ServicePrincipal, m.Access.GatewayPrincipal, m.Access.AdjustersPrincipal:
		return true
	}
	name, ok := strings.CutPrefix(principal, "User:")
	if !ok {
		return false
	}
	pre, suf, _ := strings.Cut(m.Access.OriginatorUser, pipeline.OriginatorPlaceholder)
	id, ok := strings.CutPrefix(name, pre)
	if !ok {
		return false
	}
	id, ok = strings.CutSuffix(id, suf)
	return ok && pipeline.ValidOriginatorID(id)
}

// Drift is how the ACLs in force differ from those wanted.
type Drift struct {
	Missing []ACL // wanted, not in force
	Extra   []ACL // in force for a managed principal, not wanted
}

// None reports whether there is no drift.
func (d Drift) None() bool { return len(d.Missing) == 0 && len(d.Extra) == 0 }

// Diff compares the ACLs in force (have) with those wanted. Only managed
// principals' ACLs count as extra.
func (m Model) Diff(want, have []ACL) Drift {
	in := map[ACL]bool{}
	for _, a := range have {
		in[a] = true
	}
	wanted := map[ACL]bool{}
	var d Drift
	for _, a := range want {
		wanted[a] = true
		if !in[a] {
			d.Missing = append(d.Missing, a)
		}
	}
	for _, a := range have {
		if !wanted[a] && m.Managed(a.Principal) {
			d.Extra = append(d.Extra, a)
		}
	}
	Sort(d.Missing)
	Sort(dedupe(d.Extra))
	return d
}

// Row is one line of the ACL listing: an ACL and its state: "ok",
// "missing" (the table calls for it), "extra" (a managed principal's ACL
// the table does not call for) or "other" (a principal claimscreen does
// not manage).
type Row struct {
	ACL
	State string
}

// Listing is every ACL in force and every missing one, sorted, each with
// its state.
func (m Model) Listing(have []ACL, d Drift) []Row {
	state := map[ACL]string{}
	rows := append([]ACL(nil), have...)
	for _, a := range have {
		state[a] = "ok"
		if !m.Managed(a.Principal) {
			state[a] = "other"
		}
	}
	for _, a := range d.Extra {
		state[a] = "extra"
	}
	for _, a := range d.Missing {
		state[a] = "missing"
		rows = append(rows, a)
	}
	out := make([]Row, 0, len(rows))
	for _, a := range Sort(rows) {
		out = append(out, Row{a, state[a]})
	}
	return out
}
