package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/service"
)

func serveUsage(w io.Writer, name string) {
	fmt.Fprintf(w, "usage: claimscreen %s [flags]\n\nSettings (flag, environment; flags win over the environment, which wins over the file):\n", name)
	for _, st := range config.Settings {
		fmt.Fprintf(w, "  --%-24s %s (%s)\n", st.Name, st.Help, st.Env)
	}
}

// loadServeConfig parses serve-style flags; a bad setting is a usage
// error that names every problem.
func loadServeConfig(name string, args []string, s stdio) (*config.Serve, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	cfg, err := config.LoadServe(fs, args, s.env)
	if errors.Is(err, flag.ErrHelp) {
		serveUsage(s.err, name)
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	return cfg, nil
}

// loadAdminConfig parses the settings of topics, acls, originators, replay
// and deadletters into fs, which may hold the command's own flags;
// needKafka, when not nil, says whether the command needs the brokers
// (config.LoadAdminFor).
func loadAdminConfig(fs *flag.FlagSet, args []string, s stdio, needKafka func() bool) (*config.Admin, error) {
	cfg, err := config.LoadAdminFor(fs, args, s.env, needKafka)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(s.err)
		fs.PrintDefaults()
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	return cfg, nil
}

func runServe(ctx context.Context, args []string, s stdio) error {
	cfg, err := loadServeConfig("serve", args, s)
	if err != nil {
		return err
	}
	log := service.NewLogger(cfg.Log.Level, s.err)
	defer log.Sync()
	ref, err := service.FileReference(ctx, cfg, log)
	if err != nil {
		return err
	}
	svc, err := service.Start(ctx, cfg, ref, log)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	if cfg.Kafka.Embedded {
		fmt.Fprintf(s.out, "embedded Kafka broker listening on %s (topics %s)\n", svc.Brokers()[0], strings.Join(svc.Topics(), ", "))
	}
	return svc.Run(ctx)
}
