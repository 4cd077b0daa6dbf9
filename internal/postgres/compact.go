package postgres

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/klauspost/compress/s2"
)

// The ledger stores a submission's claim (its canonical bytes) and its
// decision (JSON) compressed with a dictionary trained on synthetic claims
// and decisions (internal/gen; no real person's data): values of 600-1,500
// bytes compress poorly one by one, and the dictionary holds what every
// claim and decision repeat (field names, code systems, rule ids,
// messages). The codec is S2 (github.com/klauspost/compress/s2) with that
// dictionary: zstd with the same kind of dictionary stores about a quarter
// less but spends 9.4 µs a value resetting its tables from the dictionary,
// against S2's 1.6 µs (BenchmarkPack, docs/benchmarks.md), and the
// pipeline's whole budget is 15 µs a claim.
//
// A stored value is one format byte, the CRC-32C of the JSON (little
// endian) and the S2 block. The format byte names the dictionary: a new
// dictionary is a new file and a new byte beside the old ones, which stay
// embedded for as long as rows written with them may exist. Rows written
// before the compact ledger (migration 5) hold plain JSON, whose first byte
// is '{', and are read as they are.
//
// Retrain with: go test ./internal/postgres -run TestLedgerDictionary -update-dict

//go:embed ledger-1.s2dict
var ledgerDict1 []byte

// formatDict1 marks a value compressed with ledger-1.s2dict.
const formatDict1 = 0x01

var dicts = map[byte]*s2.Dict{formatDict1: s2.NewDict(ledgerDict1)}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// packer compresses values into shared chunks: one allocation (and one
// clearing) per chunk instead of a buffer of the worst-case size per value.
// A packer is used by one goroutine at a time; the values it returns stay
// valid after it is dropped.
type packer struct {
	buf   []byte
	chunk int // bytes a new chunk holds at least; 0 for exactly one value
}

// pack compresses a claim or a decision for the ledger.
func (p *packer) pack(b []byte) []byte {
	need := 5 + s2.MaxEncodedLen(len(b))
	if cap(p.buf)-len(p.buf) < need {
		p.buf = make([]byte, 0, max(need, p.chunk))
	}
	start := len(p.buf)
	head := p.buf[start : start+5]
	head[0] = formatDict1
	binary.LittleEndian.PutUint32(head[1:], crc32.Checksum(b, castagnoli))
	enc := dicts[formatDict1].Encode(p.buf[start+5:cap(p.buf)], b) // in place: the room is there
	end := start + 5 + len(enc)
	p.buf = p.buf[:end]
	return p.buf[start:end:end]
}

// pack compresses one value.
func pack(b []byte) []byte {
	var p packer
	return p.pack(b)
}

// maxValue bounds a stored value's JSON (a claim is limited to far less
// at intake).
const maxValue = 64 << 20

// errCorrupt is a stored value that does not read back as it was written.
var errCorrupt = errors.New("ledger value corrupt")

// unpack returns a ledger value's JSON: a compressed value decompressed
// and checked, plain JSON (rows from before migration 5) as it is.
func unpack(b []byte) ([]byte, error) {
	if len(b) == 0 || b[0] == '{' || b[0] == '[' {
		return b, nil
	}
	d := dicts[b[0]]
	if d == nil {
		return nil, fmt.Errorf("ledger value: unknown format byte %#x (written by a newer claimscreen?)", b[0])
	}
	if len(b) < 5 {
		return nil, errCorrupt
	}
	// The length is the block's first field: a corrupt one must not make
	// a huge allocation.
	if n, err := s2.DecodedLen(b[5:]); err != nil || n > maxValue {
		return nil, errCorrupt
	}
	out, err := d.Decode(nil, b[5:])
	if err != nil || crc32.Checksum(out, castagnoli) != binary.LittleEndian.Uint32(b[1:]) {
		return nil, errCorrupt
	}
	return out, nil
}
