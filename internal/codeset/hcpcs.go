package codeset

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/claimscreen/claimscreen/internal/civil"
)

// The HCPCS Level II file, as text (hcpcs_text.go) or as the workbook saved
// as CSV (hcpcs_csv.go): both give a procedure and a modifier release.

var reHCPCS = regexp.MustCompile(`(?i)^HCPC(\d{4})[_-](JAN|APR|JUL|OCT)[_-]ANWEB.*\.(txt|csv)$`)

var quarterOf = map[string]int{"JAN": 1, "APR": 2, "JUL": 3, "OCT": 4}

func hcpcsRelease(base string) (proc, mod *Release, err error) {
	m := reHCPCS.FindStringSubmatch(base)
	if m == nil {
		return nil, nil, fmt.Errorf("%s: a HCPCS file is named HCPCYYYY_MON_ANWEB…, so its quarter can be told", base)
	}
	y, _ := strconv.Atoi(m[1])
	q := quarterOf[strings.ToUpper(m[2])]
	end := civil.FromYMD(y, q*3+1, 1) - 1
	if q == 4 {
		end = civil.FromYMD(y, 12, 31)
	}
	cov := civil.Range{From: civil.Min, To: end}
	v := fmt.Sprintf("%d-Q%d", y, q)
	return &Release{System: HCPCS, Version: v, Coverage: cov}, &Release{System: HCPCSModifier, Version: v, Coverage: cov}, nil
}

// hcpcsRow turns one HCPCS record's fields into a code row.
func hcpcsRow(code, add, term string) (Code, error) {
	c := Code{Code: code, Valid: civil.Range{From: civil.Min, To: civil.Max}, Billable: true}
	if !validCodeChars(code) {
		return c, fmt.Errorf("code %q is not a HCPCS code or modifier", code)
	}
	if add != "" {
		d, err := civil.ParseCompact(add)
		if err != nil {
			return c, fmt.Errorf("add date %q is not a date YYYYMMDD", add)
		}
		c.Valid.From = d
	}
	if term != "" {
		d, err := civil.ParseCompact(term)
		if err != nil {
			return c, fmt.Errorf("termination date %q is not a date YYYYMMDD", term)
		}
		c.Valid.To = d
	}
	if c.Valid.To < c.Valid.From {
		return c, fmt.Errorf("termination date %s is before the add date %s", c.Valid.To, c.Valid.From)
	}
	return c, nil
}

func finishHCPCS(name string, proc, mod *Release) ([]*Release, error) {
	if len(proc.Codes)+len(mod.Codes) == 0 {
		return nil, fmt.Errorf("%s: no HCPCS records", name)
	}
	proc.Rows, mod.Rows = len(proc.Codes), len(mod.Codes)
	var out []*Release
	for _, r := range []*Release{proc, mod} {
		if r.Rows > 0 {
			out = append(out, r)
		}
	}
	return out, nil
}

// addHCPCSInfo keeps a procedure's coverage code, statute and first
// cross-reference, when the file gives any.
func addHCPCSInfo(proc *Release, code, cov, statute, xref string) {
	var info HCPCSInfo
	if len(cov) == 1 {
		info.Coverage = cov[0]
	}
	info.Statute, info.XRef = statute, xref
	if info == (HCPCSInfo{}) {
		return
	}
	if proc.HCPCS == nil {
		proc.HCPCS = map[string]HCPCSInfo{}
	}
	proc.HCPCS[code] = info
}
