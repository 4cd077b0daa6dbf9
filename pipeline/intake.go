package pipeline

// Intake is an input format beside claim.v1: it splits one input message
// into claim.v1 messages and, once they are decided, writes the
// acknowledgements owed to their sender. It never routes, records or
// commits: the decide step does that for every claim, as for claim.v1.
type Intake interface {
	// Split may be called for several messages at once, one goroutine
	// each: an interchange is work enough for a core.
	Split(m Message) Split
}

// A Counter is an Intake that tells, before splitting, about how many
// claims a message holds: a Source bounds a batch by claims with it
// (Weigher), so that --batch-size claims are a batch whichever format
// they come in.
type Counter interface {
	Count(value []byte) int
}

// Weigher is the claims a message of topic holds for a Source that bounds
// its batches by claims (kafkaio.SourceConfig.Weight): what the topic's
// intake counts when it is a Counter (at least one), one for any other
// message.
func Weigher(topics Topics, intakes map[string]Intake) func(topic string, value []byte) int {
	if len(intakes) == 0 {
		return nil
	}
	return func(topic string, value []byte) int {
		if c, ok := intakeFor(topics, intakes, topic).(Counter); ok {
			return max(c.Count(value), 1)
		}
		return 1
	}
}

// Split is what an intake made of one message.
type Split struct {
	// Claims are claim.v1 messages (Value), in input order; their position
	// is the input message's.
	Claims []Message
	// Originator is whose the message is, for the acknowledgements' topic.
	Originator string
	// Acks builds the acknowledgements from the claims' results (in the
	// order of Claims); nil when none are owed.
	Acks func(results []Result) []Ack
	// Reason and Detail, when Reason is set, dead-letter the whole message.
	Reason, Detail string
}

// Ack is an acknowledgement to publish on the originator's notice topic.
type Ack struct {
	Schema      string // header schema: x12-999, x12-277ca, x12-ta1
	ContentType string // header content-type: application/edi-x12
	Key         string
	Value       []byte
}

// Reasons an intake dead-letters a message, or a claim of it, for.
const (
	ReasonUnknownSender = "UNKNOWN_SENDER" // the trading-partner table does not know it
	// ReasonX12Rejected: a claim of a transaction set the envelope checks
	// reject (claimscreen screen; the service answers such a set with its
	// 999 and dead-letters nothing).
	ReasonX12Rejected = "X12_REJECTED"
)
