package x12

import (
	"strconv"
	"strings"
	"time"
)

// ClaimStatus is what a 277CA says of one claim.
type ClaimStatus struct {
	Claim Claim
	// Accepted: accepted for processing (held claims too: held for
	// reference data, they are accepted and Pending says so).
	Accepted bool
	Pending  string // a held claim's reason, as free-form text
	// Codes are a rejected claim's 277CA statuses (category:status, as
	// the rule table gives them: A7:254); three to an STC segment.
	Codes      []string
	DecisionID string // REF*1K, the payer's claim control number
	// Lines are the statuses of lines with findings of their own (the
	// rule table's X12Line rules): a 2220D loop each.
	Lines []LineStatus
}

// LineStatus is what a 277CA says of one service line: its place in the
// claim (0-based, Claim.Lines[Index]) and its statuses, up to three.
type LineStatus struct {
	Index int
	Codes []string
}

// Ack277CA writes the 277CA (005010X214) of one accepted 837 transaction
// set: the information source (the payer: the input's receiver, received
// and processed dates), the information receiver (the submitter, with the
// counts and amounts accepted and rejected), each billing provider and,
// under it, each claim with its status. processed is when the claims were
// decided (the ledger's time, so that a redelivery gets the same bytes).
func Ack277CA(ic *Interchange, g *Group, s *Set, claims []ClaimStatus, processed time.Time) []byte {
	size := 256 * len(claims) // a claim's loop, and a line's for each line status
	for i := range claims {
		size += 160 * len(claims[i].Lines)
	}
	w := newWriter(ic, g, "HN", "005010X214", size)
	day := processed.UTC().Format("20060102")
	received := d8digits(g.GS.E(4))
	trace := ""
	if len(claims) > 0 {
		trace = claims[0].Claim.Trace
	}
	w.seg("ST", "277", s.Control, "005010X214")
	w.seg("BHT", "0085", "08", trace, day, processed.UTC().Format("1504"), "TH")
	// 2000A / 2100A: the payer, who answers.
	w.seg("HL", "1", "", "20", "1")
	w.seg("NM1", "PR", "2", ic.Receiver, "", "", "", "", "46", ic.Receiver)
	w.seg("TRN", "1", g.Control+s.Control)
	w.seg("DTP", "050", "D8", received)
	w.seg("DTP", "009", "D8", day)
	// 2000B: the submitter, with the totals.
	var acc, rej int
	var accAmt, rejAmt float64
	for i := range claims {
		c := &claims[i]
		amt, _ := strconv.ParseFloat(c.Claim.Charge, 64)
		if c.Accepted {
			acc++
			accAmt += amt
		} else {
			rej++
			rejAmt += amt
		}
	}
	submitter, submitterID := ic.Sender, ic.Sender
	if len(claims) > 0 && claims[0].Claim.SubmitterID != "" {
		submitter, submitterID = claims[0].Claim.SubmitterName, claims[0].Claim.SubmitterID
	}
	w.seg("HL", "2", "1", "21", "1")
	w.seg("NM1", "41", "2", submitter, "", "", "", "", "46", submitterID)
	w.seg("TRN", "2", trace)
	w.seg("STC", "A1:19", day, "WQ", money(accAmt+rejAmt))
	w.seg("QTY", "90", strconv.Itoa(acc))
	if rej > 0 {
		w.seg("QTY", "AA", strconv.Itoa(rej))
	}
	w.seg("AMT", "YU", money(accAmt))
	if rej > 0 {
		w.seg("AMT", "YY", money(rejAmt))
	}
	// 2000C: each billing provider, and 2000D: its claims.
	n := 2
	type provider struct {
		name, npi string
		claims    []int // indexes into claims: a ClaimStatus is too big to copy
	}
	var providers []*provider
	byNPI := map[string]*provider{}
	for i := range claims {
		c := &claims[i]
		k := c.Claim.ProviderNPI + "\x00" + c.Claim.ProviderName
		p := byNPI[k]
		if p == nil {
			p = &provider{name: c.Claim.ProviderName, npi: c.Claim.ProviderNPI}
			byNPI[k] = p
			providers = append(providers, p)
		}
		p.claims = append(p.claims, i)
	}
	for _, p := range providers {
		n++
		parent := n
		var total float64
		for _, i := range p.claims {
			amt, _ := strconv.ParseFloat(claims[i].Claim.Charge, 64)
			total += amt
		}
		w.start("HL")
		w.elInt(n)
		w.el("2")
		w.el("19")
		w.el("1")
		w.end()
		w.seg("NM1", "85", "2", p.name, "", "", "", "", "XX", p.npi)
		w.seg("TRN", "1", "0")
		w.seg("STC", "A1:19", "", "WQ", money(total)) // STC02 is not used at the provider level
		for _, i := range p.claims {
			c := &claims[i]
			n++
			w.start("HL")
			w.elInt(n)
			w.elInt(parent)
			w.el("PT")
			w.end()
			w.seg("NM1", "QC", "1", c.Claim.PatientLast, c.Claim.PatientFirst, "", "", "", "MI", c.Claim.MemberID)
			w.seg("TRN", "2", c.Claim.ClaimID)
			charge := c.Claim.Charge
			if charge == "" {
				charge = "0"
			}
			switch {
			case c.Accepted:
				w.start("STC")
				w.el("A2:20")
				w.el(day)
				w.el("WQ")
				w.el(charge)
				if c.Pending != "" {
					// STC12 free-form message: why the claim is pending.
					w.held += 7
					w.el(clip(c.Pending, 264))
				}
				w.end()
			default:
				codes := c.Codes
				if len(codes) == 0 {
					codes = rejectedUndecoded[:]
				}
				for i := 0; i < len(codes); i += 3 {
					w.stc(codes[i:min(i+3, len(codes))], day, charge)
				}
			}
			if c.DecisionID != "" {
				w.seg("REF", "1K", clip(c.DecisionID, 50))
			}
			if c.Claim.BillType != "" {
				w.seg("REF", "BLT", c.Claim.BillType)
			}
			w.serviceDate(c.Claim.From, c.Claim.Through)
			for _, ls := range c.Lines {
				w.line(&c.Claim, ls, day)
			}
		}
	}
	// A 277CA answers with the set's own control number (ST02 above).
	return w.finish(g, s.Control)
}

// serviceDate writes DTP*472: D8, or RD8 for a period.
func (w *writer) serviceDate(from, through string) {
	if from, through = d8digits(from), d8digits(through); from != "" {
		if through == "" || through == from {
			w.seg("DTP", "472", "D8", from)
		} else {
			w.start("DTP")
			w.el("472")
			w.el("RD8")
			w.elJoin(0, from, "-", through)
			w.end()
		}
	}
}

// line writes a 2220D loop: SVC (the procedure, or the revenue code alone
// as NU, the charge, the revenue code, the units), STC with up to three
// statuses, REF*FJ (the line's REF*6R), DTP*472.
func (w *writer) line(c *Claim, ls LineStatus, day string) {
	if ls.Index < 0 || ls.Index >= len(c.Lines) || len(ls.Codes) == 0 {
		return
	}
	l := &c.Lines[ls.Index]
	w.start("SVC")
	if l.Procedure != "" {
		q := l.Qualifier
		if q == "" {
			q = "HC"
		}
		parts := [6]string{q, l.Procedure}
		n := 2 + copy(parts[2:], l.Modifiers)
		w.elJoin(w.sep.Component, parts[:n]...)
	} else {
		w.elJoin(w.sep.Component, "NU", l.Revenue)
	}
	charge := l.Charge
	if charge == "" {
		charge = "0"
	}
	w.el(charge)
	w.el("")
	w.el(l.Revenue)
	w.held += 2
	w.el(l.Units)
	w.end()
	w.stc(ls.Codes[:min(len(ls.Codes), 3)], day, "")
	if l.Control != "" {
		w.seg("REF", "FJ", clip(l.Control, 50))
	}
	w.serviceDate(l.From, l.Through)
}

// rejectedUndecoded is the status of a rejected claim with no code of
// its own.
var rejectedUndecoded = [...]string{"A7:21"}

// stc writes an STC of up to three statuses (STC01, STC10, STC11) on day,
// with the claim's charge (STC04) when it is given: a line's has none.
func (w *writer) stc(codes []string, day, charge string) {
	w.start("STC")
	w.el(codes[0])
	w.el(day)
	w.el("U")
	w.el(charge)
	if len(codes) > 1 {
		w.held += 5 // STC05 to STC09 are not used
		w.el(codes[1])
	}
	if len(codes) > 2 {
		w.el(codes[2])
	}
	w.end()
}

// d8digits is YYYY-MM-DD, or CCYYMMDD, as CCYYMMDD.
func d8digits(s string) string { return strings.ReplaceAll(s, "-", "") }

func money(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	return strings.TrimSuffix(strings.TrimSuffix(s, "0"), ".0")
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
