package main

import (
	"context"
	"flag"
	"fmt"
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
	cfg, err := loadAdminConfig(fs, args, s, nil)
	if err != nil {
		return err
	}
	want, err := pipeline.ParseReasons(*reasons)
	if err != nil {
		return fmt.Errorf("%w: --reasons: %v", errUsage, err)
	}
	return service.Deadletters(ctx, cfg, service.DeadletterOptions{Group: *group, Reasons: want, Requeue: *requeue, Timeout: *wait}, s.out, s.err)
}
