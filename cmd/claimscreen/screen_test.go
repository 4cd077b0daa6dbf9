package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimscreen/claimscreen/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb, func(string) (string, bool) { return "", false })
	return code, out.String(), errb.String()
}

func repo(t *testing.T, rel string) string { return filepath.Join(testenv.RepoRoot(t), rel) }

func TestScreenSamplesGolden(t *testing.T) {
	code, out, errOut := runCmd(t, "", "screen", "--codesets", repo(t, "internal/samples/codesets"),
		"--crosswalk", repo(t, "crosswalks/sample-2025-10.csv"), repo(t, "internal/samples/claims.ndjson"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	in, _ := os.ReadFile(repo(t, "internal/samples/claims.ndjson"))
	if got, want := strings.Count(out, "\n"), bytes.Count(in, []byte("\n")); got != want {
		t.Fatalf("%d decisions for %d lines", got, want)
	}
	if !strings.Contains(errOut, "screened 16 lines: 6 accepted, 7 rejected, 1 held, 2 dead-lettered") {
		t.Errorf("summary: %s", errOut)
	}
	// The exact resubmission of PCN-1001 gets its first decision again; the
	// changed one is flagged DUPLICATE.
	var ds []map[string]any
	s := bufio.NewScanner(strings.NewReader(out))
	for s.Scan() {
		var d map[string]any
		if err := json.Unmarshal(s.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	if first, again := mustJSON(ds[0]), mustJSON(ds[11]); first != again {
		t.Errorf("exact resubmission got another decision:\n%s\n%s", first, again)
	}
	if !strings.Contains(mustJSON(ds[12]), `"DUPLICATE"`) {
		t.Errorf("changed resubmission not flagged: %s", mustJSON(ds[12]))
	}
	golden := filepath.Join("testdata", "screen-samples.golden")
	if *update {
		os.WriteFile(golden, []byte(out), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil || string(want) != out {
		t.Errorf("output differs from %s (go test ./cmd/claimscreen -update to rewrite after a deliberate change)", golden)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestScreenStdinAndLimits(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(cfg, []byte(`{"rules":{"XWALK_MISSING":"off"},"limits":{"max_message_bytes":200}}`), 0o644)
	in := `{"claim_id":"A","originator_id":"O","form":"professional","received_at":"2025-11-20T00:00:00Z","diagnoses":[{"code":"I10"}],"lines":[{"procedure":{"code":"99213"},"service_date":"2025-11-01","charge":"1","diagnosis_pointers":[1]}]}` + "\n" +
		"\n" + strings.Repeat("x", 5000) + "\r\n" + `{"claim_id":"B","originator_id":"O"}`
	code, out, errOut := runCmd(t, in, "screen", "--codesets", repo(t, "internal/samples/codesets"), "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d decisions: %s", len(lines), out)
	}
	for i, want := range []string{`"outcome":"deadletter","reason":"TOO_LARGE"`, `"reason":"MALFORMED","detail":"empty line"`, `"reason":"TOO_LARGE"`, `"outcome":"rejected"`} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d: %s; want %s", i+1, lines[i], want)
		}
	}
}

func TestScreenErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"screen"}, 2, "--codesets DIR is required"},
		{[]string{"screen", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"screen", "--codesets", "/nonexistent"}, 1, "code-set folder"},
		{[]string{"screen", "--codesets", "testdata"}, 1, "not a recognised code-set file"},
		{[]string{"nope"}, 2, `unknown command "nope"`},
		{[]string{}, 2, "usage: claimscreen COMMAND"},
	} {
		code, _, errOut := runCmd(t, "", tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, %q; want %d and %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x.csv"), []byte("system,code,internal_code,effective_from,effective_to,note\nCPT,99213,X,2020-99-01,,\n"), 0o644)
	code, _, errOut := runCmd(t, "", "screen", "--codesets", repo(t, "internal/samples/codesets"), "--crosswalk", filepath.Join(dir, "x.csv"))
	if code != 1 || !strings.Contains(errOut, "x.csv:2: effective_from") {
		t.Errorf("bad chart: %d %s", code, errOut)
	}
	os.WriteFile(filepath.Join(dir, "c.json"), []byte(`{"rules":{"NOPE":"off","DX_UNKNOWN":"loud"},"extra":1}`), 0o644)
	code, _, errOut = runCmd(t, "", "screen", "--codesets", repo(t, "internal/samples/codesets"), "--config", filepath.Join(dir, "c.json"))
	if code != 1 || !strings.Contains(errOut, "extra") {
		t.Errorf("bad config: %d %s", code, errOut)
	}
	os.WriteFile(filepath.Join(dir, "c.json"), []byte(`{"rules":{"NOPE":"off","DX_UNKNOWN":"loud"}}`), 0o644)
	code, _, errOut = runCmd(t, "", "screen", "--codesets", repo(t, "internal/samples/codesets"), "--config", filepath.Join(dir, "c.json"))
	if code != 1 || !strings.Contains(errOut, "NOPE") || !strings.Contains(errOut, "loud") {
		t.Errorf("config problems not all reported: %d %s", code, errOut)
	}
}

// TestScreenRealData runs the command as README shows it: a folder with the
// shared/data ICD-10-CM and HCPCS files plus a generic list of CPT codes and
// places of service.
func TestScreenRealData(t *testing.T) {
	data := testenv.SharedData(t)
	dir := t.TempDir()
	for _, f := range []string{"icd10cm/icd10cm_order_2025.txt.gz", "icd10cm/icd10cm_order_2026.txt.gz", "hcpcs/HCPC2025_JAN_ANWEB_12172024.txt.gz",
		"mce/mce_v44_icd10cm_dx_flags.csv", "mce/mce_v44_age_ranges.csv", "icd10cm/icd10cm_tabular_2026_april.xml.gz"} {
		if err := os.Symlink(filepath.Join(data, f), filepath.Join(dir, filepath.Base(f))); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(repo(t, "internal/samples/codesets/cpt-modifiers-pos-sample.csv"))
	os.WriteFile(filepath.Join(dir, "cpt-pos.csv"), b, 0o644)
	claims := `{"claim_id":"R1","originator_id":"LAB-1","form":"professional","received_at":"2025-03-20T00:00:00Z","place_of_service":"11","diagnoses":[{"code":"E78.01"},{"code":"E11.9"}],"lines":[{"procedure":{"code":"G0439"},"service_date":"2025-03-10","charge":"175.00","diagnosis_pointers":[1,2]}]}
{"claim_id":"R2","originator_id":"LAB-1","form":"professional","received_at":"2025-11-20T00:00:00Z","place_of_service":"11","diagnoses":[{"code":"E78.01"},{"code":"S30.1XXA"},{"code":"E11.A"}],"lines":[{"procedure":{"code":"99213"},"service_date":"2025-11-10","charge":"95.00","diagnosis_pointers":[1,2,3]}]}
{"claim_id":"R3","originator_id":"LAB-1","form":"professional","received_at":"2026-05-20T00:00:00Z","place_of_service":"11","patient":{"member_id":"M3","birth_date":"1950-01-01","sex":"F"},"diagnoses":[{"code":"W19.XXXA"},{"code":"O80"}],"lines":[{"procedure":{"code":"99213"},"service_date":"2026-05-12","charge":"95.00","diagnosis_pointers":[1,2]}]}
`
	code, out, errOut := runCmd(t, claims, "screen", "--codesets", dir, "--crosswalk", repo(t, "crosswalks/sample-2025-10.csv"))
	if code != 0 {
		t.Fatalf("%d %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.Contains(lines[0], `"outcome":"accepted"`) || !strings.Contains(lines[0], `"ICD-10-CM":"FY2025"`) || !strings.Contains(lines[0], `"HCPCS":"2025-Q1"`) {
		t.Errorf("R1: %s", lines[0])
	}
	for _, want := range []string{`"outcome":"rejected"`, `"DX_NOT_BILLABLE"`, `"DX_NOT_EFFECTIVE"`, `"code":"E7801"`, `E78.01 is a category header`, `"code":"S301XXA"`, `"x12":"A7:254"`} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("R2 lacks %s: %s", want, lines[1])
		}
	}
	if strings.Contains(lines[1], `"code":"E11A"`) && strings.Contains(lines[1], `"E11A is`) {
		t.Errorf("E11.A is valid in FY2026: %s", lines[1])
	}
	// The editors' tables: a fall listed first and a maternity code on a
	// 76-year-old, named with the releases they come from.
	for _, want := range []string{`"outcome":"rejected"`, `"DX_EXTERNAL_CAUSE_FIRST"`, `"DX_AGE_CONFLICT"`, `"MCE":"v44"`, `"ICD-10-CM-TABULAR":"FY2026-APR"`} {
		if !strings.Contains(lines[2], want) {
			t.Errorf("R3 lacks %s: %s", want, lines[2])
		}
	}
}

// TestScreenX12: an 837 is told by its content and screened claim by claim
// through the same decide step; a transaction set the envelope checks
// reject is not screened, each of its claims dead-lettered with the reason.
func TestScreenX12(t *testing.T) {
	args := []string{"screen", "--codesets", repo(t, "internal/samples/codesets"), "--crosswalk", repo(t, "crosswalks/sample-2025-10.csv")}
	code, out, errOut := runCmd(t, "", append(args, repo(t, "internal/samples/x12/837p-sample.txt"))...)
	if code != 0 {
		t.Fatalf("%d %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"claim_id":"X12-2001","originator_id":"CLEARING-1","outcome":"accepted"`) ||
		!strings.Contains(lines[1], `"claim_id":"X12-2002","originator_id":"CLEARING-1","outcome":"rejected"`) ||
		!strings.Contains(lines[1], `"DX_EXTERNAL_CAUSE_FIRST"`) || !strings.Contains(lines[1], `"DX_AGE_CONFLICT"`) {
		t.Errorf("decisions:\n%s", out)
	}
	if !strings.Contains(errOut, "screened 2 lines: 1 accepted, 1 rejected") {
		t.Errorf("summary: %s", errOut)
	}
	// From standard input, with a byte-order mark and CRLF, and another
	// originator: the same decisions.
	b, _ := os.ReadFile(repo(t, "internal/samples/x12/837p-sample.txt"))
	in := "\xef\xbb\xbf" + strings.ReplaceAll(string(b), "\n", "\r\n")
	code, out2, errOut := runCmd(t, in, append(args, "--originator", "CLINIC-9")...)
	if code != 0 || strings.Count(out2, `"originator_id":"CLINIC-9"`) != 2 {
		t.Errorf("standard input: %d %s %s", code, out2, errOut)
	}
	if code, _, errOut := runCmd(t, in, append(args, "--originator", "no/slash")...); code != 2 || !strings.Contains(errOut, "--originator") {
		t.Errorf("bad --originator: %d %s", code, errOut)
	}
	// --acks writes the group's 999, accepting the set.
	dir := t.TempDir()
	if code, _, errOut := runCmd(t, "", append(args, "--acks", dir, repo(t, "internal/samples/x12/837p-sample.txt"))...); code != 0 {
		t.Fatalf("--acks: %s", errOut)
	}
	ack, err := os.ReadFile(filepath.Join(dir, "000000101-77.999"))
	if err != nil || !strings.Contains(string(ack), "IK5*A~") || !strings.Contains(string(ack), "AK9*A*1*1*1~") {
		t.Errorf("999: %v\n%s", err, ack)
	}
	// … and the set's 277CA: X12-2001 accepted, X12-2002 rejected with the
	// rule table's statuses of its two rejections (the second names the
	// patient, QC, whose age it concerns).
	ca, err := os.ReadFile(filepath.Join(dir, "000000101-77-0001.277ca"))
	if err != nil || !strings.Contains(string(ca), "TRN*2*X12-2001~\nSTC*A2:20*") || !strings.Contains(string(ca), "TRN*2*X12-2002~\nSTC*A7:254*") ||
		!strings.Contains(string(ca), "******A7:255:QC~") || !strings.Contains(string(ca), "QTY*AA*1~") {
		t.Errorf("277CA: %v\n%s", err, ca)
	}
	if ok, report := testenv.X12Valid(t, ca); !ok {
		t.Errorf("pyx12 finds the 277CA invalid:\n%s\n%s", ca, report)
	}
	// A line of its own in error (an unknown procedure code, with its
	// REF*6R): the claim is rejected, and the line has a 2220D loop with
	// SVC, its STC, REF*FJ echoing REF*6R, and its date.
	sample, _ := os.ReadFile(repo(t, "internal/samples/x12/837p-sample.txt"))
	lineErr := strings.Replace(string(sample), "SV1*HC:99213:25*95.00*UN*1***1~\nDTP*472*D8*20251112~\n",
		"SV1*HC:99499:25*95.00*UN*1***1~\nDTP*472*D8*20251112~\nREF*6R*LINE-2~\n", 1)
	lineErr = strings.Replace(lineErr, "SE*34*0001~", "SE*35*0001~", 1)
	lf := filepath.Join(t.TempDir(), "line.x12")
	os.WriteFile(lf, []byte(lineErr), 0o644)
	dir2 := t.TempDir()
	if code, out, errOut := runCmd(t, "", append(args, "--acks", dir2, lf)...); code != 0 || !strings.Contains(out, `"rule":"PX_UNKNOWN","severity":"reject","line":2`) {
		t.Fatalf("line error: %d %s %s", code, out, errOut)
	}
	ca2, _ := os.ReadFile(filepath.Join(dir2, "000000101-77-0001.277ca"))
	if !strings.Contains(string(ca2), "TRN*2*X12-2001~\nSTC*A7:454*") ||
		!strings.Contains(string(ca2), "SVC*HC:99499:25*95.00*****1~\nSTC*A7:454*") || !strings.Contains(string(ca2), "*U~\nREF*FJ*LINE-2~\nDTP*472*D8*20251112~") {
		t.Errorf("277CA line loop:\n%s", ca2)
	}
	if ok, report := testenv.X12Valid(t, ca2); !ok {
		t.Errorf("pyx12 finds the 277CA with a line loop invalid:\n%s\n%s", ca2, report)
	}
	// The trading-partner table: a known sender's claims carry its
	// originator id; an unknown sender's are dead-lettered, unscreened.
	reg := filepath.Join(t.TempDir(), "partners.csv")
	os.WriteFile(reg, []byte("originator_id,notice_topic,active,x12_sender,x12_group_sender\nCLINIC-77,,true,ZZ:CLEARING-1,CLEARING-1\n"), 0o644)
	_, out3, _ := runCmd(t, "", append(args, "--registry", reg, repo(t, "internal/samples/x12/837p-sample.txt"))...)
	if strings.Count(out3, `"originator_id":"CLINIC-77"`) != 2 {
		t.Errorf("known sender: %s", out3)
	}
	os.WriteFile(reg, []byte("originator_id,notice_topic,active,x12_sender,x12_group_sender\nCLINIC-77,,true,ZZ:SOMEONE-ELSE,\n"), 0o644)
	_, out4, _ := runCmd(t, "", append(args, "--registry", reg, repo(t, "internal/samples/x12/837p-sample.txt"))...)
	if strings.Count(out4, `"outcome":"deadletter","reason":"UNKNOWN_SENDER"`) != 2 {
		t.Errorf("unknown sender: %s", out4)
	}
	// A transaction set with SE01 wrong (every imsweb sample): rejected.
	if _, err := os.Stat(filepath.Join(testenv.SharedData(t), "x12")); err == nil {
		_, out, _ := runCmd(t, "", append(args, filepath.Join(testenv.SharedData(t), "x12/imsweb_x12-parser/x223-test.txt"))...)
		if !strings.Contains(out, `"outcome":"deadletter","reason":"X12_REJECTED"`) || !strings.Contains(out, "IK5 4: SE01") {
			t.Errorf("rejected set: %s", out)
		}
	}
}
