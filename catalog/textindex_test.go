package catalog

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestTextIndexPostings compares the packed postings with a plain map of
// each word's entities and best weights, over a catalog large enough that
// both halves share words and each has its own.
func TestTextIndexPostings(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	vocab := []string{"payments", "api", "Ledger", "risk", "fraud", "búsqueda", "team", "jobs", "042", "x"}
	text := func(n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = vocab[r.IntN(len(vocab))]
		}
		return strings.Join(w, []string{" ", "-", ". "}[r.IntN(3)])
	}
	var entities []*Entity
	for i := range 3001 {
		e := &Entity{Kind: KindComponent, Metadata: Metadata{
			Name: text(1+r.IntN(3)) + "-" + string(rune('a'+i%26)), Title: text(r.IntN(3)), Description: text(r.IntN(8)),
		}}
		if i > 1500 {
			e.Metadata.Description += " only-late"
		}
		for range r.IntN(3) {
			e.Metadata.Tags = append(e.Metadata.Tags, strings.ToLower(vocab[r.IntN(len(vocab))]))
		}
		entities = append(entities, e)
	}
	type hit struct {
		id     int32
		weight uint8
	}
	want := map[string][]hit{}
	for i, e := range entities {
		best := map[string]uint8{}
		add := func(s string, w uint8) {
			for _, word := range words(s) {
				best[word] = max(best[word], w)
			}
		}
		add(e.Metadata.Name, weightName)
		add(e.Metadata.Title, weightTitle)
		for _, tag := range e.Metadata.Tags {
			add(tag, weightTag)
		}
		add(e.Metadata.Description, weightDesc)
		for word, w := range best {
			want[word] = append(want[word], hit{int32(i), w})
		}
	}
	for _, parallel := range []bool{true, false} {
		ti := newTextIndex(entities, parallel)
		if len(ti.words) != len(want) || !slices.IsSorted(ti.words) {
			t.Fatalf("parallel %v: %d words (sorted: %v), want %d sorted", parallel, len(ti.words), slices.IsSorted(ti.words), len(want))
		}
		for i, word := range ti.words {
			var got []hit
			for _, p := range ti.of(i) {
				got = append(got, hit{p.id(), p.weight()})
			}
			if !slices.Equal(got, want[word]) {
				t.Fatalf("parallel %v: postings of %q = %v, want %v", parallel, word, got, want[word])
			}
			if l := ti.lookup(word); len(l) != len(got) {
				t.Fatalf("parallel %v: lookup(%q) has %d postings, want %d", parallel, word, len(l), len(got))
			}
		}
	}
}
