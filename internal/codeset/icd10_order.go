package codeset

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/claimscreen/claimscreen/internal/civil"
)

var (
	reICD10      = regexp.MustCompile(`(?i)^icd10cm[_-]order[_-](\d{4})(\.txt)?$`)
	reICD10April = regexp.MustCompile(`(?i)^icd10cm[_-]order[_-]april[_-](\d{4})(\.txt)?$`)
)

func isICD10OrderName(base string) bool {
	return reICD10.MatchString(base) || reICD10April.MatchString(base)
}

func fyOf(name string) (int, bool, error) {
	if m := reICD10April.FindStringSubmatch(name); m != nil {
		y, _ := strconv.Atoi(m[1])
		return y, true, nil
	}
	if m := reICD10.FindStringSubmatch(name); m != nil {
		y, _ := strconv.Atoi(m[1])
		return y, false, nil
	}
	return 0, false, fmt.Errorf("%s: an ICD-10-CM order file is named icd10cm_order_YYYY.txt or icd10cm-order-April-YYYY.txt, so its fiscal year can be told", name)
}

// readICD10 reads a "Code Descriptions in Tabular Order" file: order number
// 1-5, code 7-13 without the dot, flag 15 (1 billable, 0 header), short
// description 17-76, long description from 78.
func readICD10(name, base string, r io.Reader) ([]*Release, error) {
	fy, april, err := fyOf(base)
	if err != nil {
		return nil, err
	}
	rel := &Release{System: ICD10CM, Version: fmt.Sprintf("FY%d", fy),
		Coverage: civil.Range{From: civil.FromYMD(fy-1, 10, 1), To: civil.FromYMD(fy, 9, 30)}}
	if april {
		rel.Version += "-APR"
		rel.Coverage.From = civil.FromYMD(fy, 4, 1)
	}
	rel.Codes = make([]Code, 0, 100000)
	ls := newLines(name, r)
	seen := make(map[string]struct{}, 100000)
	for ls.next() {
		s := ls.text
		if strings.TrimSpace(s) == "" {
			continue
		}
		if len(s) < 16 || s[5] != ' ' || s[13] != ' ' || s[15] != ' ' {
			return nil, ls.fail("not an ICD-10-CM order record (order 1-5, code 7-13, flag 15, description from 17)")
		}
		if _, err := strconv.Atoi(s[:5]); err != nil {
			return nil, ls.fail("order number %q is not a number", s[:5])
		}
		code := strings.TrimSpace(s[6:13])
		if !validCodeChars(code) || len(code) < 3 {
			return nil, ls.fail("code %q is not an ICD-10-CM code", code)
		}
		var billable bool
		switch s[14] {
		case '1':
			billable = true
		case '0':
		default:
			return nil, ls.fail("flag %q at column 15 must be 0 (header) or 1 (billable)", s[14:15])
		}
		if _, dup := seen[code]; dup {
			return nil, ls.fail("code %s is listed twice", code)
		}
		seen[code] = struct{}{}
		rel.Codes = append(rel.Codes, Code{Code: code, Valid: rel.Coverage, Billable: billable})
	}
	if err := ls.err(); err != nil {
		return nil, err
	}
	if len(rel.Codes) == 0 {
		return nil, fmt.Errorf("%s: no ICD-10-CM records", name)
	}
	rel.Rows = len(rel.Codes)
	return []*Release{rel}, nil
}
