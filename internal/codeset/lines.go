package codeset

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/claimscreen/claimscreen/internal/civil"
)

// lines iterates over the lines of r without their line endings, CRLF or
// LF. A line that is not UTF-8 is read as Latin-1, as older CMS files are.
type lines struct {
	name string
	sc   *bufio.Scanner
	n    int
	text string
}

const maxLine = 1 << 20

func newLines(name string, r io.Reader) *lines {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	return &lines{name: name, sc: sc}
}

func (l *lines) next() bool {
	if !l.sc.Scan() {
		return false
	}
	l.n++
	b := l.sc.Bytes()
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	if l.n == 1 {
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	}
	if utf8.Valid(b) {
		l.text = string(b)
	} else {
		l.text = latin1(b)
	}
	return true
}

func (l *lines) err() error {
	if err := l.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &LineError{l.name, l.n + 1, fmt.Errorf("line longer than %d bytes", maxLine)}
		}
		return fmt.Errorf("%s: read: %w", l.name, err)
	}
	return nil
}

func (l *lines) fail(format string, args ...any) error {
	return &LineError{l.name, l.n, fmt.Errorf(format, args...)}
}

func latin1(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs)
}

// field returns the 1-based inclusive columns from..to of s, trimmed.
func field(s string, from, to int) string {
	if from > len(s) {
		return ""
	}
	if to > len(s) {
		to = len(s)
	}
	return strings.TrimSpace(s[from-1 : to])
}

// codeSpelling drops the dots and spaces with which codes are written.
var codeSpelling = strings.NewReplacer(".", "", " ", "")

// NormalizeCode upper-cases s and drops its dots and spaces: a code as the
// files and charts write it, in the form the indexes hold.
func NormalizeCode(s string) string { return strings.ToUpper(codeSpelling.Replace(s)) }

// ValidCode reports whether s is a non-empty run of upper-case letters and
// digits, the alphabet of every code system here.
func ValidCode(s string) bool { return validCodeChars(s) }

func validCodeChars(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// ReadCSV reads r as CSV and calls fn with each record and its line number;
// a parse error or an error from fn comes back as a *LineError naming the
// file (name) and line. Records are reused: copy what you keep (strings
// are safe).
func ReadCSV(name string, r io.Reader, fn func(rec []string, line int) error) error {
	return csvRecords(name, r, -1, fn)
}

// csvRecords reads r as CSV and calls fn with each record and its line.
func csvRecords(name string, r io.Reader, fields int, fn func(rec []string, line int) error) error {
	cr := newCSV(r, fields)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvErr(name, err)
		}
		line, _ := cr.FieldPos(0)
		if err := fn(rec, line); err != nil {
			return &LineError{name, line, err}
		}
	}
}

// parseOpenDate reads YYYY-MM-DD, or an empty cell as the given open end.
func parseOpenDate(s string, open civil.Date, what string) (civil.Date, error) {
	if s == "" {
		return open, nil
	}
	d, err := civil.Parse(s)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a date YYYY-MM-DD", what, s)
	}
	return d, nil
}
