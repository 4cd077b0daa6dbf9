package codeset

import (
	"io"
	"strings"
)

// readHCPCSText reads the 320-byte ANWEB records: code 1-5, record id 11
// (3/4 procedure, 7/8 modifier; 4 and 8 continue a description), add date
// 269-276, action effective 277-284, termination 285-292.
func readHCPCSText(name, base string, r io.Reader) ([]*Release, error) {
	proc, mod, err := hcpcsRelease(base)
	if err != nil {
		return nil, err
	}
	ls := newLines(name, r)
	for ls.next() {
		s := ls.text
		if strings.TrimSpace(s) == "" {
			continue
		}
		if len(s) < 11 {
			return nil, ls.fail("record is %d characters long; HCPCS records are 320", len(s))
		}
		var rel *Release
		switch s[10] {
		case '3':
			rel = proc
		case '7':
			rel = mod
		case '4', '8':
			continue
		default:
			return nil, ls.fail("record id %q at column 11 must be 3, 4, 7 or 8", s[10:11])
		}
		if len(s) < 293 {
			return nil, ls.fail("record is %d characters long; HCPCS records are 320", len(s))
		}
		c, err := hcpcsRow(field(s, 1, 5), field(s, 269, 276), field(s, 285, 292))
		if err != nil {
			return nil, ls.fail("%v", err)
		}
		rel.Codes = append(rel.Codes, c)
		if rel == proc {
			addHCPCSInfo(proc, c.Code, field(s, 230, 230), field(s, 171, 180), field(s, 205, 209))
		}
	}
	if err := ls.err(); err != nil {
		return nil, err
	}
	return finishHCPCS(name, proc, mod)
}
