package claim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

func FuzzDecode(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(`{"claim_id":"C","originator_id":"O","lines":[{"procedure":{"modifiers":[null,1,"25"]}}]}`))
	f.Add([]byte(`[[[[`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		c, fs, err := Decode(msg, recv)
		// The one-pass reading, when it takes the message, gives what the
		// parser does.
		c2, fs2, err2 := defaultDecoder().decodeFull(msg, recv)
		if fmt.Sprint(err) != fmt.Sprint(err2) || !reflect.DeepEqual(fs, fs2) || !reflect.DeepEqual(c, c2) {
			t.Fatalf("Decode differs from the parser on %q:\n%v %+v %+v\n%v %+v %+v", msg, err, fs, c, err2, fs2, c2)
		}
		if err != nil {
			if c != nil || fs != nil {
				t.Fatal("a dead letter carries no claim")
			}
			return
		}
		// A decoded claim always has an id, an originator and a key, its
		// normalised form encodes, and every finding is complete.
		if c.ClaimID == "" || c.OriginatorID == "" || c.Key() == "" {
			t.Fatalf("claim without identity: %+v", c)
		}
		std, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if body, _ := c.Encode(); !bytes.Equal(body, std) {
			t.Fatalf("Encode differs from encoding/json:\n%s\n%s", body, std)
		}
		c.ContentHash()
		for _, f := range fs {
			if f.Rule == "" || f.Message == "" || f.Path == "" && f.Rule != "MISSING_FIELD" {
				t.Fatalf("incomplete finding %+v", f)
			}
		}
	})
}
