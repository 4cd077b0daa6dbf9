package main

import (
	"context"

	"github.com/claimscreen/claimscreen/internal/service"
)

// runDemo runs the real service code on the embedded broker, the
// in-memory ledger and the samples (internal/service.Demo).
func runDemo(ctx context.Context, args []string, s stdio) error {
	cfg, err := loadServeConfig("demo", append([]string{"--embedded", "--embedded-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--codesets", "(samples)", "--batch-wait-ms", "20"}, args...), s)
	if err != nil {
		return err
	}
	return service.Demo(ctx, cfg, service.NewLogger("warn", s.err), s.out)
}
