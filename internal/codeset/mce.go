package codeset

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/claimscreen/claimscreen/internal/civil"
)

// The CMS Medicare Code Editor's diagnosis tables, in the generic form in
// which an operator loads them (docs/codesets.md): one release of system
// MCE in two parts, the dated diagnosis flags and the age ranges.
//
//	mce_v44_icd10cm_dx_flags.csv  code,effective_from,effective_to,flags
//	mce_v44_age_ranges.csv        flag,min_age,max_age,effective_from,effective_to

var (
	reMCEDxFlags = regexp.MustCompile(`(?i)^mce_(.*)_?dx_flags\.csv$`)
	reMCEAges    = regexp.MustCompile(`(?i)^mce_(.*)_?age_ranges\.csv$`)
	reMCEVersion = regexp.MustCompile(`(?i)v\d+(\.\d+)?`)
)

const (
	mceFlagsHeader = "code,effective_from,effective_to,flags"
	mceAgesHeader  = "flag,min_age,max_age,effective_from,effective_to"
)

func headerIs(want string) func(line string) bool {
	return func(line string) bool {
		return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))) == want
	}
}

// mceVersion is the release version in an MCE file name (v44), or the name
// without .csv.
func mceVersion(base string) string {
	if v := reMCEVersion.FindString(base); v != "" {
		return strings.ToLower(v)
	}
	return strings.TrimSuffix(base, ".csv")
}

// readMCEDxFlags reads the dated diagnosis flags. Every row is one period of
// one code; the periods of a code must not overlap. The release covers the
// days from its first row's start to its last row's end.
func readMCEDxFlags(name, base string, r io.Reader) ([]*Release, error) {
	rel := &Release{System: MCE, Version: mceVersion(base), Part: PartMCEDxFlags, Coverage: civil.Range{From: civil.Max, To: civil.Min}}
	names := append([]string(nil), knownFlags...)
	bit := map[string]MCEFlags{}
	for i, n := range names {
		bit[n] = 1 << i
	}
	byCode := map[string][]int32{}
	header := true
	err := csvRecords(name, r, -1, func(rec []string, line int) error {
		if header {
			header = false
			if !headerIs(mceFlagsHeader)(strings.Join(rec, ",")) {
				return errors.New("header must be " + mceFlagsHeader)
			}
			return nil
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			return nil
		}
		if len(rec) != 4 {
			return fmt.Errorf("%d fields; an MCE flag row has code,effective_from,effective_to,flags", len(rec))
		}
		code := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(rec[0]), ".", ""))
		if !validCodeChars(code) || len(code) < 3 {
			return fmt.Errorf("code %q is not an ICD-10-CM code", rec[0])
		}
		valid, err := periodOf(rec[1], rec[2])
		if err != nil {
			return err
		}
		var fl MCEFlags
		for _, f := range strings.Fields(strings.ToLower(rec[3])) {
			b, ok := bit[f]
			if !ok {
				if len(names) == 32 {
					return fmt.Errorf("flag %q: a release holds at most 32 different flags", f)
				}
				b = 1 << len(names)
				bit[f] = b
				names = append(names, f)
			}
			fl |= b
		}
		for _, i := range byCode[code] {
			if rel.DxFlags[i].Valid.Overlaps(valid) {
				return fmt.Errorf("%s: dates %s overlap another row's %s", code, valid, rel.DxFlags[i].Valid)
			}
		}
		byCode[code] = append(byCode[code], int32(len(rel.DxFlags)))
		rel.DxFlags = append(rel.DxFlags, DxFlagRow{Code: code, Valid: valid, Flags: fl})
		rel.Coverage.From, rel.Coverage.To = min(rel.Coverage.From, valid.From), max(rel.Coverage.To, valid.To)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(rel.DxFlags) == 0 {
		return nil, fmt.Errorf("%s: no MCE flag rows", name)
	}
	rel.FlagNames, rel.Rows = names, len(rel.DxFlags)
	return []*Release{rel}, nil
}

// readMCEAges reads the ages each MCE age flag allows, by period.
func readMCEAges(name, base string, r io.Reader) ([]*Release, error) {
	rel := &Release{System: MCE, Version: mceVersion(base), Part: PartMCEAgeRanges, Coverage: civil.Range{From: civil.Max, To: civil.Min}}
	header := true
	err := csvRecords(name, r, -1, func(rec []string, line int) error {
		if header {
			header = false
			if !headerIs(mceAgesHeader)(strings.Join(rec, ",")) {
				return errors.New("header must be " + mceAgesHeader)
			}
			return nil
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			return nil
		}
		if len(rec) != 5 {
			return fmt.Errorf("%d fields; an age range row has flag,min_age,max_age,effective_from,effective_to", len(rec))
		}
		var flag MCEFlags
		switch f := strings.ToLower(strings.TrimSpace(rec[0])); f {
		case "newborn", "pediatric", "maternity", "adult":
			for i, n := range knownFlags {
				if n == f {
					flag = 1 << i
				}
			}
		default:
			return fmt.Errorf("flag %q must be newborn, pediatric, maternity or adult", rec[0])
		}
		lo, err1 := strconv.Atoi(strings.TrimSpace(rec[1]))
		hi, err2 := strconv.Atoi(strings.TrimSpace(rec[2]))
		if err1 != nil || err2 != nil || lo < 0 || hi < lo || hi > 150 {
			return fmt.Errorf("ages %q to %q must be whole numbers, 0 <= min_age <= max_age <= 150", rec[1], rec[2])
		}
		valid, err := periodOf(rec[3], rec[4])
		if err != nil {
			return err
		}
		for _, a := range rel.AgeRanges {
			if a.Flag == flag && a.Valid.Overlaps(valid) {
				return fmt.Errorf("%s: dates %s overlap another row's %s", FlagName(flag), valid, a.Valid)
			}
		}
		rel.AgeRanges = append(rel.AgeRanges, AgeRange{Flag: flag, Min: lo, Max: hi, Valid: valid})
		rel.Coverage.From, rel.Coverage.To = min(rel.Coverage.From, valid.From), max(rel.Coverage.To, valid.To)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(rel.AgeRanges) == 0 {
		return nil, fmt.Errorf("%s: no age range rows", name)
	}
	rel.Rows = len(rel.AgeRanges)
	return []*Release{rel}, nil
}

// periodOf reads effective_from and effective_to (YYYY-MM-DD; empty is open).
func periodOf(from, to string) (civil.Range, error) {
	f, err := parseOpenDate(strings.TrimSpace(from), civil.Min, "effective_from")
	if err != nil {
		return civil.Range{}, err
	}
	t, err := parseOpenDate(strings.TrimSpace(to), civil.Max, "effective_to")
	if err != nil {
		return civil.Range{}, err
	}
	if t < f {
		return civil.Range{}, fmt.Errorf("effective_to %s is before effective_from %s", t, f)
	}
	return civil.Range{From: f, To: t}, nil
}
