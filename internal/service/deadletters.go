package service

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/kafkaio"
	"github.com/claimscreen/claimscreen/pipeline"
)

// DeadletterOptions say what Deadletters does.
type DeadletterOptions struct {
	Group   string          // consumer group that remembers how far the topic was drained
	Reasons map[string]bool // the reasons to requeue
	Requeue bool            // produce them back to the input topic and commit what was read
	Timeout time.Duration   // longest time to read what was in the topic at the start
}

// Deadletters reads the dead-letter topic from where its consumer group
// stopped: it lists every message on out (reason, detail, where it came
// from; never its content) and, with Requeue, produces those of the chosen
// reasons back to the input topic unchanged, then commits what it read. It
// ends with a summary on summary.
func Deadletters(ctx context.Context, cfg *config.Admin, opts DeadletterOptions, out, summary io.Writer) error {
	conn, err := Connect(ctx, cfg.Kafka, cfg.Kafka.Brokers)
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	// What is there now; later dead letters are for the next run.
	backlog, err := conn.Backlog(pctx, cfg.Topics.DeadLetter, opts.Group)
	if err != nil {
		return err
	}
	src := conn.NewSource(kafkaio.SourceConfig{Topic: cfg.Topics.DeadLetter, GroupID: opts.Group}, nil)
	defer src.Close()
	sink := conn.NewSink(kafkaio.SinkConfig{Compression: cfg.Kafka.Compression})
	defer sink.Close()
	retry := pipeline.Produce

	counts := map[string]int{}
	requeued, read := 0, int64(0)
	rctx, cancelRead := context.WithTimeout(ctx, opts.Timeout)
	defer cancelRead()
	hdr := func(m pipeline.Message, k string) string { return pipeline.HeaderValue(m.Headers, k) }
	for read < backlog {
		msgs, err := src.Fetch(rctx, int(min(500, backlog-read)), 200*time.Millisecond)
		if err != nil && len(msgs) == 0 {
			return fmt.Errorf("read %s: %d of %d dead letters: %w", cfg.Topics.DeadLetter, read, backlog, err)
		}
		read += int64(len(msgs))
		var back []pipeline.Output
		for _, m := range msgs {
			reason := hdr(m, pipeline.HeaderReason)
			counts[reason]++
			action := "kept"
			if opts.Reasons[reason] {
				action = "requeue"
				if opts.Requeue {
					back = append(back, pipeline.Output{Topic: requeueTopic(cfg, hdr(m, pipeline.HeaderSrcTopic)), Key: m.Key, Value: m.Value,
						Headers: []pipeline.Header{{Key: pipeline.HeaderRequeuedFrom, Value: fmt.Appendf(nil, "%d/%d", m.Partition, m.Offset)}}})
					action = "requeued"
				}
			}
			fmt.Fprintf(out, "%d/%d\t%s\t%s\tfrom %s/%s/%s\t%d bytes\t%s\n", m.Partition, m.Offset, reason, action,
				hdr(m, pipeline.HeaderSrcTopic), hdr(m, pipeline.HeaderSrcPart), hdr(m, pipeline.HeaderSrcOffset), len(m.Value),
				hdr(m, pipeline.HeaderDetail))
		}
		if !opts.Requeue {
			continue
		}
		if err := retry.Write(ctx, sink, back); err != nil {
			return fmt.Errorf("requeue: %w (nothing committed: the next run reads these again)", err)
		}
		requeued += len(back)
		if err := src.Commit(ctx, msgs); err != nil {
			return fmt.Errorf("commit the drained dead letters: %w", err)
		}
	}
	var keys []string
	total := 0
	for r, n := range counts {
		keys = append(keys, fmt.Sprintf("%s %d", r, n))
		total += n
	}
	sort.Strings(keys)
	verb := "listed; nothing requeued or committed (add --requeue)"
	if opts.Requeue {
		verb = fmt.Sprintf("drained; %d requeued to the topics they came from", requeued)
	}
	fmt.Fprintf(summary, "%d dead letters (%s) %s\n", total, strings.Join(keys, ", "), verb)
	return nil
}

// requeueTopic is where a dead letter goes back to: the input topic it
// was read from (the X12 topic, an originator's own topic in direct
// trust), or the claim.v1 input topic when its header names none of them.
func requeueTopic(cfg *config.Admin, source string) string {
	for _, t := range cfg.Topics.Inputs() {
		if source == t {
			return t
		}
	}
	if _, own := Model(cfg.Access, cfg.Topics, cfg.Consumer.GroupID).Pipeline().OwnerOf(source); own {
		return source
	}
	return cfg.Topics.Input
}
