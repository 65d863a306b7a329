package agent

import "hash/maphash"

// flightTable is an entry's in-flight table: the flights of its cached
// ability by cache key. Callers serialize access (entry.flightMu).
//
// It is written by hand, instead of being a map[string]*flight, because
// on the miss path the map costs three hashes of the key (the lookup, the
// insertion and the deletion) and a map write and delete each, which
// together made up a tenth of a miss. Here the key is hashed once, outside
// the lock, the lookup finds the insertion point too, and a flight is
// removed by identity. It is an open-addressing table with linear probing
// and backward-shift deletion (no tombstones), at most half full.
type flightTable struct {
	seed  maphash.Seed
	slots []*flight // a power of two long; nil is an empty slot
	n     int       // flights in slots
}

const minFlightSlots = 16

func newFlightTable() flightTable {
	return flightTable{seed: maphash.MakeSeed(), slots: make([]*flight, minFlightSlots)}
}

// hash returns the hash of key, which find and insert take.
func (t *flightTable) hash(key []byte) uint64 { return maphash.Bytes(t.seed, key) }

// find returns the flight for key (with hash h), or nil and the slot
// where insert puts a flight for key.
func (t *flightTable) find(h uint64, key []byte) (*flight, int) {
	mask := len(t.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		f := t.slots[i]
		if f == nil {
			return nil, i
		}
		if f.hash == h && f.key == string(key) {
			return f, i
		}
	}
}

// insert puts f, whose key is not in the table, in slot i returned by find.
func (t *flightTable) insert(i int, f *flight) {
	t.slots[i] = f
	t.n++
	if 2*t.n > len(t.slots) {
		t.grow()
	}
}

func (t *flightTable) grow() {
	old := t.slots
	t.slots = make([]*flight, 2*len(old))
	mask := len(t.slots) - 1
	for _, f := range old {
		if f == nil {
			continue
		}
		i := int(f.hash) & mask
		for t.slots[i] != nil {
			i = (i + 1) & mask
		}
		t.slots[i] = f
	}
}

// remove takes f, which is in the table, out of it.
func (t *flightTable) remove(f *flight) {
	mask := len(t.slots) - 1
	i := int(f.hash) & mask
	for t.slots[i] != f {
		i = (i + 1) & mask
	}
	t.n--
	// Backward shift: move later flights of the same probe run into the
	// hole when their home slot does not lie cyclically in (hole, their slot].
	for {
		t.slots[i] = nil
		j := i
		for {
			j = (j + 1) & mask
			g := t.slots[j]
			if g == nil {
				return
			}
			k := int(g.hash) & mask
			if i <= j && i < k && k <= j || i > j && (i < k || k <= j) {
				continue // g is still reachable from its home slot
			}
			t.slots[i] = g
			i = j
			break
		}
	}
}
