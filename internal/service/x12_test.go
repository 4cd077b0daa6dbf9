package service

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimscreen/claimscreen/internal/gen"
	"github.com/claimscreen/claimscreen/internal/kafkaio"
	"github.com/claimscreen/claimscreen/internal/testenv"
	"github.com/claimscreen/claimscreen/internal/x12intake"
	"github.com/claimscreen/claimscreen/pipeline"
	"github.com/claimscreen/claimscreen/pipeline/mem"
)

// Interchanges on the X12 topic of a real broker: the sample (accepted and
// rejected claims, a TA1 requested), a generated interchange of more than
// 1 MiB (accepted, rejected and held claims), the sample with a broken
// transaction set, an unknown sender, a malformed and a too-large message. Every
// claim is decided once, the acknowledgements go to the originator's
// notice topic with their headers, the rest is dead-lettered whole, the
// offsets are committed, and a second run over the same messages (a
// restart that lost its progress) writes byte-identical acknowledgements.
func TestX12EndToEnd(t *testing.T) {
	dir := t.TempDir()
	registry := filepath.Join(dir, "originators.csv")
	if err := os.WriteFile(registry, []byte("originator_id,notice_topic,active,x12_sender,x12_group_sender\nCLINIC-77,,true,ZZ:CLEARING-1,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const limit = 1_500_000
	e := newE2E(t, []string{"CLINIC-77"}, "--registry", registry, "--max-interchange-bytes", "1500000")
	sample, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "internal", "samples", "x12", "837p-sample.txt"))
	if err != nil {
		t.Fatal(err)
	}
	const nBig = 3000
	big := gen.Interchange(genClaims(t, nBig, []string{"CLINIC-77"}), "000000555")
	if len(big) <= 1<<20 || len(big) > limit {
		t.Fatalf("generated interchange of %d bytes: want more than 1 MiB and at most %d", len(big), limit)
	}
	stranger := bytes.Replace(sample, []byte("CLEARING-1     "), []byte("STRANGER-2     "), 1)
	// The sample again as interchange 000000102 with a broken transaction
	// set (SE01 says 35 segments, it has 34): rejected in its 999, its
	// claims never screened, no 277CA.
	broken := bytes.ReplaceAll(bytes.Replace(sample, []byte("SE*34*0001~"), []byte("SE*35*0001~"), 1), []byte("000000101"), []byte("000000102"))
	tooLarge := append([]byte("ISA*"), bytes.Repeat([]byte("x"), limit)...)
	inputs := []pipeline.Output{
		{Topic: e.cfg.Topics.X12, Key: []byte("sample"), Value: sample},
		{Topic: e.cfg.Topics.X12, Key: []byte("big"), Value: big},
		{Topic: e.cfg.Topics.X12, Key: []byte("broken"), Value: broken},
		{Topic: e.cfg.Topics.X12, Key: []byte("stranger"), Value: stranger},
		{Topic: e.cfg.Topics.X12, Key: []byte("malformed"), Value: []byte("ISA*00*short~")},
		{Topic: e.cfg.Topics.X12, Key: []byte("toolarge"), Value: tooLarge},
	}
	sink := e.conn.NewSink(kafkaio.SinkConfig{MaxMessageBytes: 4 << 20})
	defer sink.Close()
	if err := pipeline.Produce.Write(context.Background(), sink, inputs); err != nil {
		t.Fatal(err)
	}

	acks := func(run int) map[string][]byte {
		svc, stop := e.startSvc(context.Background(), false)
		defer stop()
		// Two claims of the sample are accepted and rejected; every
		// generated claim is decided.
		ledger := svc.ledger.(*mem.Ledger)
		deadline := time.Now().Add(2 * time.Minute)
		for ledger.Len() < nBig+2 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if ledger.Len() != nBig+2 {
			t.Fatalf("run %d: %d claims decided, want %d", run, ledger.Len(), nBig+2)
		}
		for {
			n, err := e.conn.Backlog(context.Background(), e.cfg.Topics.X12, e.cfg.Consumer.GroupID)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %d: %d interchanges not committed", run, n)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		notices, err := e.conn.DrainIdle(context.Background(), e.prefix+".notices.CLINIC-77", 1, 3*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range notices {
			if s := hdr(m, pipeline.HeaderSchema); s != "notice.v1" {
				if hdr(m, pipeline.HeaderContentType) != x12intake.ContentType {
					t.Errorf("%s: content type %q", m.Key, hdr(m, pipeline.HeaderContentType))
				}
				if _, dup := out[string(m.Key)]; dup && run == 1 {
					t.Errorf("acknowledgement %s written twice in one run", m.Key)
				}
				out[string(m.Key)] = m.Value
			}
		}
		return out
	}
	first := acks(1)
	want := map[string]string{
		"CLINIC-77/000000101/ta1":           "TA1*000000101*251120*0930*A*000~",
		"CLINIC-77/000000101/999-77":        "IK5*A~",
		"CLINIC-77/000000101/277ca-77-0001": "TRN*2*X12-2002~\nSTC*A7:254*",
		"CLINIC-77/000000555/999-1":         "AK9*A*1*1*1~",
		"CLINIC-77/000000555/277ca-1-0001":  "TRN*2*",
		"CLINIC-77/000000102/ta1":           "TA1*000000102*251120*0930*A*000~",
		"CLINIC-77/000000102/999-77":        "IK5*R*4~\nAK9*R*1*1*0~",
	}
	for k, frag := range want {
		if !bytes.Contains(first[k], []byte(frag)) {
			t.Errorf("acknowledgement %s lacks %q: %.300s", k, frag, first[k])
		}
	}
	if len(first) != len(want) {
		t.Errorf("acknowledgements %d, want %d", len(first), len(want))
	}
	if n := bytes.Count(first["CLINIC-77/000000555/277ca-1-0001"], []byte("*PT~")); n != nBig { // a patient loop a claim
		t.Errorf("277CA of the generated interchange answers %d claims, want %d", n, nBig)
	}
	// Each claim once, on review, held or its notice topic; some of each,
	// each with where it came from.
	decided, per := 0, map[string]int{}
	for _, topic := range []string{e.cfg.Topics.Review, e.cfg.Topics.Held, e.prefix + ".notices.CLINIC-77"} {
		msgs, err := e.conn.DrainIdle(context.Background(), topic, 0, 3*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if hdr(m, pipeline.HeaderDecisionID) != "" {
				decided++
				per[topic]++
				if !strings.HasPrefix(hdr(m, pipeline.HeaderSource), "x12:000000") {
					t.Errorf("%s: claim-source %q", m.Key, hdr(m, pipeline.HeaderSource))
				}
			}
		}
	}
	if decided != nBig+2 || len(per) != 3 {
		t.Errorf("%d decisions published (%v), want %d on review, held and notices", decided, per, nBig+2)
	}
	dead := e.drain(e.cfg.Topics.DeadLetter, 3)
	reasons := map[string]string{}
	for _, m := range dead {
		reasons[string(m.Key)] = hdr(m, pipeline.HeaderReason)
		if string(m.Key) == "toolarge" && !bytes.Equal(m.Value, tooLarge) {
			t.Errorf("the too-large interchange was not dead-lettered whole (%d bytes)", len(m.Value))
		}
	}
	if reasons["stranger"] != pipeline.ReasonUnknownSender || reasons["malformed"] != pipeline.ReasonMalformed || reasons["toolarge"] != pipeline.ReasonTooLarge {
		t.Errorf("dead letters: %v", reasons)
	}

	// A restart that lost its progress (a new group, an empty ledger)
	// decides the same messages again: the same acknowledgements, byte for
	// byte.
	e.cfg.Consumer.GroupID += "-again"
	second := acks(2)
	for k, v := range first {
		if !bytes.Equal(second[k], v) {
			t.Errorf("acknowledgement %s differs on redelivery", k)
		}
	}
}
