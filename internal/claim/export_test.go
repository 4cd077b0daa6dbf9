package claim

import "time"

// For the external tests (scan_test.go), which use gen.
var (
	RandomText = randomText
	Good       = good
	Recv       = recv
)

// Scan is the decoder's one-pass reading alone.
func Scan(d *Decoder, msg []byte, received time.Time) (*Claim, bool) { return d.scan(msg, received) }
