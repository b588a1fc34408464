package catalog

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Relate computes every entity's relations in both directions, as Backstage's
// built-in processor emits them, replacing any relations the entities had.
// It returns a warning for every reference to an entity that is not in the
// set. The entities must have unique keys.
//
// The refs are resolved in parallel, each worker over a contiguous run of
// entities; then each entity's relations, its own and the inverses that
// point at it, are copied into a slice of exactly their number carved from
// one array per worker, and sorted. Growing 190,000
// slices one append at a time took a third of Relate. Beside the relations
// it keeps each target's position in entities, which a store writing the
// entities in the same order can use (see Entity.RelationTargetHint); Sync
// relates entities in key order for that.
func Relate(entities []*Entity) Problems {
	byKey := make(map[string]int32, len(entities))
	// keys are the entities' keys side by side: a relation takes its
	// target's, and reading it from the target was a cache miss each.
	keys := make([]string, len(entities))
	for i, e := range entities {
		e.cacheKey()
		byKey[e.key] = int32(i)
		keys[i] = e.key
	}
	// In key order, positions order targets as their keys do, and sorting
	// relations compares numbers instead of strings all over the heap.
	keyOrder := slices.IsSorted(keys)
	// Relations are gathered as positions and types, 8 and 12 bytes, and
	// given their target keys when they are placed: gathered whole they
	// were 54 MB for 100,000 components, allocated when the heap is
	// largest.
	type ownRelation struct {
		target int32 // position in entities, or -1 for the next dangling key
		typ    RelationType
	}
	type inverse struct {
		target, source int32 // positions in entities
		typ            RelationType
	}
	type part struct {
		out      []ownRelation // the worker's entities' own relations, in order
		dangling []string      // the keys of the targets not in the set, in order
		inverses []inverse
		warnings Problems
	}
	workers := min(runtime.GOMAXPROCS(0), (len(entities)+4095)/4096)
	parts := make([]part, workers)
	bounds := func(w int) (int, int) { return w * len(entities) / workers, (w + 1) * len(entities) / workers }
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
	// own[i] is how many relations entities[i] has of its own.
	own := make([]int32, len(entities))
	parallel(func(w int) {
		pt := &parts[w]
		var key []byte
		// relate handles one ref; index is its position in a list field, or -1.
		relate := func(i int, e *Entity, f specField, raw string, index int) {
			defKind := f.refKind
			if defKind == "-" {
				defKind = ""
			}
			ref, err := ParseRef(raw, defKind, e.Metadata.Namespace)
			if err != nil {
				return // reported when the document was validated
			}
			own[i]++
			// The key is built in a buffer: a target in the set lends
			// its own key, and only a dangling one needs a string.
			key = ref.appendKey(key[:0])
			if t, ok := byKey[string(key)]; ok {
				pt.out = append(pt.out, ownRelation{t, f.relation})
				pt.inverses = append(pt.inverses, inverse{t, int32(i), InverseRelation(f.relation)})
				return
			}
			pt.out = append(pt.out, ownRelation{-1, f.relation})
			pt.dangling = append(pt.dangling, string(key))
			pt.warnings = append(pt.warnings, danglingWarning(e, specRef{f.name, index}, raw, ref))
		}
		lo, hi := bounds(w)
		// Sized up front: grown by doubling, these two were most of what
		// a sync allocated after parsing.
		n := 0
		for _, e := range entities[lo:hi] {
			n += refCount(e)
		}
		pt.out = make([]ownRelation, 0, n)
		pt.inverses = make([]inverse, 0, n)
		for i := lo; i < hi; i++ {
			e := entities[i]
			eachRef(e, func(f specField, index int, v string) {
				if v != "" {
					relate(i, e, f, v, index)
				}
			})
		}
	})
	// Each entity's slice holds its own relations and has room for the
	// inverses that point at it. Each worker then fills and sorts the
	// slices of its own run of entities, taking the inverses that point
	// into the run from every worker's list: nothing is written by two.
	size := slices.Clone(own)
	var warnings Problems
	for _, pt := range parts {
		for _, inv := range pt.inverses {
			size[inv.target]++
		}
		warnings = append(warnings, pt.warnings...)
	}
	parallel(func(w int) {
		lo, hi := bounds(w)
		total := 0
		for _, n := range size[lo:hi] {
			total += int(n)
		}
		arena := make([]Relation, 0, total)
		hints := make([]int32, 0, total)
		out, dangling := parts[w].out, parts[w].dangling
		for i := lo; i < hi; i++ {
			e := entities[i]
			n := int(size[i])
			if n == 0 {
				e.Relations, e.relTargets = nil, nil
				continue
			}
			start := len(arena)
			for _, r := range out[:own[i]] {
				// A target in the set lends its own key: one string per
				// entity, however many relations point at it.
				ref := ""
				if r.target >= 0 {
					ref = keys[r.target]
				} else {
					ref, dangling = dangling[0], dangling[1:]
				}
				arena = append(arena, Relation{Type: r.typ, TargetRef: ref})
				hints = append(hints, r.target)
			}
			out = out[own[i]:]
			e.Relations = arena[start : len(arena) : start+n]
			e.relTargets = hints[start : len(hints) : start+n]
			arena, hints = arena[:start+n], hints[:start+n]
		}
		for _, pt := range parts {
			for _, inv := range pt.inverses {
				if int(inv.target) < lo || int(inv.target) >= hi {
					continue
				}
				t := entities[inv.target]
				t.Relations = append(t.Relations, Relation{Type: inv.typ, TargetRef: keys[inv.source]})
				t.relTargets = append(t.relTargets, inv.source)
			}
		}
		var buf []hintedRelation
		for _, e := range entities[lo:hi] {
			buf = sortHintedRelations(e, buf, keyOrder)
		}
	})
	return warnings
}

// hintedRelation is a relation and its target's position among the
// entities Relate was given, or -1.
type hintedRelation struct {
	Relation
	target int32
}

// sortHintedRelations sorts e's relations, and their target positions with
// them, and drops repeats: a Group listing a member and the User naming the
// Group both produce the same pair. When byPosition, positions are in key
// order and resolved targets compare by position. buf is scratch space,
// returned for reuse.
func sortHintedRelations(e *Entity, buf []hintedRelation, byPosition bool) []hintedRelation {
	buf = buf[:0]
	for i, r := range e.Relations {
		buf = append(buf, hintedRelation{r, e.relTargets[i]})
	}
	slices.SortFunc(buf, func(a, b hintedRelation) int {
		if c := cmp.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		if byPosition && a.target >= 0 && b.target >= 0 {
			return int(a.target) - int(b.target)
		}
		return strings.Compare(a.TargetRef, b.TargetRef)
	})
	rs, ts := e.Relations[:0], e.relTargets[:0]
	for _, hr := range buf {
		if n := len(rs); n > 0 && hr.Relation == rs[n-1] {
			continue
		}
		rs, ts = append(rs, hr.Relation), append(ts, hr.target)
	}
	e.Relations, e.relTargets = rs, ts
	return buf
}

// eachRef calls fn with each string of e's ref fields: a field's string
// (index -1) or each string item of its list. It reads the spec in one
// pass, not a lookup per ref field, so refs come in field-name order.
func eachRef(e *Entity, fn func(f specField, index int, v string)) {
	refs := refFields(e.Kind)
	for key, val := range e.Spec.fields() {
		for _, f := range refs {
			if f.name == key {
				eachStringOf(val, func(index int, v string) { fn(f, index, v) })
				break
			}
		}
	}
}

// refCount is how many refs e's spec holds: the positions the parser
// recorded, or for an entity from a store, a count of the ref fields'
// strings.
func refCount(e *Entity) int {
	if e.refPos != "" {
		return e.refPositionCount()
	}
	n := 0
	eachRef(e, func(specField, int, string) { n++ })
	return n
}

func danglingWarning(e *Entity, at specRef, raw string, ref Ref) Problem {
	line, col := int(e.Origin.Line), 1
	if p, ok := e.refPosition(at); ok {
		line, col = p.line, p.col
	}
	field := at.String()
	what := strings.ToLower(ref.Kind)
	return Problem{
		File: e.Origin.File, Doc: int(e.Origin.Doc), Line: line, Column: col,
		Severity: SeverityWarning, Kind: e.Kind, Name: e.Metadata.Name, Field: field, Code: CodeDangling,
		Message: fmt.Sprintf("%s %q refers to %s %s, which is not in the catalog", field, raw, what, ref.Short()),
	}
}
