package codeset

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/claimscreen/claimscreen/internal/civil"
)

func read(t *testing.T, name, content string) []*Release {
	t.Helper()
	rels, err := Read(name, strings.NewReader(content), "")
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rels
}

func wantLineError(t *testing.T, name, content string, line int, msg string) {
	t.Helper()
	_, err := Read(name, strings.NewReader(content), "")
	var le *LineError
	if !errors.As(err, &le) || le.Line != line || le.File != name || !strings.Contains(err.Error(), msg) {
		t.Fatalf("got %v; want %s:%d: …%s…", err, name, line, msg)
	}
}

const icdSample = "00001 E11     0 Type 2 diabetes                                              Type 2 diabetes\r\n" +
	"00002 E119    1 Type 2 diabetes without complications                        Type 2 diabetes without complications\r\n"

func TestICD10OctoberAndApril(t *testing.T) {
	oct := read(t, "icd10cm_order_2025.txt", icdSample)[0]
	apr := read(t, "icd10cm-order-April-2025.txt", strings.ReplaceAll(icdSample, "\r\n", "\n"))[0]
	if oct.Version != "FY2025" || apr.Version != "FY2025-APR" || apr.Coverage.From != civil.FromYMD(2025, 4, 1) || apr.Coverage.To != civil.FromYMD(2025, 9, 30) {
		t.Fatalf("%v / %v", oct, apr)
	}
	// From April 1 the April update is in force.
	apr.Codes = apr.Codes[:1] // E119 left out of the update
	s, err := NewSnapshot([]*Release{oct, apr})
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Lookup(ICD10CM, "E119", civil.FromYMD(2025, 3, 31)); r.Status != Valid || r.Release.Version != oct.Version {
		t.Errorf("March: %v", r)
	}
	if r := s.Lookup(ICD10CM, "E119", civil.FromYMD(2025, 4, 1)); r.Status != NotEffective || r.Release.Version != apr.Version {
		t.Errorf("April: %v", r)
	}
}

func TestICD10BadLines(t *testing.T) {
	wantLineError(t, "icd10cm_order_2025.txt", icdSample+"00003 E11     2 Bad flag\r\n", 3, "flag")
	wantLineError(t, "icd10cm_order_2025.txt", icdSample+"short\r\n", 3, "not an ICD-10-CM order record")
	wantLineError(t, "icd10cm_order_2025.txt", icdSample+"0000x E12     1 x\r\n", 3, "order number")
	wantLineError(t, "icd10cm_order_2025.txt", icdSample+"00003 E1-9    1 x\r\n", 3, "not an ICD-10-CM code")
	wantLineError(t, "icd10cm_order_2025.txt", icdSample+icdSample, 3, "listed twice")
	if _, err := Read("icd10cm_order_2025.txt", strings.NewReader(""), ""); err == nil {
		t.Error("an empty file was accepted")
	}
}

func hcpcsRecord(code, recid, add, term string) string {
	r := []byte(strings.Repeat(" ", 320))
	copy(r[0:], code)
	copy(r[5:], "00100")
	copy(r[10:], recid)
	copy(r[11:], "Description")
	copy(r[268:], add)
	copy(r[276:], add)
	copy(r[284:], term)
	return string(r) + "\r\n"
}

func TestHCPCSText(t *testing.T) {
	content := hcpcsRecord("A1234", "3", "20200101", "") + hcpcsRecord("A1234", "4", "", "") +
		hcpcsRecord("   JG", "7", "20180101", "20241231") + hcpcsRecord("   JG", "8", "", "")
	rels := read(t, "HCPC2024_OCT_ANWEB_v2.txt", content)
	if len(rels) != 2 || rels[0].Rows != 1 || rels[1].Rows != 1 || rels[1].Codes[0].Code != "JG" || rels[0].Version != "2024-Q4" {
		t.Fatalf("%v", rels)
	}
	if rels[1].Codes[0].Valid.To != civil.FromYMD(2024, 12, 31) || rels[0].Coverage.To != civil.FromYMD(2024, 12, 31) {
		t.Errorf("dates %v %v", rels[1].Codes[0].Valid, rels[0].Coverage)
	}
	wantLineError(t, "HCPC2024_OCT_ANWEB.txt", content+hcpcsRecord("B1234", "5", "", ""), 5, "record id")
	wantLineError(t, "HCPC2024_OCT_ANWEB.txt", content+hcpcsRecord("B1234", "3", "2020013x", ""), 5, "add date")
	wantLineError(t, "HCPC2024_OCT_ANWEB.txt", content+hcpcsRecord("B1234", "3", "20200101", "20190101"), 5, "before the add date")
	wantLineError(t, "HCPC2024_OCT_ANWEB.txt", content+"B1234001003short\r\n", 5, "320")
}

func TestHCPCSCSVBadLine(t *testing.T) {
	head := "HCPC,SEQNUM,RECID,LONG DESCRIPTION,ADD DT,TERM DT\n"
	rels := read(t, "HCPC2025_JAN_ANWEB.csv", head+"A1234,0010,3,x,20200101,\n   A1,0010,7,y,20020701,\n")
	if rels[0].Rows != 1 || rels[1].Codes[0].Code != "A1" {
		t.Fatalf("%v", rels)
	}
	wantLineError(t, "HCPC2025_JAN_ANWEB.csv", head+"A1234,0010,3,x,2020-01-01,\n", 2, "add date")
	wantLineError(t, "HCPC2025_JAN_ANWEB.csv", "HCPC,RECID\nA1234,3\n", 1, "ADD DT")
}

func TestGenericList(t *testing.T) {
	content := "\ufeffsystem,code,effective_from,effective_to,description\n" +
		"CPT,99213,2000-01-01,,\nCPT-MODIFIER,25,2000-01-01,,\nPOS,02,2003-01-01,2016-12-31,Telehealth\nPOS,02,2017-01-01,,\n" +
		"ICD-10-CM,e11.9,2015-10-01,,\n"
	rels := read(t, "lists-2025.csv", content)
	if len(rels) != 4 {
		t.Fatalf("%v", rels)
	}
	s, err := NewSnapshot(rels)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Lookup(POS, "02", civil.FromYMD(2018, 1, 1)); r.Status != Valid || r.Release.Version != "lists-2025" {
		t.Error(r)
	}
	if r := s.Lookup(ICD10CM, "E119", civil.FromYMD(2015, 9, 30)); r.Status != NotEffective {
		t.Error(r)
	}
	if r := s.Lookup(CPT, "99999", civil.FromYMD(2015, 9, 30)); r.Status != Unknown {
		t.Error(r)
	}
	h := "system,code,effective_from,effective_to\n"
	wantLineError(t, "l.csv", h+"CPT,99213,2000-01-01,\nCPT,99213,2010-01-01,\n", 3, "overlap")
	wantLineError(t, "l.csv", h+"cpt x,99213,2000-01-01,\n", 2, "system")
	wantLineError(t, "l.csv", h+"CPT,99213,01/01/2000,\n", 2, "effective_from")
	wantLineError(t, "l.csv", h+"CPT,99213,2000-01-01,1999-01-01\n", 2, "before")
	wantLineError(t, "l.csv", h+"CPT,99213\n", 2, "fields")
	wantLineError(t, "l.csv", h+"CPT,\"99213,2000-01-01,\n", 2, "")
}

func TestNCCISample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "samples", "codesets", "ccipra-v313r0-f1.txt"))
	if err != nil {
		t.Fatal(err)
	}
	rels := read(t, "ccipra-v313r0-f1.txt", string(b))
	r := rels[0]
	if r.System != NCCIPTP || r.Version != "v313r0" || r.Part != "f1" || r.Rows != 4 {
		t.Fatalf("%v part %s", r, r.Part)
	}
	s, _ := NewSnapshot(rels)
	if e, _, ok := s.PTP(NCCIPTP, "G0439", "99213", civil.FromYMD(2025, 1, 1)); !ok || e.Modifier != '1' {
		t.Errorf("G0439/99213: %v %v", e, ok)
	}
	if _, _, ok := s.PTP(NCCIPTP, "99214", "36415", civil.FromYMD(2025, 1, 1)); ok {
		t.Error("indicator 9 is no edit")
	}
	if _, _, ok := s.PTP(NCCIPTP, "80053", "85025", civil.FromYMD(2014, 12, 31)); !ok {
		t.Error("edit in force before its deletion date")
	}
	if _, _, ok := s.PTP(NCCIPTP, "80053", "85025", civil.FromYMD(2015, 1, 1)); ok {
		t.Error("edit in force on its deletion date")
	}
	head := strings.Repeat("header\r\n", 6)
	wantLineError(t, "ccipra-v313r0-f2.txt", head+"A\tB\t\t20200101\t*\t1\tx\r\nA\tC\t\t2020-01-01\t*\t1\tx\r\n", 8, "effective date")
	wantLineError(t, "ccipra-v313r0-f2.txt", head+"A\tB\t\t20200101\t*\t1\tx\r\nA\tC\t\t20200101\t*\t7\tx\r\n", 8, "modifier indicator")
	wantLineError(t, "ccipra-v313r0-f2.txt", head+"A\tB\t\t20200101\t*\t1\tx\r\nA\tB\t\t20200101\t*\t0\tx\r\n", 8, "listed again")
	// Latin-1 in a rationale is read, not refused.
	rels = read(t, "ccioph-v313r0-f1.txt", head+"A1234\tB1234\t\t20200101\t*\t1\tNa\xefve\r\n")
	if rels[0].System != NCCIPTPHospital || rels[0].Edits[0].Rationale != "Naïve" {
		t.Errorf("%v %q", rels[0], rels[0].Edits[0].Rationale)
	}
}

func TestMUESample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "samples", "codesets", "MCR_MUE_PractitionerServices_Eff_10-01-2025.csv"))
	if err != nil {
		t.Fatal(err)
	}
	r := read(t, "MCR_MUE_PractitionerServices_Eff_10-01-2025.csv", string(b))[0]
	if r.System != MUE || r.Rows != 4 || r.Coverage.From != civil.FromYMD(2025, 10, 1) || r.Coverage.To != civil.FromYMD(2025, 12, 31) {
		t.Fatalf("%v", r)
	}
	s, _ := NewSnapshot([]*Release{r})
	if m, _, ok := s.MUE(MUE, "36415", civil.FromYMD(2025, 11, 1)); !ok || m.Value != 2 || m.MAI != 2 {
		t.Errorf("%v %v", m, ok)
	}
	if _, _, ok := s.MUE(MUE, "36415", civil.FromYMD(2026, 1, 1)); ok {
		t.Error("MUE outside its quarter")
	}
	head := "\"preamble\"\r\n\"HCPCS/\r\nCPT Code\",\"MUE\",\"MAI\",\"Rationale\"\r\n"
	wantLineError(t, "MCR_MUE_OutpatientHospitalServices_Eff_01-01-2026.csv", head+"36415,x,\"1 Line Edit\",r\r\n", 4, "MUE value")
	wantLineError(t, "MCR_MUE_OutpatientHospitalServices_Eff_01-01-2026.csv", head+"36415,1,\"4 Other\",r\r\n", 4, "adjudication indicator")
	if _, err := Read("MCR_MUE_DMESupplierServices_Eff_01-01-2026.csv", strings.NewReader("\"no header\"\r\n"), ""); err == nil {
		t.Error("MUE file without header accepted")
	}
}

func TestDetectAndContainers(t *testing.T) {
	if _, err := Read("notes.txt", strings.NewReader("x"), ""); !errors.Is(err, ErrUnrecognized) || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("unrecognised file: %v", err)
	}
	if _, err := Read("x.csv", strings.NewReader("a,b\n"), "bogus"); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Errorf("bad format: %v", err)
	}
	// Explicit format overrides the name.
	if rels, err := Read("mine.csv", strings.NewReader("system,code,effective_from,effective_to\nPOS,11,2000-01-01,\n"), FormatGeneric); err != nil || rels[0].System != POS {
		t.Errorf("explicit format: %v", err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(icdSample))
	zw.Close()
	var zb bytes.Buffer
	zz := zip.NewWriter(&zb)
	w, _ := zz.Create("icd10cm-order-2026.txt")
	w.Write([]byte(icdSample))
	w, _ = zz.Create("icd10cm-order-addenda-2026.txt")
	w.Write([]byte("Add: x"))
	w, _ = zz.Create("Code-descriptions.pdf")
	w.Write([]byte("%PDF"))
	zz.Close()
	fsys := fstest.MapFS{
		"dir/icd10cm_order_2025.txt.gz":      {Data: gz.Bytes()},
		"dir/2026-code-descriptions.zip":     {Data: zb.Bytes()},
		"dir/icd10cm_order_addenda_2025.txt": {Data: []byte("Add:")},
		"dir/.hidden":                        {Data: []byte("x")},
	}
	rels, notes, err := LoadFS(fsys, "dir")
	if err != nil || len(rels) != 2 {
		t.Fatalf("%v %v", rels, err)
	}
	if len(notes) != 3 {
		t.Errorf("notes %q", notes)
	}
	if rels[0].Source != "2026-code-descriptions.zip!icd10cm-order-2026.txt" || rels[1].Source != "icd10cm_order_2025.txt" {
		t.Errorf("sources %s, %s", rels[0].Source, rels[1].Source)
	}
	if rels[0].SHA256 != rels[1].SHA256 {
		t.Error("the SHA-256 is of the content, whatever the container")
	}
	fsys["dir/mystery.dat"] = &fstest.MapFile{Data: []byte("x")}
	if _, _, err := LoadFS(fsys, "dir"); !errors.Is(err, ErrUnrecognized) || !strings.Contains(err.Error(), "mystery.dat") {
		t.Errorf("unknown file in folder: %v", err)
	}
	delete(fsys, "dir/mystery.dat")
	fsys["dir/icd10cm_order_2024.txt.gz"] = &fstest.MapFile{Data: gz.Bytes()[:20]}
	if _, _, err := LoadFS(fsys, "dir"); err == nil || !strings.Contains(err.Error(), "icd10cm_order_2024.txt.gz") {
		t.Errorf("truncated gzip: %v", err)
	}
}

func TestSnapshotRefusesTwice(t *testing.T) {
	a := read(t, "icd10cm_order_2025.txt", icdSample)
	b := read(t, "icd10cm-order-2025.txt", icdSample)
	if _, err := NewSnapshot(append(a, b...)); err == nil || !strings.Contains(err.Error(), "loaded twice") {
		t.Errorf("got %v", err)
	}
}

func TestCoverageOrder(t *testing.T) {
	q1 := read(t, "HCPC2025_JAN_ANWEB.txt", hcpcsRecord("A1234", "3", "20200101", ""))
	q2 := read(t, "HCPC2025_APR_ANWEB.txt", hcpcsRecord("A1234", "3", "20200101", "20250331"))
	s, err := NewSnapshot(append(q1, q2...))
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Lookup(HCPCS, "A1234", civil.FromYMD(2025, 2, 1)); r.Release.Version != "2025-Q1" || r.Status != Valid {
		t.Errorf("February: %v %v", r.Release, r.Status)
	}
	if r := s.Lookup(HCPCS, "A1234", civil.FromYMD(2025, 4, 1)); r.Release.Version != "2025-Q2" || r.Status != NotEffective {
		t.Errorf("April: %v %v", r.Release, r.Status)
	}
	if r := s.Lookup(HCPCS, "A1234", civil.FromYMD(2025, 7, 1)); r.Status != NotLoaded {
		t.Errorf("July: %v", r.Status)
	}
}
