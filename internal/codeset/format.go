package codeset

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// format is one code-set file format: its name (the --format value), how a
// file of it is recognised (by its CMS name, or by its first line), and its
// reader. Adding a format is a new file with its reader and a row here.
type format struct {
	name   string
	byName func(base string) bool // recognises the CMS file name; nil: never by name
	byHead func(line string) bool // recognises a .csv file's first line; nil: never by content
	read   func(name, base string, r io.Reader) ([]*Release, error)
}

// formats is the table of readers, in the order Formats lists them.
var formats = []format{
	{FormatICD10Order, isICD10OrderName, nil, readICD10},
	{FormatHCPCSText, func(b string) bool { return reHCPCS.MatchString(b) && !isCSV(b) }, nil, readHCPCSText},
	{FormatHCPCSCSV, func(b string) bool { return reHCPCS.MatchString(b) && isCSV(b) }, nil, readHCPCSCSV},
	{FormatGeneric, nil, isGenericHeader, readGeneric},
	{FormatNCCIPTP, reNCCI.MatchString, nil, readNCCI},
	{FormatMUE, reMUE.MatchString, nil, readMUE},
	{FormatMCEDxFlags, reMCEDxFlags.MatchString, headerIs(mceFlagsHeader), readMCEDxFlags},
	{FormatMCEAges, reMCEAges.MatchString, headerIs(mceAgesHeader), readMCEAges},
	{FormatTabular, reTabular.MatchString, nil, readTabular},
}

func isCSV(base string) bool { return strings.EqualFold(filepath.Ext(base), ".csv") }

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
	f, ok := formatNamed(format)
	if !ok {
		return nil, fmt.Errorf("%s: unknown format %q (want one of %s)", name, format, strings.Join(Formats(), ", "))
	}
	rels, err := f.read(name, base, br)
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
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.name
	}
	return names
}

func formatNamed(name string) (format, bool) {
	for _, f := range formats {
		if f.name == name {
			return f, true
		}
	}
	return format{}, false
}

// Detect tells a file's format from its name and, for generic lists, its
// header line.
func Detect(base string, br *bufio.Reader) (string, error) {
	for _, f := range formats {
		if f.byName != nil && f.byName(base) {
			return f.name, nil
		}
	}
	if isCSV(base) {
		head, _ := br.Peek(512)
		line, _, _ := bytes.Cut(head, []byte("\n"))
		for _, f := range formats {
			if f.byHead != nil && f.byHead(string(line)) {
				return f.name, nil
			}
		}
	}
	return "", fmt.Errorf("%s: %w: the name matches no CMS file (icd10cm_order_YYYY.txt, icd10cm-order-April-YYYY.txt, HCPCYYYY_MON_ANWEB*.txt|csv, ccipra-vNNNr0-fN.txt, MCR_MUE_*_Eff_MM-DD-YYYY.csv, mce_*_dx_flags.csv, mce_*_age_ranges.csv, icd10cm_tabular_YYYY[_april].xml) and it is not a CSV with a header claimscreen reads (a generic list: system,code,effective_from,effective_to[,description]; MCE flags: code,effective_from,effective_to,flags; MCE ages: flag,min_age,max_age,effective_from,effective_to)", base, ErrUnrecognized)
}
