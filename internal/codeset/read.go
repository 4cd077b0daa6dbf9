package codeset

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/claimscreen/claimscreen/internal/civil"
)

var (
	reICD10      = regexp.MustCompile(`(?i)^icd10cm[_-]order[_-](\d{4})(\.txt)?$`)
	reICD10April = regexp.MustCompile(`(?i)^icd10cm[_-]order[_-]april[_-](\d{4})(\.txt)?$`)
	reHCPCS      = regexp.MustCompile(`(?i)^HCPC(\d{4})[_-](JAN|APR|JUL|OCT)[_-]ANWEB.*\.(txt|csv)$`)
	reNCCI       = regexp.MustCompile(`(?i)^cci(pra|oph)-v(\d+)r(\d+)-(f\d)(\.txt)?$`)
	reMUE        = regexp.MustCompile(`(?i)^MCR_MUE_(PractitionerServices|OutpatientHospitalServices|DMESupplierServices)_Eff_(\d{2})-(\d{2})-(\d{4})(\.csv)?$`)
	// Files that come beside code sets in CMS releases and are not code
	// sets themselves: they are skipped with a note, not refused.
	reCompanion = regexp.MustCompile(`(?i)(addenda|record_?layout|transaction_report|transaction_action|conversion[_-]table|^icd10cm[_-]codes[_-]|\.pdf$|\.xlsx?$|\.docx?$|\.rtf$|^readme|\.md$)`)
)

var quarterOf = map[string]int{"JAN": 1, "APR": 2, "JUL": 3, "OCT": 4}

// IsCompanion reports whether name is a known CMS companion file (addenda,
// record layouts, PDFs …) that a code-set folder may hold and that is not
// itself a code set.
func IsCompanion(name string) bool { return reCompanion.MatchString(name) }

// Read reads one code-set file's content from r. name is the file's name
// (after any .gz is taken off), used to recognise it and to report errors;
// format, when not empty, says which reader to use and overrides
// recognition by name. It returns one release per code system in the file.
func Read(name string, r io.Reader, format string) ([]*Release, error) {
	h := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(r, h), 64<<10)
	base := name
	if i := strings.LastIndexByte(base, '!'); i >= 0 {
		base = base[i+1:]
	}
	base = filepath.Base(base)
	if format == "" {
		var err error
		if format, err = Detect(base, br); err != nil {
			return nil, err
		}
	}
	var rels []*Release
	var err error
	switch format {
	case FormatICD10Order:
		rels, err = readICD10(name, base, br)
	case FormatHCPCSText:
		rels, err = readHCPCSText(name, base, br)
	case FormatHCPCSCSV:
		rels, err = readHCPCSCSV(name, base, br)
	case FormatGeneric:
		rels, err = readGeneric(name, base, br)
	case FormatNCCIPTP:
		rels, err = readNCCI(name, base, br)
	case FormatMUE:
		rels, err = readMUE(name, base, br)
	default:
		return nil, fmt.Errorf("%s: unknown format %q (want one of %s)", name, format, strings.Join(Formats(), ", "))
	}
	if err != nil {
		return nil, err
	}
	// Hash the whole content even if a reader stopped early.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return nil, fmt.Errorf("%s: read: %w", name, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	for _, rel := range rels {
		rel.Source, rel.Format, rel.SHA256 = name, format, sum
	}
	return rels, nil
}

// Formats lists the format names Read accepts.
func Formats() []string {
	return []string{FormatICD10Order, FormatHCPCSText, FormatHCPCSCSV, FormatGeneric, FormatNCCIPTP, FormatMUE}
}

// Detect tells a file's format from its name and, for generic lists, its
// header line.
func Detect(base string, br *bufio.Reader) (string, error) {
	switch {
	case reICD10.MatchString(base), reICD10April.MatchString(base):
		return FormatICD10Order, nil
	case reHCPCS.MatchString(base):
		if strings.EqualFold(filepath.Ext(base), ".csv") {
			return FormatHCPCSCSV, nil
		}
		return FormatHCPCSText, nil
	case reNCCI.MatchString(base):
		return FormatNCCIPTP, nil
	case reMUE.MatchString(base):
		return FormatMUE, nil
	}
	if strings.EqualFold(filepath.Ext(base), ".csv") {
		head, _ := br.Peek(512)
		line, _, _ := bytes.Cut(head, []byte("\n"))
		if isGenericHeader(string(line)) {
			return FormatGeneric, nil
		}
	}
	return "", fmt.Errorf("%s: %w: the name matches no CMS file (icd10cm_order_YYYY.txt, icd10cm-order-April-YYYY.txt, HCPCYYYY_MON_ANWEB*.txt|csv, ccipra-vNNNr0-fN.txt, MCR_MUE_*_Eff_MM-DD-YYYY.csv) and it is not a generic list CSV (header system,code,effective_from,effective_to[,description])", base, ErrUnrecognized)
}

// Open reads the code-set file at path: plain, .gz, or .zip (every member
// it recognises; companion members are skipped and named in notes).
func Open(path, format string) (rels []*Release, notes []string, err error) {
	return OpenFS(os.DirFS(filepath.Dir(path)), filepath.Base(path), format)
}

// OpenFS is Open on a file system.
func OpenFS(fsys fs.FS, name, format string) ([]*Release, []string, error) {
	base := filepath.Base(name)
	f, err := fsys.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	switch {
	case strings.EqualFold(filepath.Ext(base), ".zip"):
		return openZip(base, f, format)
	case strings.EqualFold(filepath.Ext(base), ".gz"):
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: not a gzip file: %w", base, err)
		}
		// Decompress first, so a damaged file is reported as such rather
		// than as a bad last line.
		b, err := io.ReadAll(zr)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: damaged gzip file: %w", base, err)
		}
		rels, err := Read(strings.TrimSuffix(base, filepath.Ext(base)), bytes.NewReader(b), format)
		return rels, nil, err
	default:
		rels, err := Read(base, f, format)
		return rels, nil, err
	}
}

func openZip(name string, f fs.File, format string) ([]*Release, []string, error) {
	ra, ok := f.(io.ReaderAt)
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := st.Size()
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			return nil, nil, err
		}
		ra, size = bytes.NewReader(b), int64(len(b))
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not a zip file: %w", name, err)
	}
	var rels []*Release
	var notes []string
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		member := filepath.Base(f.Name)
		full := name + "!" + f.Name
		if IsCompanion(member) || strings.HasPrefix(member, ".") {
			notes = append(notes, full+": skipped, a companion file and not a code set")
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", full, err)
		}
		r, err := Read(full, rc, format)
		rc.Close()
		if errors.Is(err, ErrUnrecognized) {
			notes = append(notes, full+": skipped, not a recognised code-set file")
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		rels = append(rels, r...)
	}
	if len(rels) == 0 {
		return nil, notes, fmt.Errorf("%s: %w: no member of the zip is a code-set file", name, ErrUnrecognized)
	}
	return rels, notes, nil
}

// LoadDir reads every code-set file in dir (not its subfolders). Hidden
// files and CMS companion files are skipped and named in notes; any other
// file that is not recognised is an error.
func LoadDir(dir string) ([]*Release, []string, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, nil, fmt.Errorf("code-set folder: %w", err)
	} else if !st.IsDir() {
		return nil, nil, fmt.Errorf("code-set folder: %s is not a folder", dir)
	}
	return LoadFS(os.DirFS(dir), ".")
}

// LoadFS is LoadDir on a file system.
func LoadFS(fsys fs.FS, dir string) ([]*Release, []string, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, nil, fmt.Errorf("code-set folder: %w", err)
	}
	var rels []*Release
	var notes []string
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		p := path.Join(dir, name)
		if st, err := fs.Stat(fsys, p); err != nil || st.IsDir() {
			continue
		}
		if IsCompanion(strings.TrimSuffix(name, ".gz")) {
			notes = append(notes, name+": skipped, a companion file and not a code set")
			continue
		}
		r, n, err := OpenFS(fsys, p, "")
		notes = append(notes, n...)
		if err != nil {
			return nil, notes, err
		}
		rels = append(rels, r...)
	}
	if len(rels) == 0 {
		return nil, notes, fmt.Errorf("code-set folder %s holds no code-set file", dir)
	}
	return rels, notes, nil
}

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

func fyOf(name string) (int, bool, error) {
	if m := reICD10April.FindStringSubmatch(name); m != nil {
		y, _ := strconv.Atoi(m[1])
		return y, true, nil
	}
	if m := reICD10.FindStringSubmatch(name); m != nil {
		y, _ := strconv.Atoi(m[1])
		return y, false, nil
	}
	return 0, false, fmt.Errorf("%s: an ICD-10-CM order file is named icd10cm_order_YYYY.txt or icd10cm-order-April-YYYY.txt, so its fiscal year can be told", name)
}

// readICD10 reads a "Code Descriptions in Tabular Order" file: order number
// 1-5, code 7-13 without the dot, flag 15 (1 billable, 0 header), short
// description 17-76, long description from 78.
func readICD10(name, base string, r io.Reader) ([]*Release, error) {
	fy, april, err := fyOf(base)
	if err != nil {
		return nil, err
	}
	rel := &Release{System: ICD10CM, Version: fmt.Sprintf("FY%d", fy),
		Coverage: civil.Range{From: civil.FromYMD(fy-1, 10, 1), To: civil.FromYMD(fy, 9, 30)}}
	if april {
		rel.Version += "-APR"
		rel.Coverage.From = civil.FromYMD(fy, 4, 1)
	}
	rel.Codes = make([]Code, 0, 100000)
	ls := newLines(name, r)
	seen := make(map[string]struct{}, 100000)
	for ls.next() {
		s := ls.text
		if strings.TrimSpace(s) == "" {
			continue
		}
		if len(s) < 16 || s[5] != ' ' || s[13] != ' ' || s[15] != ' ' {
			return nil, ls.fail("not an ICD-10-CM order record (order 1-5, code 7-13, flag 15, description from 17)")
		}
		if _, err := strconv.Atoi(s[:5]); err != nil {
			return nil, ls.fail("order number %q is not a number", s[:5])
		}
		code := strings.TrimSpace(s[6:13])
		if !validCodeChars(code) || len(code) < 3 {
			return nil, ls.fail("code %q is not an ICD-10-CM code", code)
		}
		var billable bool
		switch s[14] {
		case '1':
			billable = true
		case '0':
		default:
			return nil, ls.fail("flag %q at column 15 must be 0 (header) or 1 (billable)", s[14:15])
		}
		if _, dup := seen[code]; dup {
			return nil, ls.fail("code %s is listed twice", code)
		}
		seen[code] = struct{}{}
		rel.Codes = append(rel.Codes, Code{Code: code, Valid: rel.Coverage, Billable: billable})
	}
	if err := ls.err(); err != nil {
		return nil, err
	}
	if len(rel.Codes) == 0 {
		return nil, fmt.Errorf("%s: no ICD-10-CM records", name)
	}
	rel.Rows = len(rel.Codes)
	return []*Release{rel}, nil
}

func hcpcsRelease(base string) (proc, mod *Release, err error) {
	m := reHCPCS.FindStringSubmatch(base)
	if m == nil {
		return nil, nil, fmt.Errorf("%s: a HCPCS file is named HCPCYYYY_MON_ANWEB…, so its quarter can be told", base)
	}
	y, _ := strconv.Atoi(m[1])
	q := quarterOf[strings.ToUpper(m[2])]
	end := civil.FromYMD(y, q*3+1, 1) - 1
	if q == 4 {
		end = civil.FromYMD(y, 12, 31)
	}
	cov := civil.Range{From: civil.Min, To: end}
	v := fmt.Sprintf("%d-Q%d", y, q)
	return &Release{System: HCPCS, Version: v, Coverage: cov}, &Release{System: HCPCSModifier, Version: v, Coverage: cov}, nil
}

// hcpcsRow turns one HCPCS record's fields into a code row.
func hcpcsRow(code, add, term string) (Code, error) {
	c := Code{Code: code, Valid: civil.Range{From: civil.Min, To: civil.Max}, Billable: true}
	if !validCodeChars(code) {
		return c, fmt.Errorf("code %q is not a HCPCS code or modifier", code)
	}
	if add != "" {
		d, err := civil.ParseCompact(add)
		if err != nil {
			return c, fmt.Errorf("add date %q is not a date YYYYMMDD", add)
		}
		c.Valid.From = d
	}
	if term != "" {
		d, err := civil.ParseCompact(term)
		if err != nil {
			return c, fmt.Errorf("termination date %q is not a date YYYYMMDD", term)
		}
		c.Valid.To = d
	}
	if c.Valid.To < c.Valid.From {
		return c, fmt.Errorf("termination date %s is before the add date %s", c.Valid.To, c.Valid.From)
	}
	return c, nil
}

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
	}
	if err := ls.err(); err != nil {
		return nil, err
	}
	return finishHCPCS(name, proc, mod)
}

func finishHCPCS(name string, proc, mod *Release) ([]*Release, error) {
	if len(proc.Codes)+len(mod.Codes) == 0 {
		return nil, fmt.Errorf("%s: no HCPCS records", name)
	}
	proc.Rows, mod.Rows = len(proc.Codes), len(mod.Codes)
	var out []*Release
	for _, r := range []*Release{proc, mod} {
		if r.Rows > 0 {
			out = append(out, r)
		}
	}
	return out, nil
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

// readHCPCSCSV reads the ANWEB workbook saved as CSV, by its column names.
func readHCPCSCSV(name, base string, r io.Reader) ([]*Release, error) {
	proc, mod, err := hcpcsRelease(base)
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	need := []string{"HCPC", "RECID", "ADD DT", "TERM DT"}
	err = csvRecords(name, r, -1, func(rec []string, line int) error {
		if len(col) == 0 {
			for i, h := range rec {
				col[strings.ToUpper(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
			}
			for _, n := range need {
				if _, ok := col[n]; !ok {
					return fmt.Errorf("header has no %s column; a HCPCS CSV has the columns of the CMS workbook", n)
				}
			}
			return nil
		}
		get := func(n string) string {
			if i := col[n]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		var rel *Release
		switch get("RECID") {
		case "3":
			rel = proc
		case "7":
			rel = mod
		case "4", "8":
			return nil
		default:
			return fmt.Errorf("RECID %q must be 3, 4, 7 or 8", get("RECID"))
		}
		c, err := hcpcsRow(get("HCPC"), get("ADD DT"), get("TERM DT"))
		if err != nil {
			return err
		}
		rel.Codes = append(rel.Codes, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return finishHCPCS(name, proc, mod)
}

var genericHeader = []string{"system", "code", "effective_from", "effective_to"}

func isGenericHeader(line string) bool {
	line = strings.TrimPrefix(strings.TrimSpace(line), "\ufeff")
	cols := strings.Split(line, ",")
	if len(cols) != 4 && len(cols) != 5 {
		return false
	}
	for i, want := range genericHeader {
		if strings.ToLower(strings.TrimSpace(cols[i])) != want {
			return false
		}
	}
	return len(cols) == 4 || strings.ToLower(strings.TrimSpace(cols[4])) == "description"
}

var reSystem = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{0,31}$`)

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

// readGeneric reads the generic list CSV: system,code,effective_from,
// effective_to[,description]. Each system in the file is a release whose
// version is the file's name; a generic list covers every date, and each
// row's dates decide.
func readGeneric(name, base string, r io.Reader) ([]*Release, error) {
	version := strings.TrimSuffix(base, filepath.Ext(base))
	bySys := map[string]*Release{}
	type key struct{ sys, code string }
	rows := map[key][]int{} // indexes into the release's Codes, for overlap checks
	header := true
	err := csvRecords(name, r, -1, func(rec []string, line int) error {
		if header {
			header = false
			if !isGenericHeader(strings.Join(rec, ",")) {
				return fmt.Errorf("header must be system,code,effective_from,effective_to[,description]")
			}
			return nil
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			return nil
		}
		if len(rec) != 4 && len(rec) != 5 {
			return fmt.Errorf("%d fields; a generic list row has 4 or 5", len(rec))
		}
		sys := strings.ToUpper(strings.TrimSpace(rec[0]))
		if !reSystem.MatchString(sys) {
			return fmt.Errorf("system %q must be a name such as CPT, CPT-MODIFIER, POS, HCPCS", rec[0])
		}
		code := strings.ToUpper(strings.NewReplacer(".", "", " ", "").Replace(rec[1]))
		if !validCodeChars(code) {
			return fmt.Errorf("code %q may hold only letters and digits (dots are dropped)", rec[1])
		}
		from, err := parseOpenDate(strings.TrimSpace(rec[2]), civil.Min, "effective_from")
		if err != nil {
			return err
		}
		to, err := parseOpenDate(strings.TrimSpace(rec[3]), civil.Max, "effective_to")
		if err != nil {
			return err
		}
		if to < from {
			return fmt.Errorf("effective_to %s is before effective_from %s", to, from)
		}
		rel := bySys[sys]
		if rel == nil {
			rel = &Release{System: sys, Version: version, Coverage: civil.Range{From: civil.Min, To: civil.Max}}
			bySys[sys] = rel
		}
		k := key{sys, code}
		valid := civil.Range{From: from, To: to}
		for _, i := range rows[k] {
			if rel.Codes[i].Valid.Overlaps(valid) {
				return fmt.Errorf("%s %s: dates %s overlap another row's %s", sys, code, valid, rel.Codes[i].Valid)
			}
		}
		rows[k] = append(rows[k], len(rel.Codes))
		rel.Codes = append(rel.Codes, Code{Code: code, Valid: valid, Billable: true})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(bySys) == 0 {
		return nil, fmt.Errorf("%s: the generic list has no rows", name)
	}
	var out []*Release
	for _, rel := range bySys {
		rel.Rows = len(rel.Codes)
		out = append(out, rel)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].System < out[j].System })
	return out, nil
}

// readNCCI reads an NCCI PTP file: tab-delimited column 1, column 2,
// "in existence prior to 1996" (*), effective date, deletion date (or *),
// modifier indicator (0, 1, 9), rationale, after a few header lines. Rows
// that repeat are collapsed.
func readNCCI(name, base string, r io.Reader) ([]*Release, error) {
	m := reNCCI.FindStringSubmatch(base)
	if m == nil {
		return nil, fmt.Errorf("%s: an NCCI PTP file is named ccipra-vNNNrN-fN.txt (practitioner) or ccioph-… (hospital)", name)
	}
	sys := NCCIPTP
	if strings.EqualFold(m[1], "oph") {
		sys = NCCIPTPHospital
	}
	rel := &Release{System: sys, Version: "v" + m[2] + "r" + m[3], Part: strings.ToLower(m[4]),
		Coverage: civil.Range{From: civil.Min, To: civil.Max}}
	type key struct {
		a, b  string
		valid civil.Range
	}
	seen := map[key]byte{}
	ls := newLines(name, r)
	started := false
	for ls.next() {
		s := ls.text
		if strings.TrimSpace(s) == "" {
			continue
		}
		f := strings.Split(s, "\t")
		e, err := ncciRow(f)
		if err != nil {
			if !started && ls.n <= 20 {
				continue // header lines before the first edit
			}
			return nil, ls.fail("%v", err)
		}
		started = true
		k := key{e.Column1, e.Column2, e.Valid}
		if prev, dup := seen[k]; dup {
			if prev != e.Modifier {
				return nil, ls.fail("edit %s/%s from %s is listed again with modifier indicator %c instead of %c", e.Column1, e.Column2, e.Valid.From, e.Modifier, prev)
			}
			continue
		}
		seen[k] = e.Modifier
		rel.Edits = append(rel.Edits, e)
	}
	if err := ls.err(); err != nil {
		return nil, err
	}
	if !started {
		return nil, fmt.Errorf("%s: no PTP edit found in the first 20 lines", name)
	}
	rel.Rows = len(rel.Edits)
	return []*Release{rel}, nil
}

func ncciRow(f []string) (PTPEdit, error) {
	var e PTPEdit
	if len(f) < 6 {
		return e, fmt.Errorf("%d tab-separated fields; a PTP edit has at least 6", len(f))
	}
	e.Column1, e.Column2 = strings.TrimSpace(f[0]), strings.TrimSpace(f[1])
	if !validCodeChars(e.Column1) || !validCodeChars(e.Column2) {
		return e, fmt.Errorf("column 1 %q and column 2 %q must be procedure codes", e.Column1, e.Column2)
	}
	if p := strings.TrimSpace(f[2]); p != "" && p != "*" {
		return e, fmt.Errorf("'prior to 1996' is %q; it must be * or empty", p)
	}
	eff, err := civil.ParseCompact(strings.TrimSpace(f[3]))
	if err != nil {
		return e, fmt.Errorf("effective date %q is not a date YYYYMMDD", f[3])
	}
	e.Valid = civil.Range{From: eff, To: civil.Max}
	if del := strings.TrimSpace(f[4]); del != "*" && del != "" {
		d, err := civil.ParseCompact(del)
		if err != nil {
			return e, fmt.Errorf("deletion date %q is not a date YYYYMMDD or *", del)
		}
		// The deletion date is the first day the edit no longer applies.
		e.Valid.To = d - 1
	}
	switch mi := strings.TrimSpace(f[5]); mi {
	case "0", "1", "9":
		e.Modifier = mi[0]
	default:
		return e, fmt.Errorf("modifier indicator %q must be 0, 1 or 9", mi)
	}
	if len(f) > 6 {
		e.Rationale = strings.TrimSpace(f[6])
	}
	return e, nil
}

// readMUE reads an MUE CSV: a preamble, a header whose first cell may hold a
// line break (HCPCS/CPT Code), then code, MUE value, adjudication indicator
// ("1 Line Edit", "2 Date of Service Edit: Policy", "3 Date of Service
// Edit: Clinical") and rationale. The quarter is in the file name.
func readMUE(name, base string, r io.Reader) ([]*Release, error) {
	m := reMUE.FindStringSubmatch(base)
	if m == nil {
		return nil, fmt.Errorf("%s: an MUE file is named MCR_MUE_<Kind>_Eff_MM-DD-YYYY.csv", name)
	}
	mo, _ := strconv.Atoi(m[2])
	day, _ := strconv.Atoi(m[3])
	y, _ := strconv.Atoi(m[4])
	from, err := civil.Parse(fmt.Sprintf("%04d-%02d-%02d", y, mo, day))
	if err != nil {
		return nil, fmt.Errorf("%s: the date in the name is not a date", name)
	}
	qEndMonth := ((mo-1)/3 + 1) * 3
	to := civil.FromYMD(y, qEndMonth, 1)
	if qEndMonth == 12 {
		to = civil.FromYMD(y, 12, 31)
	} else {
		to = civil.FromYMD(y, qEndMonth+1, 1) - 1
	}
	sys := map[string]string{"practitionerservices": MUE, "outpatienthospitalservices": MUEHospital, "dmesupplierservices": MUEDME}[strings.ToLower(m[1])]
	rel := &Release{System: sys, Version: from.String(), Coverage: civil.Range{From: from, To: to}}
	started := false
	seen := map[string]bool{}
	err = csvRecords(name, r, -1, func(rec []string, line int) error {
		if !started {
			first := strings.ToUpper(strings.Join(strings.Fields(rec[0]), " "))
			if strings.Contains(first, "HCPCS") && strings.Contains(first, "CODE") {
				started = true
				if len(rec) < 3 {
					return fmt.Errorf("MUE header has %d columns; want code, MUE value, adjudication indicator, rationale", len(rec))
				}
			}
			return nil
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			return nil
		}
		if len(rec) < 3 {
			return fmt.Errorf("%d fields; an MUE row has code, MUE value, adjudication indicator and rationale", len(rec))
		}
		code := strings.TrimSpace(rec[0])
		if !validCodeChars(code) {
			return fmt.Errorf("code %q is not a procedure code", code)
		}
		v, err := strconv.Atoi(strings.TrimSpace(rec[1]))
		if err != nil || v < 0 {
			return fmt.Errorf("MUE value %q is not a whole number", rec[1])
		}
		mai := strings.TrimSpace(rec[2])
		if mai == "" || mai[0] < '1' || mai[0] > '3' {
			return fmt.Errorf("adjudication indicator %q must start with 1, 2 or 3", mai)
		}
		if seen[code] {
			return fmt.Errorf("code %s is listed twice", code)
		}
		seen[code] = true
		row := MUERow{Code: code, Value: v, MAI: int(mai[0] - '0')}
		if len(rec) > 3 {
			row.Rationale = strings.TrimSpace(rec[3])
		}
		rel.MUEs = append(rel.MUEs, row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !started {
		return nil, fmt.Errorf("%s: no header row (first cell HCPCS/CPT Code) found", name)
	}
	rel.Rows = len(rel.MUEs)
	return []*Release{rel}, nil
}
