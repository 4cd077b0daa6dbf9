// Package jsonw writes JSON values into byte slices the way encoding/json
// does, byte for byte, for the encoders of the hot path (the claim, the
// decision, the notice), which write their fields without reflection.
package jsonw

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
)

// plain[c] is whether String writes byte c as it is: printable ASCII but
// for `"`, `\`, `<`, `>` and `&`.
var plain = func() (t [256]bool) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] = true
	}
	for _, c := range []byte(`"\<>&`) {
		t[c] = false
	}
	return t
}()

// String appends s as encoding/json writes it: printable ASCII as it is,
// with `"` and `\` escaped and `<`, `>`, `&` written as encoding/json's
// \u escapes; anything else (control characters, non-ASCII, invalid UTF-8,
// U+2028/9) through encoding/json itself.
func String(b []byte, s string) []byte {
	b = slices.Grow(b, len(s)+2)
	start := len(b)
	b = append(b, '"')
	from := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if plain[c] {
			continue
		}
		var esc string
		switch {
		case c < 0x20 || c > 0x7e:
			q, _ := json.Marshal(s)
			return append(b[:start], q...)
		case c == '"':
			esc = `\"`
		case c == '\\':
			esc = `\\`
		case c == '<':
			esc = `\u003c`
		case c == '>':
			esc = `\u003e`
		default: // '&'
			esc = `\u0026`
		}
		b = append(append(b, s[from:i]...), esc...)
		from = i + 1
	}
	b = append(b, s[from:]...)
	return append(b, '"')
}

// Float appends f as encoding/json does: the shortest form, exponent
// notation below 1e-6 and from 1e21. It panics on NaN and infinities,
// which encoding/json refuses.
func Float(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		panic("jsonw: unsupported number " + strconv.FormatFloat(f, 'g', -1, 64))
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

// Int appends an integer.
func Int(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

// Field appends `,"name":` (without the comma when first).
func Field(b []byte, name string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

// Array appends xs as a JSON array, each element by elem; a nil slice is
// null, as encoding/json writes it.
func Array[T any](b []byte, xs []T, elem func([]byte, *T) []byte) []byte {
	if xs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = elem(b, &xs[i])
	}
	return append(b, ']')
}

// Strings appends a JSON array of strings.
func Strings(b []byte, ss []string) []byte {
	return Array(b, ss, func(b []byte, s *string) []byte { return String(b, *s) })
}

// Ints appends a JSON array of integers.
func Ints(b []byte, ns []int) []byte {
	return Array(b, ns, func(b []byte, n *int) []byte { return Int(b, *n) })
}
