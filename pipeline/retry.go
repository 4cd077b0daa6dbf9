package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Retry is how a step that touches the broker or the database is retried:
// backoff from Min doubling to Max, for at most Attempts tries (0: until
// the context ends). Every wait honours the context.
type Retry struct {
	Min, Max time.Duration
	Attempts int
	// OnFault is told of each failed try (for readiness, metrics and logs);
	// nil ignores them.
	OnFault func(stage string, err error, backoff time.Duration)
}

func (r Retry) withDefaults() Retry {
	if r.Min <= 0 {
		r.Min = 100 * time.Millisecond
	}
	if r.Max <= 0 {
		r.Max = 5 * time.Second
	}
	return r
}

// Do runs fn until it succeeds, the attempts are used up or ctx is done;
// the error then names the stage.
func (r Retry) Do(ctx context.Context, stage string, fn func() error) error {
	r = r.withDefaults()
	delay := r.Min
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil {
			return nil
		}
		if r.OnFault != nil {
			r.OnFault(stage, err, delay)
		}
		if r.Attempts > 0 && attempt >= r.Attempts {
			return fmt.Errorf("%s: %w (after %d attempts)", stage, err, attempt)
		}
		if !sleep(ctx, delay) {
			return fmt.Errorf("%s: %w", stage, err)
		}
		delay = min(delay*2, r.Max)
	}
}

// Write publishes outs on sink, retrying only the outputs a try did not
// publish (a *WriteError names them), until all are acknowledged.
func (r Retry) Write(ctx context.Context, sink Sink, outs []Output) error {
	pending := outs
	return r.Do(ctx, "write", func() error {
		if len(pending) == 0 {
			return nil
		}
		err := sink.Write(ctx, pending)
		if err == nil {
			pending = nil
			return nil
		}
		var we *WriteError
		if errors.As(err, &we) {
			next := make([]Output, 0, len(we.Failed))
			for _, i := range we.Failed {
				next = append(next, pending[i])
			}
			pending = next
		}
		return err
	})
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Produce is the retry of tools and tests that produce to topics they may
// just have created (their leaders not yet known): 20 tries, 50 ms to 1 s
// apart.
var Produce = Retry{Min: 50 * time.Millisecond, Max: time.Second, Attempts: 20}
