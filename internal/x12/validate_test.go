package x12

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/testenv"
)

// Each kind of guide error, on our sample 837P changed in one place, is
// the IK3 (and IK4) the 999 guide wants.
func TestValidate(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "internal", "samples", "x12", "837p-sample.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sample := string(raw)
	for _, tc := range []struct {
		name, from, to string
		ik3            string // ID position loop code
		ik4            string // position component ref code value, "" none
	}{
		{"sound", "", "", "", ""},
		{"required segment missing", "N4*SPRINGFIELD*IL*627010001~\n", "", "N4 9 2010AA 3", ""},
		{"required loop missing", "NM1*40*2*PAYER*****46*P1~\n", "", "NM1 5 1000B 3", ""},
		{"segment over its maximum use", "REF*EI*370000001~\n", "REF*EI*370000001~\nREF*EI*370000001~\n", "REF 11 2010AA 5", ""},
		{"unrecognized segment", "N3*1 MAIN STREET~\n", "N3*1 MAIN STREET~\nZZZ*1~\n", "ZZZ 9 2010AA 1", ""},
		{"unexpected segment", "BHT*0019*00*B1*20251120*0930*CH~\n", "BHT*0019*00*B1*20251120*0930*CH~\nSV1*HC:99213*1*UN*1***1~\n", "SV1 3  2", ""},
		{"required element missing", "CLM*X12-2001*270.00*", "CLM**270.00*", "CLM 16 2300 8", "1 0 1028 1 "},
		{"qualifier not the guide's: another segment", "SBR*P*18*", "SBR*Q*18*", "SBR 12 2000B 2", ""},
		{"bad code value", "SBR*P*18*", "SBR*P*99*", "SBR 12 2000B 8", "2 0 1069 7 99"},
		{"too long", "REF*EI*370000001~", "REF*EI*37000000112345678901234567890123456789012345678901234567890~", "REF 10 2010AA 8", "2 0 127 5 37000000112345678901234567890123456789012345678901234567890"},
		{"not a number", "CLM*X12-2001*270.00*", "CLM*X12-2001*2X0.00*", "CLM 16 2300 8", "2 0 782 6 2X0.00"},
		{"bad date", "DMG*D8*19610314*F~", "DMG*D8*19611314*F~", "DMG 14 2010BA 8", "2 0 1251 8 19611314"},
		{"bad time", "*20251120*0930*CH~", "*20251120*2560*CH~", "BHT 2  8", "5 0 337 9 2560"},
		{"too many components", "SV1*HC:G0439*", "SV1*HC:G0439:::::::X*", "SV1 19 2400 8", "1 9 C003 13 "},
		{"element not used", "SBR*P*18*******CI~", "SBR*P*18******X*CI~", "SBR 12 2000B 8", "8 0 584 I10 "},
		{"paired elements", "NM1*85*2*CLINIC ONE*****XX*1234567893~", "NM1*85*2*CLINIC ONE*****XX~", "NM1 7 2010AA 8", "9 0  2 "},
		{"HL01 not counting", "HL*3*1*22*0~", "HL*4*1*22*0~", "HL 24 2000B 8", "1 0 628 7 4"},
		{"HL02 naming an HL of the wrong level", "HL*3*1*22*0~", "HL*3*2*22*0~", "HL 24 2000B 8", "2 0 734 7 2"},
		{"HL04 saying no children where there are", "HL*1**20*1~", "HL*1**20*0~", "HL 6 2000A 8", "4 0 736 7 0"},
		{"HL04 saying children where there are none: let be", "HL*3*1*22*0~", "HL*3*1*22*1~", "", ""},
		{"trailing separator", "HI*ABK:E119*ABF:I10~", "HI*ABK:E119*ABF:I10*~", "HI 17 2300 8", "3 0  3 "},
	} {
		doc := strings.Replace(sample, tc.from, tc.to, 1)
		ics, err := Parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		s := ics[0].Groups[0].Sets[0]
		g, _ := GuideFor(s.Version)
		errs := g.Validate(s, ics[0].Separators)
		if tc.ik3 == "" {
			if len(errs) != 0 {
				t.Errorf("%s: %+v", tc.name, errs)
			}
			continue
		}
		found := false
		for _, e := range errs {
			if strings.Join([]string{e.ID, itoa(e.Position), e.Loop, e.Code}, " ") != tc.ik3 {
				continue
			}
			if tc.ik4 == "" {
				found = true
			}
			for _, el := range e.Elements {
				if strings.Join([]string{itoa(el.Position), itoa(el.Component), el.Ref, el.Code, el.Value}, " ") == tc.ik4 {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("%s: want IK3 %q IK4 %q, have %+v", tc.name, tc.ik3, tc.ik4, errs)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// A guide line the reader cannot read is named by its line.
func TestParseGuideErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"version 005010X222A1 837P\nloop ST_LOOP R 0 x\n  seg ST R one Header\n", "line 3: count"},
		{"version 005010X222A1 837P\nloop ST_LOOP R 0 x\n  seg ST R 1 Header\n    el 01 R 143 ID 3 3 837 [a-z]\n", "line 4: a pattern other than [0-9]{N}"},
		{"version 005010X222A1 837P\nloop ST_LOOP R 0 x\n  bogus\n", "line 3: unknown line"},
		{"version 005010X222A1 837P\nloop ST_LOOP R 0 x\n  seg ST R 1 Header\n    el 02 R 329 AN 4 9 -\n    el 01 R 143 ID 3 3 837\n", "line 5: elements out of order"},
		{"loop ST_LOOP R 0 x\n", "no version line"},
	} {
		_, err := ParseGuide([]byte(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.text, err, tc.want)
		}
	}
}

// FuzzParseGuide: any guide text is read or refused with its line, never a
// panic; a guide read validates any set without a panic.
func FuzzParseGuide(f *testing.F) {
	raw, err := guideFiles.ReadFile("guides/005010X222A1.guide")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(raw[:4000]))
	f.Add("version 005010X222A1 837P\nloop ST_LOOP R 0 x\n  seg ST R 1 Header\n    el 01 R 143 ID 3 3 837\n  loop 2000A R 0 y\n    seg HL R 1 z\n      el 03 R 735 ID 1 2 20\n")
	ics, _ := Parse([]byte(interchange("000000108")))
	f.Fuzz(func(t *testing.T, text string) {
		g, err := ParseGuide([]byte(text))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") && !strings.HasPrefix(err.Error(), "no version") && !strings.HasPrefix(err.Error(), "structure: ") {
				t.Fatalf("an error that names no line: %v", err)
			}
			return
		}
		g.Validate(ics[0].Groups[0].Sets[0], ics[0].Separators)
	})
}

// TestDateAgreesWithTimeParse: the guide's DT check (CCYYMMDD, YYMMDD)
// accepts exactly what time.Parse accepts, month lengths and leap years
// (1900, 2000, 2024, 2100, year 0) included.
func TestDateAgreesWithTimeParse(t *testing.T) {
	for _, y := range []int{0, 1899, 1900, 1969, 1999, 2000, 2023, 2024, 2068, 2100, 2400, 9999} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				long := fmt.Sprintf("%04d%02d%02d", y, m, d)
				_, err := time.Parse("20060102", long)
				if date(long) != (err == nil) {
					t.Errorf("%s: date %v, time.Parse %v", long, date(long), err)
				}
				short := long[2:]
				_, err = time.Parse("060102", short)
				if date(short) != (err == nil) {
					t.Errorf("%s: date %v, time.Parse %v", short, date(short), err)
				}
			}
		}
	}
	for _, v := range []string{"", "2024011", "202401011", "2024-1-1", "20240a01"} {
		if date(v) {
			t.Errorf("%q is not a date", v)
		}
	}
}

// TestUnitsIsJSONNumber: units keeps SV104/SV205 exactly when it is a JSON
// number (its digits-only fast path included: "01" is not one).
func TestUnitsIsJSONNumber(t *testing.T) {
	for _, s := range []string{"", "0", "1", "12", "01", "00", "1.5", "-1", "-0", "1e3", "1.", ".5", "abc", "1a", "+1", " 1", "123456789012"} {
		want := ""
		if s != "" && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') && json.Valid([]byte(s)) {
			want = s
		}
		if got := units(s); got != want {
			t.Errorf("units(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestElementCheckCharacters: an element's length counts characters (a
// non-ASCII one is one, not its UTF-8 bytes), and a control character is a
// bad character whatever else the value holds.
func TestElementCheckCharacters(t *testing.T) {
	an := &gelem{usage: 'R', typ: "AN", min: 1, max: 3}
	n0 := &gelem{usage: 'R', typ: "N0", min: 1, max: 3}
	dt := &gelem{usage: 'R', typ: "DT", min: 8, max: 8}
	for _, c := range []struct {
		e    *gelem
		v    string
		want string
	}{
		{an, "abc", ""},
		{an, "ééé", ""}, // 6 bytes, 3 characters
		{an, "éééé", IK4TooLong},
		{an, "abcd", IK4TooLong},
		{an, "", IK4Missing},
		{an, "a\x01", IK4BadCharacter},
		{an, "é\x7f", IK4BadCharacter},
		{n0, "12", ""},
		{n0, "1é", IK4BadCharacter},
		{dt, "2025013é", IK4BadDate},
		{dt, "20250131", ""},
	} {
		if got := c.e.check(c.v); got != c.want {
			t.Errorf("%s %q: %q, want %q", c.e.typ, c.v, got, c.want)
		}
	}
}

// TestCodeSetHas: a code set answers as a plain list would, for handfuls and
// for many codes, short and long (seven bytes packed, eight compared as
// strings), and for values that share a prefix or differ only in length.
func TestCodeSetHas(t *testing.T) {
	few := []string{"A", "AB", "ABCDEFG", "ABCDEFGH", "11"}
	var many []string
	for i := 0; i < 40; i++ {
		many = append(many, strconv.Itoa(i), "Q"+strconv.Itoa(i)+"LONGCODE")
	}
	probes := []string{"", "A", "AB", "ABC", "ABCDEFG", "ABCDEFGH", "ABCDEFGHI", "A\x00", "11", "1", "39", "40", "Q7LONGCODE", "Q7LONGCODF", "ABCDEFF"}
	for _, codes := range [][]string{few, many, nil} {
		set := newCodeSet(codes)
		for _, v := range probes {
			if got, want := set.has(v), slices.Contains(codes, v); got != want {
				t.Errorf("%d codes: has(%q) = %v, want %v", len(codes), v, got, want)
			}
		}
	}
}
