package catalog

import (
	"fmt"
	"strings"
)

// Relate computes every entity's relations in both directions, as Backstage's
// built-in processor emits them, replacing any relations the entities had.
// It returns a warning for every reference to an entity that is not in the
// set. The entities must have unique keys.
func Relate(entities []*Entity) Problems {
	byKey := make(map[string]*Entity, len(entities))
	for _, e := range entities {
		e.cacheKey()
		byKey[e.Key()] = e
		e.Relations = e.Relations[:0]
	}
	var warnings Problems
	add := func(e *Entity, typ, target string) {
		e.Relations = append(e.Relations, Relation{Type: typ, TargetRef: target})
	}
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
		target := ref.Key()
		if t, ok := byKey[target]; ok {
			// The target's own key: one string per entity, however many
			// relations point at it.
			add(e, f.relation, t.Key())
			add(t, InverseRelation(f.relation), e.Key())
			return
		}
		add(e, f.relation, target)
		warnings = append(warnings, danglingWarning(e, specRef{f.name, index}, raw, ref))
	}
	fieldsOf := make(map[string][]specField) // ref fields by kind
	for _, e := range entities {
		fields, ok := fieldsOf[e.Kind]
		if !ok {
			fields = refFields(e.Kind)
			fieldsOf[e.Kind] = fields
		}
		for _, f := range fields {
			switch v := e.Spec[f.name].(type) {
			case string:
				if v != "" {
					relate(e, f, v, -1)
				}
			case []any:
				for i, x := range v {
					if s, ok := x.(string); ok && s != "" {
						relate(e, f, s, i)
					}
				}
			}
		}
	}
	for _, e := range entities {
		sortRelations(e.Relations)
		e.Relations = compactRelations(e.Relations)
	}
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
