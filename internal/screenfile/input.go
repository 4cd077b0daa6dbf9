package screenfile

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/claimscreen/claimscreen/internal/x12"
)

// Input is one input of claimscreen screen: a file, or standard input.
type Input struct {
	Name string
	R    io.Reader
}

// Options tell how an X12 input's claims are identified, where its
// acknowledgements go, and where notes about it are written.
type Options struct {
	Identify Identify // the originator of each functional group
	AcksDir  string   // the folder of 999/277CA/TA1 files; "": none written
	Notes    io.Writer
}

// Screen screens each input in order, told apart by its content: an X12
// interchange (every CLM of its 837s) or claim.v1 NDJSON (one decision per
// line). Interchange problems and the acknowledgements written go to
// o.Notes.
func (f *Screener) Screen(ctx context.Context, inputs []Input, o Options, enc *json.Encoder) error {
	for _, in := range inputs {
		br := bufio.NewReaderSize(in.R, 64<<10)
		if head, _ := br.Peek(512); x12.Looks(head) {
			if err := f.screenX12(ctx, in.Name, br, o, enc); err != nil {
				return err
			}
			continue
		}
		if err := f.Stream(ctx, in.Name, br, enc); err != nil {
			return err
		}
	}
	return nil
}

// screenX12 screens one X12 input and writes its acknowledgements.
func (f *Screener) screenX12(ctx context.Context, name string, r io.Reader, o Options, enc *json.Encoder) error {
	data, err := ReadX12(name, r)
	if err != nil {
		return err
	}
	acks, notes, err := f.StreamX12(ctx, name, data, o.Identify, enc)
	for _, n := range notes {
		fmt.Fprintln(o.Notes, n)
	}
	if err != nil || o.AcksDir == "" {
		return err
	}
	paths, err := WriteAcks(o.AcksDir, acks)
	for _, p := range paths {
		fmt.Fprintf(o.Notes, "%s: wrote %s\n", name, p)
	}
	return err
}
