package pipeline

import (
	"context"
	"sync"
	"time"
)

// TopicCache remembers which topics exist, so that a batch does not ask the
// brokers again. A topic found to exist is remembered for good (topics are
// not deleted under a running service); one found missing is taken as
// missing for Recheck before the brokers are asked again (0: always asked
// again). It is the one topic-existence cache: the pipeline's router and
// the Kafka sink each hold one. Safe for concurrent use.
type TopicCache struct {
	ask     func(ctx context.Context, topics []string) (map[string]bool, error)
	recheck time.Duration
	now     func() time.Time

	mu      sync.Mutex
	known   map[string]bool
	missing map[string]time.Time
}

// NewTopicCache asks ask about topics it does not know.
func NewTopicCache(ask func(ctx context.Context, topics []string) (map[string]bool, error), recheck time.Duration, now func() time.Time) *TopicCache {
	if now == nil {
		now = time.Now
	}
	return &TopicCache{ask: ask, recheck: recheck, now: now, known: map[string]bool{}, missing: map[string]time.Time{}}
}

// Exists reports which of topics exist.
func (c *TopicCache) Exists(ctx context.Context, topics []string) (map[string]bool, error) {
	out := make(map[string]bool, len(topics))
	var ask []string
	now := c.now()
	c.mu.Lock()
	for _, t := range topics {
		switch when, missing := c.missing[t]; {
		case c.known[t]:
			out[t] = true
		case missing && c.recheck > 0 && now.Sub(when) < c.recheck:
			out[t] = false
		default:
			if _, asked := out[t]; !asked {
				out[t] = false
				ask = append(ask, t)
			}
		}
	}
	c.mu.Unlock()
	if len(ask) == 0 {
		return out, nil
	}
	ex, err := c.ask(ctx, ask)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range ask {
		if ex[t] {
			c.known[t] = true
			delete(c.missing, t)
			out[t] = true
		} else if c.recheck > 0 {
			c.missing[t] = now
		}
	}
	return out, nil
}
