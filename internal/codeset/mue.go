package codeset

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/claimscreen/claimscreen/internal/civil"
)

var reMUE = regexp.MustCompile(`(?i)^MCR_MUE_(PractitionerServices|OutpatientHospitalServices|DMESupplierServices)_Eff_(\d{2})-(\d{2})-(\d{4})(\.csv)?$`)

// readMUE reads an MUE CSV: a preamble, a header whose first cell may hold a
// line break (HCPCS/CPT Code), then code, MUE value, adjudication indicator
// ("1 Line Edit", "2 Date of Service Edit: Policy", "3 Date of Service
// Edit: Clinical") and rationale. The quarter is in the file name.
func readMUE(name, base string, r io.Reader) ([]*Release, error) {
	m := reMUE.FindStringSubmatch(base)
	if m == nil {
		return nil, fmt.Errorf("%s: an MUE file is named MCR_MUE_<Kind>_Eff_MM-DD-YYYY.csv", name)
	}
	mo, _ := strconv.Atoi(m[2])
	day, _ := strconv.Atoi(m[3])
	y, _ := strconv.Atoi(m[4])
	from, err := civil.Parse(fmt.Sprintf("%04d-%02d-%02d", y, mo, day))
	if err != nil {
		return nil, fmt.Errorf("%s: the date in the name is not a date", name)
	}
	qEndMonth := ((mo-1)/3 + 1) * 3
	to := civil.FromYMD(y, qEndMonth, 1)
	if qEndMonth == 12 {
		to = civil.FromYMD(y, 12, 31)
	} else {
		to = civil.FromYMD(y, qEndMonth+1, 1) - 1
	}
	sys := map[string]string{"practitionerservices": MUE, "outpatienthospitalservices": MUEHospital, "dmesupplierservices": MUEDME}[strings.ToLower(m[1])]
	rel := &Release{System: sys, Version: from.String(), Coverage: civil.Range{From: from, To: to}}
	started := false
	seen := map[string]bool{}
	err = csvRecords(name, r, -1, func(rec []string, line int) error {
		if !started {
			first := strings.ToUpper(strings.Join(strings.Fields(rec[0]), " "))
			if strings.Contains(first, "HCPCS") && strings.Contains(first, "CODE") {
				started = true
				if len(rec) < 3 {
					return fmt.Errorf("MUE header has %d columns; want code, MUE value, adjudication indicator, rationale", len(rec))
				}
			}
			return nil
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			return nil
		}
		if len(rec) < 3 {
			return fmt.Errorf("%d fields; an MUE row has code, MUE value, adjudication indicator and rationale", len(rec))
		}
		code := strings.TrimSpace(rec[0])
		if !validCodeChars(code) {
			return fmt.Errorf("code %q is not a procedure code", code)
		}
		v, err := strconv.Atoi(strings.TrimSpace(rec[1]))
		if err != nil || v < 0 {
			return fmt.Errorf("MUE value %q is not a whole number", rec[1])
		}
		mai := strings.TrimSpace(rec[2])
		if mai == "" || mai[0] < '1' || mai[0] > '3' {
			return fmt.Errorf("adjudication indicator %q must start with 1, 2 or 3", mai)
		}
		if seen[code] {
			return fmt.Errorf("code %s is listed twice", code)
		}
		seen[code] = true
		row := MUERow{Code: code, Value: v, MAI: int(mai[0] - '0')}
		if len(rec) > 3 {
			row.Rationale = strings.TrimSpace(rec[3])
		}
		rel.MUEs = append(rel.MUEs, row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !started {
		return nil, fmt.Errorf("%s: no header row (first cell HCPCS/CPT Code) found", name)
	}
	rel.Rows = len(rel.MUEs)
	return []*Release{rel}, nil
}
