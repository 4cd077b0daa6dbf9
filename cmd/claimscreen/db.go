package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/claimscreen/claimscreen/internal/originators"
	"github.com/claimscreen/claimscreen/internal/postgres"
	"github.com/claimscreen/claimscreen/internal/refdata"
	"github.com/claimscreen/claimscreen/internal/service"
)

// openDB connects to DATABASE_URL (or --database-url) and applies any
// pending migration.
func openDB(ctx context.Context, url string) (*pgxpool.Pool, error) {
	if err := needDB(url); err != nil {
		return nil, err
	}
	return service.OpenDB(ctx, url)
}

// needDB is the usage error of a database command run without a URL.
func needDB(url string) error {
	if url == "" {
		return fmt.Errorf("%w: set DATABASE_URL (or --database-url)", errUsage)
	}
	return nil
}

// dbFlags parses a database command's flags: --database-url plus extra.
func dbFlags(name string, args []string, s stdio, extra func(*flag.FlagSet)) (*flag.FlagSet, string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	url := fs.String("database-url", "", "PostgreSQL URL (env DATABASE_URL)")
	if extra != nil {
		extra(fs)
	}
	if err := parseFlags(fs, args, s.err); err != nil {
		return nil, "", err
	}
	if *url == "" {
		*url, _ = s.env("DATABASE_URL")
	}
	return fs, *url, nil
}

// verbArgs is how many arguments a database command's verb takes (-1: one
// or more) and its usage line.
type verbArgs struct {
	n     int
	usage string
}

// dbCommand parses a database command's flags, checks its arguments, and
// only then opens the database; the caller closes the pool.
func dbCommand(ctx context.Context, name string, args []string, s stdio, extra func(*flag.FlagSet), want verbArgs) (*flag.FlagSet, *pgxpool.Pool, error) {
	fs, url, err := dbFlags(name, args, s, extra)
	if err != nil {
		return nil, nil, err
	}
	if (want.n < 0 && fs.NArg() == 0) || (want.n >= 0 && fs.NArg() != want.n) {
		return nil, nil, fmt.Errorf("%w: %s", errUsage, want.usage)
	}
	pool, err := openDB(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	return fs, pool, nil
}

func runMigrate(ctx context.Context, args []string, s stdio) error {
	_, url, err := dbFlags("migrate", args, s, nil)
	if err != nil {
		return err
	}
	if err := needDB(url); err != nil {
		return err
	}
	applied, err := service.Migrate(ctx, url)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(s.out, "database is up to date")
	}
	for _, v := range applied {
		fmt.Fprintf(s.out, "applied migration %d\n", v)
	}
	return nil
}

// codesetsDB handles codesets import, activate, retire, and list without
// files (the registry).
func codesetsDB(ctx context.Context, verb string, args []string, s stdio) error {
	want, ok := map[string]verbArgs{"import": {-1, "codesets import FILE..."}, "activate": {2, "codesets activate SYSTEM VERSION"},
		"retire": {2, "codesets retire SYSTEM VERSION"}, "list": {0, "codesets list [DIR|FILE...]"}}[verb]
	if !ok {
		return fmt.Errorf("%w: codesets list|import|activate|retire", errUsage)
	}
	var format string
	fs, pool, err := dbCommand(ctx, "codesets "+verb, args, s, func(fs *flag.FlagSet) {
		if verb == "import" {
			fs.StringVar(&format, "format", "", "read every FILE as this format")
		}
	}, want)
	if err != nil {
		return err
	}
	defer pool.Close()
	reg := postgres.NewReleases(pool)
	switch verb {
	case "import":
		for _, f := range fs.Args() {
			start := time.Now()
			res, notes, err := service.ImportCodeSets(ctx, reg, f, format)
			for _, n := range notes {
				fmt.Fprintln(s.err, n)
			}
			if err != nil {
				return err
			}
			for _, r := range res {
				fmt.Fprintf(s.out, "%s: %s (%d rows, %s)\n", r.Key, r.Status, r.Rows, time.Since(start).Round(time.Millisecond))
			}
		}
		fmt.Fprintln(s.out, "imported releases are not in use until activated: claimscreen codesets activate SYSTEM VERSION")
		return nil
	case "activate", "retire":
		if err := reg.SetReleaseActive(ctx, fs.Arg(0), fs.Arg(1), verb == "activate"); err != nil {
			return err
		}
		fmt.Fprintf(s.out, "%s %s %sd; running services reload\n", fs.Arg(0), fs.Arg(1), verb)
		return nil
	case "list":
		list, err := reg.ListReleases(ctx)
		if err != nil {
			return err
		}
		tw := newTable(s.out, "SYSTEM\tVERSION\tSTATE\tCOVERS\tROWS\tSOURCE\tSHA-256\tIMPORTED\tACTIVATED")
		for _, r := range list {
			state, act := lifecycle(r.ActivatedAt, r.RetiredAt), "-"
			if r.ActivatedAt != nil {
				act = r.ActivatedAt.UTC().Format(time.RFC3339)
			}
			v := r.Version
			if r.Part != "" {
				v += " " + r.Part
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", r.System, v, state, r.Coverage, r.Rows, r.Source, r.SHA256[:16], r.ImportedAt.UTC().Format(time.RFC3339), act)
		}
		return tw.Flush()
	}
	return fmt.Errorf("%w: codesets list|import|activate|retire", errUsage)
}

func runCrosswalk(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: crosswalk import FILE|DIR | list | activate VERSION", errUsage)
	}
	verb := args[0]
	want, ok := map[string]verbArgs{"import": {1, "crosswalk import FILE|DIR"}, "activate": {1, "crosswalk activate VERSION"},
		"list": {0, "crosswalk list"}}[verb]
	if !ok {
		return fmt.Errorf("%w: crosswalk import|list|activate", errUsage)
	}
	fs, pool, err := dbCommand(ctx, "crosswalk "+verb, args[1:], s, nil, want)
	if err != nil {
		return err
	}
	defer pool.Close()
	reg := postgres.NewCharts(pool)
	switch verb {
	case "import":
		c, err := refdata.ReadChart(fs.Arg(0))
		if err != nil {
			return err
		}
		st, err := reg.ImportChart(ctx, c)
		if err != nil {
			return err
		}
		fmt.Fprintf(s.out, "chart %s: %s (%d rows); activate it with: claimscreen crosswalk activate %s\n", c.Version, st, c.Len(), c.Version)
		return nil
	case "activate":
		if err := reg.ActivateChart(ctx, fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(s.out, "chart %s activated; running services reload\n", fs.Arg(0))
		return nil
	case "list":
		list, err := reg.ListCharts(ctx)
		if err != nil {
			return err
		}
		tw := newTable(s.out, "VERSION\tSTATE\tROWS\tSOURCES\tSHA-256")
		for _, c := range list {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", c.Version, lifecycle(c.ActivatedAt, c.RetiredAt), c.Rows, c.Sources, c.SHA256[:16])
		}
		return tw.Flush()
	}
	return fmt.Errorf("%w: crosswalk import|list|activate", errUsage)
}

func runOriginators(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "disable" && args[0] != "list") {
		return fmt.Errorf("%w: originators add ID [--notice-topic T] | list | disable ID", errUsage)
	}
	verb := args[0]
	fs := flag.NewFlagSet("originators "+verb, flag.ContinueOnError)
	var topic, sender, group, pwFile string
	var partitions, replication int
	tableOnly := fs.Bool("table-only", verb == "list", "change the table only: no topics, users or ACLs (and no brokers needed)")
	if verb == "add" {
		fs.StringVar(&topic, "notice-topic", "", "the originator's notice topic (default: the template's)")
		fs.StringVar(&sender, "x12-sender", "", "ISA05:ISA06 of the originator's X12 interchanges (ZZ:CLEARING-1): the trading-partner table")
		fs.StringVar(&group, "x12-group", "", "GS02 of its interchanges, when one ISA sender serves several originators")
		fs.StringVar(&pwFile, "password-file", "", "with --manage-users: the file holding the new SCRAM user's password (default: one is made up and shown once)")
		fs.IntVar(&partitions, "partitions", 6, "partitions of each topic created")
		fs.IntVar(&replication, "replication", 1, "replication factor of each topic created")
	}
	// The id comes first (originators add ID [flags]), or after the flags.
	rest, id := args[1:], ""
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		id, rest = rest[0], rest[1:]
	}
	cfg, err := loadAdminConfig(fs, rest, s, func() bool { return !*tableOnly })
	if err != nil {
		return err
	}
	if id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	} else if fs.NArg() > 0 || (id == "" && verb != "list") {
		return fmt.Errorf("%w: originators %s ID [flags]", errUsage, verb)
	}
	if verb == "list" {
		pool, err := openDB(ctx, cfg.PostgreSQL.URL)
		if err != nil {
			return err
		}
		defer pool.Close()
		list, err := postgres.NewOriginators(pool).List(ctx)
		if err != nil {
			return err
		}
		tw := newTable(s.out, "ORIGINATOR\tNOTICE TOPIC\tACTIVE\tX12 SENDER\tGS02")
		for _, o := range list {
			t := o.NoticeTopic
			if t == "" {
				t = "(template)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\n", o.ID, t, o.Active, dash(o.X12Sender), dash(o.X12GroupSender))
		}
		return tw.Flush()
	}
	if err := needDB(cfg.PostgreSQL.URL); err != nil {
		return err
	}
	o := service.OriginatorChange{Entry: originators.Entry{ID: id, NoticeTopic: topic, X12Sender: sender, X12GroupSender: group},
		Disable: verb == "disable", TableOnly: *tableOnly, Partitions: partitions, Replication: replication}
	if err := o.Entry.Check(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := service.Model(cfg.Access, cfg.Topics, cfg.Consumer.GroupID).CheckOriginator(id); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if pwFile != "" {
		b, err := os.ReadFile(pwFile)
		if err != nil {
			return fmt.Errorf("%w: password-file: %v", errUsage, err)
		}
		o.Password = strings.TrimSpace(string(b))
	}
	return service.ChangeOriginator(ctx, cfg, o, s.out)
}

// newTable is a tab-aligned table with its header row written.
func newTable(w io.Writer, header string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	return tw
}

// lifecycle names a release's or chart's state for listings.
func lifecycle(activated, retired *time.Time) string {
	switch {
	case retired != nil:
		return "retired"
	case activated != nil:
		return "active"
	}
	return "imported"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
