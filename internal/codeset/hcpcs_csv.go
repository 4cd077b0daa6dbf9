package codeset

import (
	"fmt"
	"io"
	"strings"
)

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
		if rel == proc {
			addHCPCSInfo(proc, c.Code, get("COV"), get("STATUTE"), get("XREF1"))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return finishHCPCS(name, proc, mod)
}
