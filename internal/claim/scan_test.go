package claim_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/claimscreen/claimscreen/internal/claim"
	"github.com/claimscreen/claimscreen/internal/gen"
)

// Decode's one-pass reading (scan) gives what the parser's does, for
// generated claims, the random Texts' messages, the decoder tests'
// messages and mutants of them all (a byte inserted, deleted, doubled or
// replaced by one of JSON's own), under the default limits and tight
// ones; and it reads most generated claims itself.
func TestScanIsDecode(t *testing.T) {
	msgs := [][]byte{[]byte(claim.Good)}
	gens, err := gen.SampleClaims(2000, []string{"ORIG-1"}, 5)
	if err != nil {
		t.Fatal(err)
	}
	msgs = append(msgs, gens...)
	r := rand.New(rand.NewPCG(5, 6))
	for range 5000 {
		msgs = append(msgs, claim.RandomText(r).AppendJSON(nil))
	}
	const alphabet = "{}[],:\" \t\n\\0123456789.eE-+nulltrue\x01\xc3\xa9aZ"
	for i, n := 0, len(msgs); i < 4*n; i++ {
		m := slices.Clone(msgs[r.IntN(n)])
		k := r.IntN(len(m) + 1)
		c := alphabet[r.IntN(len(alphabet))]
		switch r.IntN(4) {
		case 0:
			m = slices.Insert(m, k, c)
		case 1:
			if k < len(m) {
				m = slices.Delete(m, k, k+1)
			}
		case 2:
			if k < len(m) {
				m = slices.Insert(m, k, m[k])
			}
		case 3:
			if k < len(m) {
				m[k] = c
			}
		}
		msgs = append(msgs, m)
	}
	// Every structural byte of some messages deleted, doubled, replaced by
	// another or preceded by a comma.
	for _, m := range append([][]byte{msgs[0]}, gens[:20]...) {
		for k, b := range m {
			if !strings.ContainsRune(`{}[],:"`, rune(b)) {
				continue
			}
			msgs = append(msgs, slices.Delete(slices.Clone(m), k, k+1), slices.Insert(slices.Clone(m), k, b), slices.Insert(slices.Clone(m), k, ','))
			for _, c := range []byte(`{}[],:"`) {
				if c != b {
					v := slices.Clone(m)
					v[k] = c
					msgs = append(msgs, v)
				}
			}
		}
	}
	decoders := []*claim.Decoder{claim.NewDecoder(claim.Limits{}), claim.NewDecoder(claim.Limits{MaxString: 8, MaxDepth: 4, MaxBytes: 400})}
	scanned := 0
	for i, m := range msgs {
		d := decoders[i%2]
		sameAsParser(t, d, m)
		if i < len(gens)+1 && i%2 == 0 {
			if _, ok := claim.Scan(d, m, claim.Recv); ok {
				scanned++
			}
		}
	}
	if scanned < len(gens)/2*9/10 {
		t.Fatalf("the scan read %d of %d generated claims", scanned, len(gens)/2)
	}
	t.Logf("%d messages compared; the scan read %d of %d generated claims", len(msgs), scanned, (len(gens)+1)/2)
}

// sameAsParser fails the test when Decode and the parser's reading differ
// on msg.
func sameAsParser(t testing.TB, d *claim.Decoder, msg []byte) {
	t.Helper()
	c1, fs1, err1 := d.Decode(msg, claim.Recv)
	c2, fs2, err2 := d.DecodeByParser(msg, claim.Recv)
	if fmt.Sprint(err1) != fmt.Sprint(err2) || !reflect.DeepEqual(fs1, fs2) || !reflect.DeepEqual(c1, c2) {
		_, scanned := claim.Scan(d, msg, claim.Recv)
		t.Fatalf("Decode differs from the parser (scanned %v) on %q:\n%v %+v\n%+v\nparser:\n%v %+v\n%+v", scanned, msg, err1, fs1, c1, err2, fs2, c2)
	}
}
