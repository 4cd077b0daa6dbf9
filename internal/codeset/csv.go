package codeset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

func newCSV(r io.Reader, fields int) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = fields
	cr.ReuseRecord = true
	return cr
}

func csvErr(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &LineError{name, pe.Line, pe.Err}
	}
	return fmt.Errorf("%s: %w", name, err)
}
