package catalog

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The fast case-key check may say "maybe" when there is no collision, but
// never "no" when the exact check finds one: over generated documents whose
// keys and list items differ in case in every way the rule cares about.
func TestMaybeCaseKeys_NeverMissesACollision(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"a", "A", "b", "B", "tags", "Tags", "a.b", "a.B", "name", "Name"}
	items := []string{"java", "Java", "b", "B", "x"}
	var gen func(sb *strings.Builder, indent string, depth int)
	gen = func(sb *strings.Builder, indent string, depth int) {
		n := 1 + r.IntN(4)
		used := map[string]bool{}
		for range n {
			k := words[r.IntN(len(words))]
			if used[k] {
				continue // YAML rejects a key given twice; that is another rule
			}
			used[k] = true
			switch c := r.IntN(4); {
			case c == 0 && depth < 3:
				fmt.Fprintf(sb, "%s%q:\n", indent, k)
				gen(sb, indent+"  ", depth+1)
			case c == 1:
				fmt.Fprintf(sb, "%s%q: [", indent, k)
				for i := range 1 + r.IntN(3) {
					if i > 0 {
						sb.WriteString(", ")
					}
					sb.WriteString(items[r.IntN(len(items))])
				}
				sb.WriteString("]\n")
			default:
				fmt.Fprintf(sb, "%s%q: v\n", indent, k)
			}
		}
	}
	collisions := 0
	for i := range 5000 {
		var sb strings.Builder
		sb.WriteString("metadata:\n")
		gen(&sb, "  ", 1)
		sb.WriteString("spec:\n")
		gen(&sb, "  ", 1)
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(sb.String()), &doc); err != nil {
			t.Fatalf("document %d does not parse: %v\n%s", i, err, sb.String())
		}
		root := doc.Content[0]
		p := docParser{text: []byte(sb.String()), sc: new(scratch)}
		maybe := p.maybeCaseKeys(root)
		ks := &p.sc.keys
		ks.reset()
		p.visitKeys(ks, root, root, 0)
		for _, k := range catalogKeys {
			ks.add([]byte(k), false, nil)
		}
		if _, _, ok := ks.collision(); !ok {
			collisions++
			if !maybe {
				t.Fatalf("document %d has keys differing only in case, the fast check says none:\n%s", i, sb.String())
			}
		}
	}
	if collisions < 500 {
		t.Fatalf("only %d of 5000 documents had a collision: the generator does not exercise the check", collisions)
	}
}
