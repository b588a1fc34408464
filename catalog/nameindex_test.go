package catalog

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestNameIndexPostings compares the packed index with the plain map it
// replaces, over ASCII and non-ASCII names.
func TestNameIndexPostings(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("abcdefghij-_.0123éåø")
	var entities []*Entity
	for i := range 3000 {
		n := make([]rune, 1+r.IntN(12))
		for i := range n {
			n[i] = alphabet[r.IntN(len(alphabet))]
		}
		kind := []string{KindComponent, KindAPI, KindGroup}[i%3]
		ns := []string{"default", "ops", "pay", "risk", "x"}[i%5] // 15 kind-namespace runs
		entities = append(entities, &Entity{Kind: kind, Metadata: Metadata{Name: string(n), Namespace: ns}})
	}
	slices.SortFunc(entities, func(a, b *Entity) int { return strings.Compare(a.Key(), b.Key()) })
	ni := newNameIndex(entities)
	var want []string
	for _, e := range entities {
		want = append(want, strings.ToLower(e.Metadata.Name))
	}
	slices.Sort(want)
	if want = slices.Compact(want); !slices.Equal(ni.names, want) {
		t.Fatalf("names = %d, want the %d distinct names sorted", len(ni.names), len(want))
	}
	postings := map[trigram][]int32{}
	for i, n := range ni.names {
		for _, tg := range uniqueTrigrams(n) {
			postings[tg] = append(postings[tg], int32(i))
		}
	}
	for tg, ids := range postings {
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
