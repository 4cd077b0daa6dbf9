package codeset

import (
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/claimscreen/claimscreen/internal/civil"
)

var genericHeader = []string{"system", "code", "effective_from", "effective_to"}

func isGenericHeader(line string) bool {
	line = strings.TrimPrefix(strings.TrimSpace(line), "\ufeff")
	cols := strings.Split(line, ",")
	if len(cols) != 4 && len(cols) != 5 {
		return false
	}
	for i, want := range genericHeader {
		if strings.ToLower(strings.TrimSpace(cols[i])) != want {
			return false
		}
	}
	return len(cols) == 4 || strings.ToLower(strings.TrimSpace(cols[4])) == "description"
}

var reSystem = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{0,31}$`)

// readGeneric reads the generic list CSV: system,code,effective_from,
// effective_to[,description]. Each system in the file is a release whose
// version is the file's name; a generic list covers every date, and each
// row's dates decide.
func readGeneric(name, base string, r io.Reader) ([]*Release, error) {
	version := strings.TrimSuffix(base, filepath.Ext(base))
	bySys := map[string]*Release{}
	type key struct{ sys, code string }
	rows := map[key][]int{} // indexes into the release's Codes, for overlap checks
	header := true
	err := csvRecords(name, r, -1, func(rec []string, line int) error {
		if header {
			header = false
			if !isGenericHeader(strings.Join(rec, ",")) {
				return fmt.Errorf("header must be system,code,effective_from,effective_to[,description]")
			}
			return nil
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			return nil
		}
		if len(rec) != 4 && len(rec) != 5 {
			return fmt.Errorf("%d fields; a generic list row has 4 or 5", len(rec))
		}
		sys := strings.ToUpper(strings.TrimSpace(rec[0]))
		if !reSystem.MatchString(sys) {
			return fmt.Errorf("system %q must be a name such as CPT, CPT-MODIFIER, POS, HCPCS", rec[0])
		}
		code := NormalizeCode(rec[1])
		if !validCodeChars(code) {
			return fmt.Errorf("code %q may hold only letters and digits (dots are dropped)", rec[1])
		}
		from, err := parseOpenDate(strings.TrimSpace(rec[2]), civil.Min, "effective_from")
		if err != nil {
			return err
		}
		to, err := parseOpenDate(strings.TrimSpace(rec[3]), civil.Max, "effective_to")
		if err != nil {
			return err
		}
		if to < from {
			return fmt.Errorf("effective_to %s is before effective_from %s", to, from)
		}
		rel := bySys[sys]
		if rel == nil {
			rel = &Release{System: sys, Version: version, Coverage: civil.Range{From: civil.Min, To: civil.Max}}
			bySys[sys] = rel
		}
		k := key{sys, code}
		valid := civil.Range{From: from, To: to}
		for _, i := range rows[k] {
			if rel.Codes[i].Valid.Overlaps(valid) {
				return fmt.Errorf("%s %s: dates %s overlap another row's %s", sys, code, valid, rel.Codes[i].Valid)
			}
		}
		rows[k] = append(rows[k], len(rel.Codes))
		rel.Codes = append(rel.Codes, Code{Code: code, Valid: valid, Billable: true})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(bySys) == 0 {
		return nil, fmt.Errorf("%s: the generic list has no rows", name)
	}
	var out []*Release
	for _, rel := range bySys {
		rel.Rows = len(rel.Codes)
		out = append(out, rel)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].System < out[j].System })
	return out, nil
}
