package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/refdata"
)

func runCodesets(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: codesets list [DIR|FILE...] | import FILE... | activate SYSTEM VERSION | retire SYSTEM VERSION", errUsage)
	}
	if args[0] != "list" || !hasFileArg(args[1:]) {
		return codesetsDB(ctx, args[0], args[1:], s)
	}
	fs := flag.NewFlagSet("codesets list", flag.ContinueOnError)
	format := fs.String("format", "", "read every FILE as this format: "+fmt.Sprint(codeset.Formats()))
	if err := parseFlags(fs, args[1:], s.err); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%w: name at least one folder or file", errUsage)
	}
	snap, err := refdata.ReadCodeSetPaths(fs.Args(), *format, func(n string) { fmt.Fprintln(s.err, n) })
	if err != nil {
		return err
	}
	tw := newTable(s.out, "SYSTEM\tVERSION\tCOVERS\tROWS\tFORMAT\tSOURCE\tSHA-256")
	for _, r := range snap.Releases() {
		v := r.Version
		if r.Part != "" {
			v += " " + r.Part
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.System, v, r.Coverage, r.Rows, r.Format, r.Source, r.SHA256[:16])
	}
	return tw.Flush()
}

// hasFileArg reports whether a list command names files (else it lists the
// registry in PostgreSQL).
func hasFileArg(args []string) bool {
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "--format" || args[i] == "-format" || args[i] == "--database-url" || args[i] == "-database-url":
			i++
		case len(args[i]) > 0 && args[i][0] == '-':
		default:
			return true
		}
	}
	return false
}
