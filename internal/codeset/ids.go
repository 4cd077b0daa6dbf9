package codeset

// idMap numbers the codes of one system. Codes of up to ten letters and
// digits (every CMS code) are packed into a uint64, six bits a character,
// so a lookup hashes one word and compares no string; anything else falls
// back to a string map.
type idMap struct {
	packed map[uint64]int32
	other  map[string]int32
	n      int32
}

func newIDMap() *idMap { return &idMap{packed: map[uint64]int32{}, other: map[string]int32{}} }

// pack returns code as a uint64, and false when it cannot be packed.
func pack(code string) (uint64, bool) {
	if len(code) == 0 || len(code) > 10 {
		return 0, false
	}
	var k uint64
	for i := 0; i < len(code); i++ {
		c := code[i]
		var v uint64
		switch {
		case c >= '0' && c <= '9':
			v = uint64(c-'0') + 1
		case c >= 'A' && c <= 'Z':
			v = uint64(c-'A') + 11
		default:
			return 0, false
		}
		k = k<<6 | v
	}
	return k, true
}

func (m *idMap) get(code string) (int32, bool) {
	if k, ok := pack(code); ok {
		id, ok := m.packed[k]
		return id, ok
	}
	id, ok := m.other[code]
	return id, ok
}

// add returns code's id, numbering it if it is new.
func (m *idMap) add(code string) int32 {
	if id, ok := m.get(code); ok {
		return id
	}
	id := m.n
	m.n++
	if k, ok := pack(code); ok {
		m.packed[k] = id
	} else {
		m.other[code] = id
	}
	return id
}

func (m *idMap) len() int { return int(m.n) }
