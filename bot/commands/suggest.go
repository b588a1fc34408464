package commands

import (
	"context"
	"sort"
	"strings"

	"github.com/callboard/callboard/catalog"
)

// Suggester completes names for chat autocomplete from the in-memory index.
type Suggester struct {
	catalog Catalog
}

// NewSuggester returns a Suggester over c.
func NewSuggester(c Catalog) *Suggester { return &Suggester{catalog: c} }

// Suggest returns up to limit names of the given kind ("component", "group",
// "template", or "entity" for any kind) starting with prefix, shortest
// first; when none start with it, close misspellings.
func (s *Suggester) Suggest(ctx context.Context, kind, prefix string, limit int) []string {
	ix := s.catalog.Index()
	prefix = strings.ToLower(strings.TrimSpace(prefix))
	var pool []*catalog.Entity
	switch kind {
	case "component", "group", "template", "api", "system", "user", "resource":
		pool = ix.OfKind(kind)
	default:
		pool = ix.All()
	}
	seen := map[string]bool{}
	var out []string
	for i, e := range pool {
		if i%4096 == 0 && ctx.Err() != nil {
			break
		}
		name := e.Metadata.Name
		if strings.HasPrefix(strings.ToLower(name), prefix) && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) < len(out[j])
		}
		return out[i] < out[j]
	})
	if len(out) > limit {
		out = out[:limit]
	}
	if len(out) == 0 && prefix != "" {
		for _, n := range ix.Suggest(prefix, limit*2) {
			for _, e := range ix.ByName(n) {
				if kind == "entity" || strings.EqualFold(e.Kind, kind) {
					out = append(out, e.Metadata.Name)
					break
				}
			}
			if len(out) == limit {
				break
			}
		}
	}
	return out
}
