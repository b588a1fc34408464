package catalog

import (
	"fmt"
	"hash/maphash"
	"testing"
)

func TestPositionTable(t *testing.T) {
	seed := maphash.MakeSeed()
	var strs []string
	for i := range 5000 {
		strs = append(strs, fmt.Sprintf("component:default/service-%d", i))
	}
	strs = append(strs, "") // the empty string is a string like any other
	hashes := make([]uint64, len(strs))
	for i, s := range strs {
		hashes[i] = maphash.String(seed, s)
	}
	tab := newPositionTable(seed, hashes)
	if len(tab.slots) < 2*len(strs) {
		t.Fatalf("%d slots for %d strings: more than half full", len(tab.slots), len(strs))
	}
	at := func(i int) string { return strs[i] }
	for i, s := range strs {
		if got, ok := tab.find(s, at); !ok || got != i {
			t.Fatalf("find(%q) = %d, %v; want %d, true", s, got, ok, i)
		}
	}
	for _, s := range []string{"component:default/service-5000", "Component:default/service-1", "component:default/service-1 "} {
		if got, ok := tab.find(s, at); ok {
			t.Errorf("find(%q) = %d, true; want not found", s, got)
		}
	}
	var empty positionTable
	if _, ok := empty.find("x", at); ok {
		t.Error("an empty table found a string")
	}
}

// TestPositionTable_SharedSlots has every string hash to the same slot and
// tag, so each is found only by comparing strings along one probe run.
func TestPositionTable_SharedSlots(t *testing.T) {
	strs := []string{"a", "b", "c", "d", "e"}
	hashes := make([]uint64, len(strs)) // all zero: one run from slot 0
	tab := newPositionTable(maphash.MakeSeed(), hashes)
	calls := 0
	at := func(i int) string { calls++; return strs[i] }
	for i, s := range strs {
		// find hashes with the seed, so probe the run directly.
		if got, ok := tab.probe(0, s, at); !ok || got != i {
			t.Fatalf("probe(%q) = %d, %v; want %d, true", s, got, ok, i)
		}
	}
	if calls != 1+2+3+4+5 {
		t.Errorf("compared %d strings, want 15 (each string's run up to it)", calls)
	}
	if _, ok := tab.probe(0, "f", at); ok {
		t.Error("found a string not in the table")
	}
}
