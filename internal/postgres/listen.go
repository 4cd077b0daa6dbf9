package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Listen calls fn after every NOTIFY on Channel (a release or chart
// activated or retired, an originator added or disabled) until ctx is done. It holds
// one connection of the pool, reconnects after a failure (reporting it to
// onErr) and then calls fn, since a notification may have been missed.
// ready, if not nil, is closed once listening.
func Listen(ctx context.Context, pool *pgxpool.Pool, ready chan<- struct{}, fn func(), onErr func(error)) error {
	for ctx.Err() == nil {
		if err := listenOnce(ctx, pool, ready, fn); err != nil && ctx.Err() == nil && onErr != nil {
			onErr(err)
		}
		ready = nil
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
		}
	}
	return nil
}

func listenOnce(ctx context.Context, pool *pgxpool.Pool, ready chan<- struct{}, fn func()) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	if ready != nil {
		close(ready)
	} else {
		fn() // a reconnect may have missed a notification
	}
	for {
		if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
			conn.Conn().Close(context.Background())
			return err
		}
		fn()
	}
}
