package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/claimscreen/claimscreen/internal/postgres"
)

// Run serves until ctx is done, then shuts down in order: stop fetching and
// finish the batch in hand, flush the writer, leave the group, stop HTTP.
func (svc *Service) Run(ctx context.Context) error {
	httpDone := make(chan error, 1)
	go func() {
		err := svc.http.Serve(svc.httpLn)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		httpDone <- err
	}()
	listenDone := make(chan struct{})
	lctx, stopListen := context.WithCancel(ctx)
	if svc.load != nil || svc.originators != nil {
		go func() {
			defer close(listenDone)
			postgres.Listen(lctx, svc.pool, nil, func() {
				if svc.load != nil {
					svc.reload(lctx)
				}
				if svc.originators != nil {
					if err := svc.loadOriginators(lctx); err != nil {
						svc.log.Error("reload the originator table; keeping the one in use", zap.Error(err))
					} else {
						svc.log.Info("originator table reloaded", zap.Int("active", len(svc.originators.Active())))
						svc.resubscribe(lctx)
					}
				}
			}, func(err error) { svc.log.Warn("listen for activations; reconnecting", zap.Error(err)) })
		}()
	} else {
		close(listenDone)
	}
	watchDone := make(chan struct{})
	go func() { defer close(watchDone); svc.watch(lctx, time.Second) }()
	err := svc.pipe.Run(ctx)
	stopListen()
	<-listenDone
	<-watchDone
	svc.log.Info("shutting down")
	svc.metrics.Ready(false)
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	svc.http.Shutdown(sctx)
	if herr := <-httpDone; herr != nil && err == nil {
		err = fmt.Errorf("http: %w", herr)
	}
	svc.Close()
	return err
}

// watch checks the broker and the database every interval: while one does
// not answer, /readyz says which and the claimscreen_ready gauge is 0. The
// pipeline meanwhile waits or retries by itself and resumes when it answers.
func (svc *Service) watch(ctx context.Context, every time.Duration) {
	type check struct {
		name string
		ping func(context.Context) error
	}
	checks := []check{{"kafka", svc.conn.Ping}}
	if svc.pool != nil {
		checks = append(checks, check{"postgresql", svc.pool.Ping})
	}
	since := map[string]time.Time{} // when a dependency went down
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for _, c := range checks {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := c.ping(pctx)
			cancel()
			if ctx.Err() != nil {
				return
			}
			svc.metrics.Dependency(c.name, err == nil)
			switch at, down := since[c.name]; {
			case err != nil && !down:
				since[c.name] = time.Now()
				svc.log.Warn("dependency unreachable; not ready, the pipeline waits and retries", zap.String("dependency", c.name), zap.Error(err))
			case err == nil && down:
				delete(since, c.name)
				svc.log.Info("dependency reachable again; ready", zap.String("dependency", c.name), zap.Duration("down_for", time.Since(at)))
			}
		}
		if svc.topicsMissing() {
			svc.resubscribe(ctx) // direct trust: read them once they exist
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close closes what the service opened: the writer, the reader, the
// embedded broker, the database pool. Run closes it when it returns.
func (svc *Service) Close() {
	if svc.sink != nil {
		if err := svc.sink.Close(); err != nil {
			svc.log.Warn("close writer", zap.Error(err))
		}
	}
	if svc.src != nil {
		if err := svc.src.Close(); err != nil {
			svc.log.Warn("close reader", zap.Error(err))
		}
	}
	if svc.embedded != nil {
		svc.embedded.Close()
	}
	if svc.pool != nil {
		svc.pool.Close()
	}
}

// reload builds the new snapshot beside the old one and swaps it in; the
// pipeline picks it up at its next batch, without pausing.
func (svc *Service) reload(ctx context.Context) {
	start := time.Now()
	ref, err := svc.load(ctx)
	if err != nil {
		svc.log.Error("reload reference data; keeping the snapshot in use", zap.Error(err))
		return
	}
	svc.logReference(ref, "active")
	svc.screener.Store(ref.Screener)
	if svc.metrics != nil {
		svc.metrics.Releases(ref.Releases)
	}
	svc.log.Info("reference data reloaded", zap.Int("releases", len(ref.Releases)), zap.Duration("took", time.Since(start)))
}
