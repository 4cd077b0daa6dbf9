// Package gen makes synthetic claim.v1 messages from loaded code sets, for
// benchmarks and load tests: 1-12 distinct diagnoses, 1-6 lines, modifiers, and a
// share of claims with errors of every kind. It is deterministic for a seed
// and holds no real person's data.
package gen

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/claimscreen/claimscreen/internal/civil"
	"github.com/claimscreen/claimscreen/internal/codeset"
	"github.com/claimscreen/claimscreen/internal/crosswalk"
)

// Options of a generator.
type Options struct {
	Seed        uint64
	From, To    civil.Date // service dates; chosen inside the loaded releases when zero
	ErrorShare  float64    // share of claims with an error, default 0.2
	Originators int        // default 5
	// Uniform picks every code with the same chance. By default codes
	// follow a Zipf law, as real claims do: a few hundred common codes make
	// most of the volume.
	Uniform bool
}

// Generator makes claims.
type Generator struct {
	opt        Options
	rng        *rand.Rand
	dx, header []string
	px         []string
	mods       []string
	pos        []string
	n          int
	zdx, zpx   *rand.Zipf
}

// New prepares a generator from loaded releases (with their rows): the codes
// valid on every day of the date range are the pool.
func New(rels []*codeset.Release, opt Options) (*Generator, error) {
	if opt.ErrorShare == 0 {
		opt.ErrorShare = 0.2
	}
	if opt.Originators == 0 {
		opt.Originators = 5
	}
	if opt.From == 0 && opt.To == 0 {
		opt.From, opt.To = pickRange(rels)
	}
	g := &Generator{opt: opt, rng: rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15))}
	for _, r := range rels {
		if !r.Coverage.Contains(opt.From) || !r.Coverage.Contains(opt.To) {
			continue
		}
		for _, c := range r.Codes {
			valid := c.Valid.Contains(opt.From) && c.Valid.Contains(opt.To)
			switch r.System {
			case codeset.ICD10CM:
				if valid && c.Billable {
					g.dx = append(g.dx, c.Code)
				} else if !c.Billable {
					g.header = append(g.header, c.Code)
				}
			case codeset.HCPCS, codeset.CPT:
				if valid {
					g.px = append(g.px, c.Code)
				}
			case codeset.HCPCSModifier, codeset.CPTModifier:
				if valid {
					g.mods = append(g.mods, c.Code)
				}
			case codeset.POS:
				if valid {
					g.pos = append(g.pos, c.Code)
				}
			}
		}
	}
	if len(g.dx) == 0 || len(g.px) == 0 {
		return nil, fmt.Errorf("gen: the code sets have no ICD-10-CM or procedure codes valid from %s to %s", opt.From, opt.To)
	}
	// Shuffle so that the common codes are not the first in file order.
	g.rng.Shuffle(len(g.dx), func(i, j int) { g.dx[i], g.dx[j] = g.dx[j], g.dx[i] })
	g.rng.Shuffle(len(g.px), func(i, j int) { g.px[i], g.px[j] = g.px[j], g.px[i] })
	if !opt.Uniform {
		g.zdx = rand.NewZipf(g.rng, 1.1, 2, uint64(len(g.dx)-1))
		g.zpx = rand.NewZipf(g.rng, 1.1, 2, uint64(len(g.px)-1))
	}
	return g, nil
}

// pickRange finds the span covered by an ICD-10-CM and a procedure release,
// preferring the latest.
func pickRange(rels []*codeset.Release) (civil.Date, civil.Date) {
	var best civil.Range
	for _, a := range rels {
		if a.System != codeset.ICD10CM {
			continue
		}
		for _, b := range rels {
			if b.System != codeset.HCPCS && b.System != codeset.CPT {
				continue
			}
			r := civil.Range{From: max(a.Coverage.From, b.Coverage.From), To: min(a.Coverage.To, b.Coverage.To)}
			if r.From <= r.To && r.To > best.To {
				best = r
			}
		}
	}
	if best.To-best.From > 60 {
		best.From = best.To - 60
	}
	return best.From, best.To
}

// Chart returns a chart that maps every code the generator uses (one prefix
// row per first character and system), so valid claims are accepted.
func (g *Generator) Chart() *crosswalk.Chart {
	var b strings.Builder
	b.WriteString("system,code,internal_code,effective_from,effective_to,note\n")
	for _, sys := range []string{"ICD-10-CM", "CPT", "HCPCS"} {
		for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" {
			fmt.Fprintf(&b, "%s,%c*,INT-%s-%c,2000-01-01,,\n", sys, c, sys[:3], c)
		}
	}
	chart, err := crosswalk.Parse("generated.csv", strings.NewReader(b.String()))
	if err != nil {
		panic("gen: chart: " + err.Error()) // the rows above are always valid
	}
	return chart
}

type dxJSON struct {
	Code string `json:"code"`
}

type procJSON struct {
	Code      string   `json:"code"`
	Modifiers []string `json:"modifiers,omitempty"`
}

type lineJSON struct {
	Number   int      `json:"number"`
	Proc     procJSON `json:"procedure"`
	Date     string   `json:"service_date"`
	Units    int      `json:"units"`
	Charge   string   `json:"charge"`
	Pointers []int    `json:"diagnosis_pointers"`
}

type claimJSON struct {
	ClaimID      string         `json:"claim_id"`
	OriginatorID string         `json:"originator_id"`
	Form         string         `json:"form"`
	ReceivedAt   string         `json:"received_at"`
	Patient      map[string]any `json:"patient"`
	POS          string         `json:"place_of_service,omitempty"`
	Diagnoses    []dxJSON       `json:"diagnoses"`
	Lines        []lineJSON     `json:"lines"`
	Total        string         `json:"total_charge"`
}

// Originator returns the id of originator i.
func Originator(i int) string { return fmt.Sprintf("ORIG-%03d", i) }

// Next returns the next claim, and whether an error was put in it.
func (g *Generator) Next() ([]byte, bool) {
	r := g.rng
	g.n++
	c := claimJSON{
		ClaimID:      fmt.Sprintf("G%012d", g.n),
		OriginatorID: Originator(r.IntN(g.opt.Originators)),
		Form:         "professional",
		ReceivedAt:   (g.opt.To + 1).String() + "T08:00:00Z",
		Patient: map[string]any{"member_id": fmt.Sprintf("SYN%08d", r.IntN(1e8)),
			"birth_date": fmt.Sprintf("%04d-%02d-%02d", 1930+r.IntN(80), 1+r.IntN(12), 1+r.IntN(28)), "sex": "U"},
	}
	if len(g.pos) > 0 {
		c.POS = g.pos[r.IntN(len(g.pos))]
	}
	nd := min(1+r.IntN(12), len(g.dx))
	for i := 0; i < nd; i++ {
		c.Diagnoses = append(c.Diagnoses, dxJSON{g.newDiagnosis(c.Diagnoses)})
	}
	nl := 1 + r.IntN(6)
	date := (g.opt.From + civil.Date(r.IntN(int(g.opt.To-g.opt.From)+1))).String()
	var total int
	for i := 0; i < nl; i++ {
		l := lineJSON{Number: i + 1, Proc: procJSON{Code: pick(g.px, g.zpx, r)}, Date: date, Units: 1, Pointers: []int{1 + r.IntN(nd)}}
		if len(g.mods) > 0 && r.IntN(3) == 0 {
			l.Proc.Modifiers = []string{g.mods[r.IntN(len(g.mods))]}
		}
		cents := 1000 + r.IntN(50000)
		total += cents
		l.Charge = fmt.Sprintf("%d.%02d", cents/100, cents%100)
		c.Lines = append(c.Lines, l)
	}
	c.Total = fmt.Sprintf("%d.%02d", total/100, total%100)
	bad := r.Float64() < g.opt.ErrorShare
	if bad {
		switch r.IntN(7) {
		case 0:
			c.Diagnoses[0].Code = "Q9999X9"
		case 1:
			if len(g.header) > 0 {
				c.Diagnoses[r.IntN(nd)].Code = g.header[r.IntN(len(g.header))]
			}
		case 2:
			c.Lines[0].Proc.Code = "Z9999"
		case 3:
			c.Lines[0].Proc.Modifiers = []string{"Q0"}
		case 4:
			c.Total = "0.01"
		case 5:
			c.Lines[0].Pointers = []int{nd + 1}
		case 6:
			c.Lines[0].Date = "2099-01-01"
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		panic("gen: encode: " + err.Error())
	}
	return b, bad
}

// newDiagnosis draws a diagnosis the claim does not list yet: a claim
// lists each diagnosis once (listing one twice is an error, DX_DUPLICATE),
// and drawn with replacement from the Zipf law a fifth of the claims listed
// a common code twice. After a few tries it takes the next code of the pool
// not listed (the caller asks for no more codes than the pool has).
func (g *Generator) newDiagnosis(have []dxJSON) string {
	listed := func(code string) bool {
		return slices.ContainsFunc(have, func(d dxJSON) bool { return d.Code == code })
	}
	for try := 0; try < 8; try++ {
		if code := pick(g.dx, g.zdx, g.rng); !listed(code) {
			return code
		}
	}
	for i, at := 0, g.rng.IntN(len(g.dx)); ; i++ {
		if code := g.dx[(at+i)%len(g.dx)]; !listed(code) {
			return code
		}
	}
}

func pick(pool []string, z *rand.Zipf, r *rand.Rand) string {
	if z == nil {
		return pool[r.IntN(len(pool))]
	}
	return pool[z.Uint64()]
}
