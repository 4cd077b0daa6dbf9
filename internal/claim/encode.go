package claim

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/claimscreen/claimscreen/internal/jsonw"
)

// Encode returns the normalised claim as JSON — the same bytes as
// json.Marshal(c), written without reflection — and its content hash: the
// SHA-256 of the same bytes with received_at set to zero.
func (c *Claim) Encode() (body []byte, hash string) {
	b := make([]byte, 0, 512+160*len(c.Lines)+48*len(c.Diagnoses))
	b = append(b, `{"claim_id":`...)
	b = jsonw.String(b, c.ClaimID)
	b = append(b, `,"originator_id":`...)
	b = jsonw.String(b, c.OriginatorID)
	b = append(b, `,"frequency":`...)
	b = jsonw.String(b, c.Frequency)
	b = append(b, `,"form":`...)
	b = jsonw.String(b, string(c.Form))
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
			b = jsonw.String(b, v)
		}
		field("member_id", p.MemberID)
		field("birth_date", p.BirthDate.Text)
		field("sex", p.Sex)
		b = append(b, '}')
	}
	if c.PlaceOfService != "" {
		b = append(b, `,"place_of_service":`...)
		b = jsonw.String(b, c.PlaceOfService)
	}
	if c.BillType != "" {
		b = append(b, `,"bill_type":`...)
		b = jsonw.String(b, c.BillType)
	}
	if sp := c.StatementPeriod; sp != nil {
		b = append(b, `,"statement_period":{`...)
		if sp.From.Text != "" {
			b = append(b, `"from":`...)
			b = jsonw.String(b, sp.From.Text)
		}
		if sp.Through.Text != "" {
			if sp.From.Text != "" {
				b = append(b, ',')
			}
			b = append(b, `"through":`...)
			b = jsonw.String(b, sp.Through.Text)
		}
		b = append(b, '}')
	}
	b = jsonw.Array(append(b, `,"diagnoses":`...), c.Diagnoses, func(b []byte, d *Dx) []byte {
		b = jsonw.String(append(b, `{"code":`...), d.Code)
		return append(jsonw.String(append(b, `,"system":`...), d.System), '}')
	})
	b = jsonw.Array(append(b, `,"lines":`...), c.Lines, appendLine)
	if c.TotalCharge.Text != "" {
		b = append(b, `,"total_charge":`...)
		b = jsonw.String(b, c.TotalCharge.Text)
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
	b = jsonw.String(b, l.Procedure.Code)
	if len(l.Procedure.Modifiers) > 0 {
		b = jsonw.Strings(append(b, `,"modifiers":`...), l.Procedure.Modifiers)
	}
	b = append(b, '}')
	if l.ServiceDate.Text != "" {
		b = append(b, `,"service_date":`...)
		b = jsonw.String(b, l.ServiceDate.Text)
	}
	b = append(b, `,"units":`...)
	b = jsonw.Float(b, l.Units)
	if l.Charge.Text != "" {
		b = append(b, `,"charge":`...)
		b = jsonw.String(b, l.Charge.Text)
	}
	if l.PlaceOfService != "" {
		b = append(b, `,"place_of_service":`...)
		b = jsonw.String(b, l.PlaceOfService)
	}
	if len(l.Pointers) > 0 {
		b = jsonw.Ints(append(b, `,"diagnosis_pointers":`...), l.Pointers)
	}
	return append(b, '}')
}
