package catalog

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestSortByKey(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 1001} {
		var es []*Entity
		for i := range n {
			e := &Entity{Kind: KindComponent, Metadata: Metadata{Name: fmt.Sprintf("svc-%05d", (i*7919)%max(n, 1)), Namespace: DefaultNamespace}}
			e.cacheKey()
			es = append(es, e)
		}
		sortByKey(es)
		if !slices.IsSortedFunc(es, func(a, b *Entity) int { return strings.Compare(a.Key(), b.Key()) }) {
			t.Fatalf("n=%d: not sorted", n)
		}
		seen := map[*Entity]bool{}
		for _, e := range es {
			seen[e] = true
		}
		if len(seen) != n {
			t.Fatalf("n=%d: %d distinct entities after sorting", n, len(seen))
		}
	}
}
