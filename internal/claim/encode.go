package claim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
)

// Encode returns the normalised claim as JSON — the same bytes as
// json.Marshal(c), written without reflection — and its content hash: the
// SHA-256 of the same bytes with received_at set to zero.
func (c *Claim) Encode() (body []byte, hash string) {
	b := make([]byte, 0, 512+160*len(c.Lines)+48*len(c.Diagnoses))
	b = append(b, `{"claim_id":`...)
	b = appendString(b, c.ClaimID)
	b = append(b, `,"originator_id":`...)
	b = appendString(b, c.OriginatorID)
	b = append(b, `,"frequency":`...)
	b = appendString(b, c.Frequency)
	b = append(b, `,"form":`...)
	b = appendString(b, string(c.Form))
	b = append(b, `,"received_at":`...)
	recvStart := len(b)
	ts, err := c.ReceivedAt.MarshalJSON()
	if err != nil {
		// A year outside 0–9999: encoding/json would fail the same way, and
		// the decoder never makes one.
		panic("claim: encode received_at: " + err.Error())
	}
	b = append(b, ts...)
	recvEnd := len(b)
	if p := c.Patient; p != nil {
		b = append(b, `,"patient":{`...)
		sep := false
		field := func(name, v string) {
			if v == "" {
				return
			}
			if sep {
				b = append(b, ',')
			}
			sep = true
			b = append(b, '"')
			b = append(b, name...)
			b = append(b, `":`...)
			b = appendString(b, v)
		}
		field("member_id", p.MemberID)
		field("birth_date", p.BirthDate.Text)
		field("sex", p.Sex)
		b = append(b, '}')
	}
	if c.PlaceOfService != "" {
		b = append(b, `,"place_of_service":`...)
		b = appendString(b, c.PlaceOfService)
	}
	if sp := c.StatementPeriod; sp != nil {
		b = append(b, `,"statement_period":{`...)
		if sp.From.Text != "" {
			b = append(b, `"from":`...)
			b = appendString(b, sp.From.Text)
		}
		if sp.Through.Text != "" {
			if sp.From.Text != "" {
				b = append(b, ',')
			}
			b = append(b, `"through":`...)
			b = appendString(b, sp.Through.Text)
		}
		b = append(b, '}')
	}
	b = append(b, `,"diagnoses":`...)
	if c.Diagnoses == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, d := range c.Diagnoses {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"code":`...)
			b = appendString(b, d.Code)
			b = append(b, `,"system":`...)
			b = appendString(b, d.System)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"lines":`...)
	if c.Lines == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range c.Lines {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendLine(b, &c.Lines[i])
		}
		b = append(b, ']')
	}
	if c.TotalCharge.Text != "" {
		b = append(b, `,"total_charge":`...)
		b = appendString(b, c.TotalCharge.Text)
	}
	b = append(b, '}')

	h := sha256.New()
	h.Write(b[:recvStart])
	h.Write(zeroReceivedValue)
	h.Write(b[recvEnd:])
	return b, hex.EncodeToString(h.Sum(nil))
}

// zeroReceivedValue is how a zero received_at encodes.
var zeroReceivedValue = []byte(`"0001-01-01T00:00:00Z"`)

func appendLine(b []byte, l *Line) []byte {
	b = append(b, `{"number":`...)
	b = strconv.AppendInt(b, int64(l.Number), 10)
	b = append(b, `,"procedure":{"code":`...)
	b = appendString(b, l.Procedure.Code)
	if len(l.Procedure.Modifiers) > 0 {
		b = append(b, `,"modifiers":[`...)
		for i, m := range l.Procedure.Modifiers {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, m)
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	if l.ServiceDate.Text != "" {
		b = append(b, `,"service_date":`...)
		b = appendString(b, l.ServiceDate.Text)
	}
	b = append(b, `,"units":`...)
	b = appendFloat(b, l.Units)
	if l.Charge.Text != "" {
		b = append(b, `,"charge":`...)
		b = appendString(b, l.Charge.Text)
	}
	if l.PlaceOfService != "" {
		b = append(b, `,"place_of_service":`...)
		b = appendString(b, l.PlaceOfService)
	}
	if len(l.Pointers) > 0 {
		b = append(b, `,"diagnosis_pointers":[`...)
		for i, p := range l.Pointers {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(p), 10)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendString appends s as encoding/json writes it: printable ASCII other
// than the characters it escapes as it is, anything else through
// encoding/json itself.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendFloat writes a float64 as encoding/json does (the shortest form;
// exponent notation below 1e-6 and from 1e21).
func appendFloat(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		// encoding/json refuses these; the decoder never makes one.
		panic("claim: encode: unsupported number " + strconv.FormatFloat(f, 'g', -1, 64))
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
