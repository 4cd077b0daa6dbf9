package codeset

// idMap numbers the codes of one system. Codes of up to ten letters and
// digits (every CMS code) are packed into a uint64, six bits a character,
// and kept in an open-addressing table of (key, id) slots at most half
// full: a lookup multiplies one word, reads one slot (one cache line) in
// the common case, and compares no string. Anything else falls back to a
// string map.
type idMap struct {
	slots []idSlot // len a power of two; key 0 is empty (no packed code is 0)
	shift uint
	other map[string]int32
	n     int32
}

type idSlot struct {
	key uint64
	id  int32
}

func newIDMap() *idMap {
	return &idMap{slots: make([]idSlot, 16), shift: 64 - 4, other: map[string]int32{}}
}

func (m *idMap) slot(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> m.shift }

func (m *idMap) find(k uint64) (int32, bool) {
	mask := uint64(len(m.slots) - 1)
	for i := m.slot(k); ; i = (i + 1) & mask {
		s := &m.slots[i]
		if s.key == k {
			return s.id, true
		}
		if s.key == 0 {
			return 0, false
		}
	}
}

func (m *idMap) insert(k uint64, id int32) {
	if 2*(int(m.n)+1) > len(m.slots) {
		old := m.slots
		m.slots, m.shift = make([]idSlot, 2*len(old)), m.shift-1
		for _, s := range old {
			if s.key != 0 {
				m.put(s.key, s.id)
			}
		}
	}
	m.put(k, id)
}

func (m *idMap) put(k uint64, id int32) {
	mask := uint64(len(m.slots) - 1)
	i := m.slot(k)
	for m.slots[i].key != 0 {
		i = (i + 1) & mask
	}
	m.slots[i] = idSlot{k, id}
}

// each calls fn with every packed code's key and id.
func (m *idMap) each(fn func(k uint64, id int32)) {
	for _, s := range m.slots {
		if s.key != 0 {
			fn(s.key, s.id)
		}
	}
}

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
		return m.find(k)
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
	if k, ok := pack(code); ok {
		m.insert(k, id)
		m.n++
	} else {
		m.n++
		m.other[code] = id
	}
	return id
}

func (m *idMap) len() int { return int(m.n) }

// codes returns every code by id: codes()[id] is the code numbered id.
func (m *idMap) codes() []string {
	codes := make([]string, m.len())
	m.each(func(k uint64, id int32) { codes[id] = unpack(k) })
	for code, id := range m.other {
		codes[id] = code
	}
	return codes
}

// unpack is pack's inverse.
func unpack(k uint64) string {
	var b [10]byte
	i := len(b)
	for k != 0 {
		v := k & 63
		k >>= 6
		i--
		if v <= 10 {
			b[i] = byte('0' + v - 1)
		} else {
			b[i] = byte('A' + v - 11)
		}
	}
	return string(b[i:])
}
