package codeset

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// Files that come beside code sets in CMS releases and are not code sets
// themselves: they are skipped with a note, not refused.
var reCompanion = regexp.MustCompile(`(?i)(addenda|record_?layout|transaction_report|transaction_action|conversion[_-]table|^icd10cm[_-]codes[_-]|\.pdf$|\.xlsx?$|\.docx?$|\.rtf$|^readme|\.md$)`)

// IsCompanion reports whether name is a known CMS companion file (addenda,
// record layouts, PDFs …) that a code-set folder may hold and that is not
// itself a code set.
func IsCompanion(name string) bool { return reCompanion.MatchString(name) }

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
