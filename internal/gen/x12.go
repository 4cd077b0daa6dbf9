package gen

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Interchange writes claim.v1 messages as one X12 837P interchange
// (005010X222A1) of one transaction set, for tests and benchmarks: one
// subscriber loop a claim, with its diagnoses (ABK/ABF), lines (SV1 with
// modifiers and pointers, DTP*472) and patient (NM1*IL, DMG). control is
// the nine-digit ISA13. Messages that are not claim.v1 are skipped.
func Interchange(claims [][]byte, control string) []byte {
	var b strings.Builder
	b.Grow(len(claims) * 400)
	b.WriteString("ISA*00*          *00*          *ZZ*CLEARING-1     *ZZ*PAYER01        *251120*0930*^*00501*" + control + "*0*T*:~\n")
	b.WriteString("GS*HC*CLEARING-1*PAYER01*20251120*0930*1*X*005010X222A1~\n")
	n := 0
	seg := func(s string) {
		b.WriteString(s)
		b.WriteString("~\n")
		n++
	}
	seg("ST*837*0001*005010X222A1")
	seg("BHT*0019*00*GEN1*20251120*0930*CH")
	seg("NM1*41*2*CLEARING ONE*****46*CLEARING-1")
	seg("PER*IC*DESK*TE*5555550100")
	seg("NM1*40*2*PAYER*****46*PAYER01")
	seg("HL*1**20*1")
	seg("NM1*85*2*CLINIC ONE*****XX*1234567893")
	seg("N3*1 MAIN ST")
	seg("N4*BALTIMORE*MD*21201")
	seg("REF*EI*123456789")
	hl := 1
	for _, m := range claims {
		var c struct {
			ClaimID string `json:"claim_id"`
			Patient *struct {
				MemberID  string `json:"member_id"`
				BirthDate string `json:"birth_date"`
				Sex       string `json:"sex"`
			} `json:"patient"`
			POS       string `json:"place_of_service"`
			Frequency string `json:"frequency"`
			Diagnoses []struct {
				Code string `json:"code"`
			} `json:"diagnoses"`
			Lines []struct {
				Procedure struct {
					Code      string   `json:"code"`
					Modifiers []string `json:"modifiers"`
				} `json:"procedure"`
				ServiceDate string          `json:"service_date"`
				Units       json.Number     `json:"units"`
				Charge      string          `json:"charge"`
				Pointers    []json.Number   `json:"diagnosis_pointers"`
				POS         string          `json:"place_of_service"`
				Extra       json.RawMessage `json:"-"`
			} `json:"lines"`
			Total string `json:"total_charge"`
		}
		if json.Unmarshal(m, &c) != nil || c.ClaimID == "" {
			continue
		}
		hl++
		seg(fmt.Sprintf("HL*%d*1*22*0", hl))
		seg("SBR*P*18*******CI")
		member, birth, sex := "M0", "19700101", "U"
		if c.Patient != nil {
			member, birth, sex = c.Patient.MemberID, strings.ReplaceAll(c.Patient.BirthDate, "-", ""), c.Patient.Sex
		}
		seg("NM1*IL*1*DOE*PAT****MI*" + member)
		seg("DMG*D8*" + birth + "*" + sex)
		seg("NM1*PR*2*PAYER*****PI*PAYER01")
		pos, freq := c.POS, c.Frequency
		if pos == "" {
			pos = "11"
		}
		if freq == "" {
			freq = "1"
		}
		seg(fmt.Sprintf("CLM*%s*%s***%s:B:%s*Y*A*Y*Y", x12Safe(c.ClaimID), c.Total, pos, freq))
		var hi []string
		for i, d := range c.Diagnoses {
			if i == 12 {
				break // an 837P claim carries twelve diagnoses
			}
			q := "ABF"
			if i == 0 {
				q = "ABK"
			}
			hi = append(hi, q+":"+strings.ReplaceAll(d.Code, ".", ""))
		}
		if len(hi) > 0 {
			seg("HI*" + strings.Join(hi, "*"))
		}
		for i, l := range c.Lines {
			seg(fmt.Sprintf("LX*%d", i+1))
			proc := "HC:" + l.Procedure.Code
			for _, mod := range l.Procedure.Modifiers {
				proc += ":" + mod
			}
			var ptrs []string
			for _, p := range l.Pointers {
				// SV107: up to four pointers, each 1 to 12.
				if v, err := p.Int64(); err == nil && v >= 1 && v <= 12 && len(ptrs) < 4 {
					ptrs = append(ptrs, p.String())
				}
			}
			if len(ptrs) == 0 {
				ptrs = []string{"1"} // SV107 is required
			}
			units := l.Units.String()
			if units == "" {
				units = "1"
			}
			seg(fmt.Sprintf("SV1*%s*%s*UN*%s*%s**%s", proc, l.Charge, units, l.POS, strings.Join(ptrs, ":")))
			seg("DTP*472*D8*" + strings.ReplaceAll(l.ServiceDate, "-", ""))
		}
	}
	b.WriteString(fmt.Sprintf("SE*%d*0001~\nGE*1*1~\nIEA*1*%s~\n", n+1, control))
	return []byte(b.String())
}

// x12Safe replaces the characters X12 reserves as separators here.
func x12Safe(s string) string {
	return strings.NewReplacer("*", "-", "~", "-", ":", "-", "^", "-").Replace(s)
}
