package catalog

import "hash/maphash"

// positionTable finds strings by their position in a list its user keeps:
// an open-addressing table, at most half full, of each string's hash tag
// and position. It holds no pointers. A large catalog's heap is mostly its
// index, and every collection traces each pointer in it: a
// map[string]*Entity of the keys held two per entity, and tracing them
// was a quarter of a collection's work, repeated every few tens of
// thousands of answers.
type positionTable struct {
	seed  maphash.Seed
	slots []uint64 // the hash's top 32 bits << 32 | position+1; 0 is empty
}

// newPositionTable places position i at hashes[i], a hash with seed of the
// string at i.
func newPositionTable(seed maphash.Seed, hashes []uint64) positionTable {
	size := 8
	for size < 2*len(hashes) {
		size *= 2
	}
	t := positionTable{seed: seed, slots: make([]uint64, size)}
	mask := uint64(size - 1)
	for i, h := range hashes {
		j := h & mask
		for t.slots[j] != 0 {
			j = (j + 1) & mask
		}
		t.slots[j] = h>>32<<32 | uint64(i+1)
	}
	return t
}

// find returns the position of s, where at returns the string at a
// position.
func (t positionTable) find(s string, at func(int) string) (int, bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	return t.probe(maphash.String(t.seed, s), s, at)
}

// probe looks for s along the run of slots from h's; the tag spares at for
// nearly every other string on the way.
func (t positionTable) probe(h uint64, s string, at func(int) string) (int, bool) {
	mask := uint64(len(t.slots) - 1)
	for j := h & mask; t.slots[j] != 0; j = (j + 1) & mask {
		if v := t.slots[j]; v>>32 == h>>32 {
			if i := int(uint32(v)) - 1; at(i) == s {
				return i, true
			}
		}
	}
	return 0, false
}
