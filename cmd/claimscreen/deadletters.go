package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/claimscreen/claimscreen/internal/service"
	"github.com/claimscreen/claimscreen/pipeline"
)

// runDeadletters lists the dead-letter topic's messages (never their
// content) and, with --requeue, sends the fixable ones back to the input.
func runDeadletters(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("deadletters", flag.ContinueOnError)
	group := fs.String("drain-group", "claimscreen-deadletters", "consumer group that remembers how far the dead-letter topic was drained")
	reasons := fs.String("reasons", strings.Join(pipeline.Requeueable, ","), "reasons to requeue, comma-separated")
	requeue := fs.Bool("requeue", false, "produce the messages of those reasons back to the input topic and commit what was read (without it: list only, commit nothing)")
	wait := fs.Duration("timeout", time.Minute, "longest time to read what was in the topic at the start")
	cfg, err := loadAdminConfig(fs, args, s)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, r := range strings.Split(*reasons, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		if !slices.Contains(pipeline.Reasons, r) {
			return fmt.Errorf("%w: --reasons: %q is not a dead-letter reason (%s)", errUsage, r, strings.Join(pipeline.Reasons, ", "))
		}
		want[r] = true
	}
	return service.Deadletters(ctx, cfg, service.DeadletterOptions{Group: *group, Reasons: want, Requeue: *requeue, Timeout: *wait}, s.out, s.err)
}
