package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/kafkaio"
	"github.com/claimscreen/claimscreen/pipeline"
)

// requeueable are the dead-letter reasons an operator can fix (create the
// notice topic, register the originator), after which the message can be
// answered as it is.
var requeueable = []string{pipeline.ReasonNoticeTopicMissing, pipeline.ReasonUnknownOriginator}

// HeaderRequeuedFrom marks a message produced back from the dead-letter
// topic: partition/offset there.
const HeaderRequeuedFrom = "requeued-from"

// runDeadletters reads the dead-letter topic from where its consumer group
// stopped: it lists every message (reason, detail, where it came from; never
// its content) and, with --requeue, produces those of the fixable reasons
// back to the input topic unchanged and commits what it read.
func runDeadletters(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("deadletters", flag.ContinueOnError)
	group := fs.String("drain-group", "claimscreen-deadletters", "consumer group that remembers how far the dead-letter topic was drained")
	reasons := fs.String("reasons", strings.Join(requeueable, ","), "reasons to requeue, comma-separated")
	requeue := fs.Bool("requeue", false, "produce the messages of those reasons back to the input topic and commit what was read (without it: list only, commit nothing)")
	wait := fs.Duration("timeout", time.Minute, "longest time to read what was in the topic at the start")
	cfg, err := config.LoadService(fs, append([]string{"--codesets", "-"}, args...), s.env)
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	want := map[string]bool{}
	for _, r := range strings.Split(*reasons, ",") {
		switch r = strings.TrimSpace(r); r {
		case "":
		case pipeline.ReasonNoticeTopicMissing, pipeline.ReasonUnknownOriginator, "MALFORMED", "TOO_LARGE":
			want[r] = true
		default:
			return fmt.Errorf("%w: --reasons: %q is not a dead-letter reason (%s, %s, MALFORMED, TOO_LARGE)", errUsage, r, pipeline.ReasonNoticeTopicMissing, pipeline.ReasonUnknownOriginator)
		}
	}
	conn, err := kafkaio.NewConn(cfg.Brokers, security(cfg))
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := conn.Ping(pctx); err != nil {
		return err
	}
	// What is there now; later dead letters are for the next run.
	backlog, err := conn.Backlog(pctx, cfg.DeadLetterTopic, *group)
	if err != nil {
		return err
	}
	src := conn.NewSource(kafkaio.SourceConfig{Topic: cfg.DeadLetterTopic, GroupID: *group}, nil)
	defer src.Close()
	sink := conn.NewSink(kafkaio.SinkConfig{})
	defer sink.Close()

	counts := map[string]int{}
	requeued, read := 0, int64(0)
	rctx, cancelRead := context.WithTimeout(ctx, *wait)
	defer cancelRead()
	for read < backlog {
		msgs, err := src.Fetch(rctx, int(min(500, backlog-read)), 200*time.Millisecond)
		if err != nil && len(msgs) == 0 {
			return fmt.Errorf("read %s: %d of %d dead letters: %w", cfg.DeadLetterTopic, read, backlog, err)
		}
		read += int64(len(msgs))
		var back []pipeline.Output
		for _, m := range msgs {
			reason := hdr(m, pipeline.HeaderReason)
			counts[reason]++
			action := "kept"
			if want[reason] {
				action = "requeue"
				if *requeue {
					back = append(back, pipeline.Output{Topic: cfg.InputTopic, Key: m.Key, Value: m.Value,
						Headers: []pipeline.Header{{Key: HeaderRequeuedFrom, Value: fmt.Appendf(nil, "%d/%d", m.Partition, m.Offset)}}})
					action = "requeued"
				}
			}
			fmt.Fprintf(s.out, "%d/%d\t%s\t%s\tfrom %s/%s/%s\t%d bytes\t%s\n", m.Partition, m.Offset, reason, action,
				hdr(m, pipeline.HeaderSrcTopic), hdr(m, pipeline.HeaderSrcPart), hdr(m, pipeline.HeaderSrcOffset), len(m.Value),
				hdr(m, pipeline.HeaderDetail))
		}
		if !*requeue {
			continue
		}
		if err := writeRetry(ctx, sink, back); err != nil {
			return fmt.Errorf("requeue to %s: %w (nothing committed: the next run reads these again)", cfg.InputTopic, err)
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
	if *requeue {
		verb = fmt.Sprintf("drained; %d requeued to %s", requeued, cfg.InputTopic)
	}
	fmt.Fprintf(s.err, "%d dead letters (%s) %s\n", total, strings.Join(keys, ", "), verb)
	return nil
}

// hdr is a message's header value, or "".
func hdr(m pipeline.Message, k string) string { return pipeline.HeaderValue(m.Headers, k) }
