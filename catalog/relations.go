package catalog

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
)

// Relate computes every entity's relations in both directions, as Backstage's
// built-in processor emits them, replacing any relations the entities had.
// It returns a warning for every reference to an entity that is not in the
// set. The entities must have unique keys.
//
// The refs are resolved in parallel, each worker over a contiguous run of
// entities writing only its own entities' relations; the inverse relations
// are then added in entity order, and each entity's list sorted.
func Relate(entities []*Entity) Problems {
	byKey := make(map[string]*Entity, len(entities))
	for _, e := range entities {
		e.cacheKey()
		byKey[e.key] = e
		e.Relations = e.Relations[:0]
	}
	type inverse struct {
		target *Entity
		rel    Relation
	}
	type part struct {
		inverses []inverse
		warnings Problems
	}
	workers := min(runtime.GOMAXPROCS(0), (len(entities)+4095)/4096)
	parts := make([]part, workers)
	each := func(w int, fn func(e *Entity)) {
		lo, hi := w*len(entities)/workers, (w+1)*len(entities)/workers
		for _, e := range entities[lo:hi] {
			fn(e)
		}
	}
	parallel := func(fn func(w int)) {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fn(w)
			}()
		}
		wg.Wait()
	}
	parallel(func(w int) {
		pt := &parts[w]
		var key []byte
		// relate handles one ref; index is its position in a list field, or -1.
		relate := func(e *Entity, f specField, raw string, index int) {
			defKind := f.refKind
			if defKind == "-" {
				defKind = ""
			}
			ref, err := ParseRef(raw, defKind, e.Metadata.Namespace)
			if err != nil {
				return // reported when the document was validated
			}
			// The key is built in a buffer: a target in the set lends
			// its own key, and only a dangling one needs a string.
			key = ref.appendKey(key[:0])
			if t, ok := byKey[string(key)]; ok {
				// The target's own key: one string per entity, however
				// many relations point at it.
				e.Relations = append(e.Relations, Relation{Type: f.relation, TargetRef: t.key})
				pt.inverses = append(pt.inverses, inverse{t, Relation{Type: InverseRelation(f.relation), TargetRef: e.key}})
				return
			}
			e.Relations = append(e.Relations, Relation{Type: f.relation, TargetRef: string(key)})
			pt.warnings = append(pt.warnings, danglingWarning(e, specRef{f.name, index}, raw, ref))
		}
		each(w, func(e *Entity) {
			for _, f := range refFields(e.Kind) {
				e.Spec.eachString(f.name, func(i int, v string) {
					if v != "" {
						relate(e, f, v, i)
					}
				})
			}
		})
	})
	var warnings Problems
	for _, pt := range parts {
		for _, inv := range pt.inverses {
			inv.target.Relations = append(inv.target.Relations, inv.rel)
		}
		warnings = append(warnings, pt.warnings...)
	}
	parallel(func(w int) {
		each(w, func(e *Entity) {
			sortRelations(e.Relations)
			e.Relations = compactRelations(e.Relations)
		})
	})
	return warnings
}

func danglingWarning(e *Entity, at specRef, raw string, ref Ref) Problem {
	line, col := e.Origin.Line, 1
	if p, ok := e.refPosition(at); ok {
		line, col = p.line, p.col
	}
	field := at.String()
	what := strings.ToLower(ref.Kind)
	return Problem{
		File: e.Origin.File, Doc: e.Origin.Doc, Line: line, Column: col,
		Severity: SeverityWarning, Kind: e.Kind, Name: e.Metadata.Name, Field: field, Code: CodeDangling,
		Message: fmt.Sprintf("%s %q refers to %s %s, which is not in the catalog", field, raw, what, ref.Short()),
	}
}

// compactRelations drops repeats from a sorted list: a Group listing a member
// and the User naming the Group both produce the same pair.
func compactRelations(rs []Relation) []Relation {
	out := rs[:0]
	for _, r := range rs {
		if len(out) > 0 && r == out[len(out)-1] {
			continue
		}
		out = append(out, r)
	}
	return out
}
