package catalog

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestNameIndexPostings compares the packed index with the plain map it
// replaces, over ASCII and non-ASCII names.
func TestNameIndexPostings(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("abcdefghij-_.0123éåø")
	byName := map[string][]*Entity{}
	for range 3000 {
		n := make([]rune, 1+r.IntN(12))
		for i := range n {
			n[i] = alphabet[r.IntN(len(alphabet))]
		}
		byName[string(n)] = nil
	}
	ni := newNameIndex(byName)
	want := map[trigram][]int32{}
	for i, n := range ni.names {
		for _, tg := range uniqueTrigrams(n) {
			want[tg] = append(want[tg], int32(i))
		}
	}
	for tg, ids := range want {
		if got := ni.postings(tg); !slices.Equal(got, ids) {
			t.Fatalf("postings(%x) = %v, want %v", tg, got, ids)
		}
	}
	if got := ni.postings(uniqueTrigrams("zzz")[1]); got != nil {
		t.Errorf("postings of an absent trigram = %v, want none", got)
	}
	if len(ni.other) == 0 || len(ni.keys) == 0 {
		t.Fatalf("want both packed (%d) and other (%d) trigrams in this test", len(ni.keys), len(ni.other))
	}
}
