package codeset

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/claimscreen/claimscreen/internal/civil"
)

var reNCCI = regexp.MustCompile(`(?i)^cci(pra|oph)-v(\d+)r(\d+)-(f\d)(\.txt)?$`)

// readNCCI reads an NCCI PTP file: tab-delimited column 1, column 2,
// "in existence prior to 1996" (*), effective date, deletion date (or *),
// modifier indicator (0, 1, 9), rationale, after a few header lines. Rows
// that repeat are collapsed.
func readNCCI(name, base string, r io.Reader) ([]*Release, error) {
	m := reNCCI.FindStringSubmatch(base)
	if m == nil {
		return nil, fmt.Errorf("%s: an NCCI PTP file is named ccipra-vNNNrN-fN.txt (practitioner) or ccioph-… (hospital)", name)
	}
	sys := NCCIPTP
	if strings.EqualFold(m[1], "oph") {
		sys = NCCIPTPHospital
	}
	rel := &Release{System: sys, Version: "v" + m[2] + "r" + m[3], Part: strings.ToLower(m[4]),
		Coverage: civil.Range{From: civil.Min, To: civil.Max}}
	type key struct {
		a, b  string
		valid civil.Range
	}
	seen := map[key]byte{}
	ls := newLines(name, r)
	started := false
	for ls.next() {
		s := ls.text
		if strings.TrimSpace(s) == "" {
			continue
		}
		f := strings.Split(s, "\t")
		e, err := ncciRow(f)
		if err != nil {
			if !started && ls.n <= 20 {
				continue // header lines before the first edit
			}
			return nil, ls.fail("%v", err)
		}
		started = true
		k := key{e.Column1, e.Column2, e.Valid}
		if prev, dup := seen[k]; dup {
			if prev != e.Modifier {
				return nil, ls.fail("edit %s/%s from %s is listed again with modifier indicator %c instead of %c", e.Column1, e.Column2, e.Valid.From, e.Modifier, prev)
			}
			continue
		}
		seen[k] = e.Modifier
		rel.Edits = append(rel.Edits, e)
	}
	if err := ls.err(); err != nil {
		return nil, err
	}
	if !started {
		return nil, fmt.Errorf("%s: no PTP edit found in the first 20 lines", name)
	}
	rel.Rows = len(rel.Edits)
	return []*Release{rel}, nil
}

func ncciRow(f []string) (PTPEdit, error) {
	var e PTPEdit
	if len(f) < 6 {
		return e, fmt.Errorf("%d tab-separated fields; a PTP edit has at least 6", len(f))
	}
	e.Column1, e.Column2 = strings.TrimSpace(f[0]), strings.TrimSpace(f[1])
	if !validCodeChars(e.Column1) || !validCodeChars(e.Column2) {
		return e, fmt.Errorf("column 1 %q and column 2 %q must be procedure codes", e.Column1, e.Column2)
	}
	if p := strings.TrimSpace(f[2]); p != "" && p != "*" {
		return e, fmt.Errorf("'prior to 1996' is %q; it must be * or empty", p)
	}
	eff, err := civil.ParseCompact(strings.TrimSpace(f[3]))
	if err != nil {
		return e, fmt.Errorf("effective date %q is not a date YYYYMMDD", f[3])
	}
	e.Valid = civil.Range{From: eff, To: civil.Max}
	if del := strings.TrimSpace(f[4]); del != "*" && del != "" {
		d, err := civil.ParseCompact(del)
		if err != nil {
			return e, fmt.Errorf("deletion date %q is not a date YYYYMMDD or *", del)
		}
		// The deletion date is the first day the edit no longer applies.
		e.Valid.To = d - 1
	}
	switch mi := strings.TrimSpace(f[5]); mi {
	case "0", "1", "9":
		e.Modifier = mi[0]
	default:
		return e, fmt.Errorf("modifier indicator %q must be 0, 1 or 9", mi)
	}
	if len(f) > 6 {
		e.Rationale = strings.TrimSpace(f[6])
	}
	return e, nil
}
