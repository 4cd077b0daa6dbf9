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

// mceVersion is the release version in an MCE file name: v44 in
// mce_v44_icd10cm_dx_flags.csv, otherwise what stands between mce_ and the
// part (sample in mce_sample_age_ranges.csv), so that the two parts of a
// release agree.
func mceVersion(base string) string {
	if v := reMCEVersion.FindString(base); v != "" {
		return strings.ToLower(v)
	}
	s := strings.TrimPrefix(strings.TrimSuffix(strings.ToLower(base), ".csv"), "mce_")
	for _, part := range []string{"_icd10cm_dx_flags", "_dx_flags", "_age_ranges", "dx_flags", "age_ranges"} {
		s = strings.TrimSuffix(s, part)
	}
	if s == "" {
		return "unnamed"
	}
	return s
}

// readMCEDxFlags reads the dated diagnosis flags. Every row is one period of
// one code; the periods of a code must not overlap. The release covers the
// days from its first row's start to its last row's end.
func readMCEDxFlags(name, base string, r io.Reader) ([]*Release, error) {
	rel := &Release{System: MCE, Version: mceVersion(base), Part: PartMCEDxFlags, Coverage: civil.Range{From: civil.Max, To: civil.Min}}
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
		fl, err := rel.FlagsOf(strings.Fields(rec[3]))
		if err != nil {
			return err
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
	rel.Rows = len(rel.DxFlags)
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
		flag, ok := AgeFlagNamed(rec[0])
		if !ok {
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

// FlagsOf returns the flag set of MCE flag names, giving names the release
// has not seen yet a bit of their own (32 at most).
func (r *Release) FlagsOf(names []string) (MCEFlags, error) {
	if r.FlagNames == nil {
		r.FlagNames = append([]string(nil), knownFlags...)
	}
	var fl MCEFlags
next:
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" {
			continue
		}
		for i, have := range r.FlagNames {
			if have == n {
				fl |= 1 << i
				continue next
			}
		}
		if len(r.FlagNames) == 32 {
			return 0, fmt.Errorf("flag %q: a release holds at most 32 different flags", n)
		}
		fl |= 1 << len(r.FlagNames)
		r.FlagNames = append(r.FlagNames, n)
	}
	return fl, nil
}

// FlagNamesOf lists the names of the flags in fl.
func (r *Release) FlagNamesOf(fl MCEFlags) []string {
	names := []string{}
	for i, n := range r.FlagNames {
		if fl&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return names
}

// AgeFlagNamed is the age flag of a name: newborn, pediatric, maternity,
// adult.
func AgeFlagNamed(name string) (MCEFlags, bool) {
	switch n := strings.ToLower(strings.TrimSpace(name)); n {
	case "newborn", "pediatric", "maternity", "adult":
		for i, k := range knownFlags {
			if k == n {
				return 1 << i, true
			}
		}
	}
	return 0, false
}
