package catalog_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/callboard/callboard/catalog"
	"github.com/callboard/callboard/catalog/catalogtest"
)

// parseDocs parses descriptor documents as one file and fails on any
// problem, so relation tests start from valid entities.
func parseDocs(t *testing.T, file string, ds ...string) []*catalog.Entity {
	t.Helper()
	res := catalog.Parse(file, []byte(docs(ds...)))
	if len(res.Problems) > 0 {
		t.Fatalf("Parse(%s) problems:%s\nwant none", file, problemLines(res.Problems))
	}
	return res.Entities
}

// entityDoc is a document of any kind with the given spec lines.
func entityDoc(kind, name string, spec ...string) string {
	ns := ""
	if n, rest, ok := strings.Cut(name, "/"); ok {
		ns, name = "\n  namespace: "+n, rest
	}
	av := "backstage.io/v1alpha1"
	if kind == catalog.KindTemplate {
		av = "scaffolder.backstage.io/v1beta3"
	}
	return fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata:\n  name: %s%s\nspec:\n  %s\n", av, kind, name, ns, strings.Join(spec, "\n  "))
}

func rel(typ catalog.RelationType, target string) catalog.Relation {
	return catalog.Relation{Type: typ, TargetRef: target}
}

func TestRelate(t *testing.T) {
	component := func(name string, spec ...string) string {
		return entityDoc(catalog.KindComponent, name, append([]string{"type: service", "lifecycle: production"}, spec...)...)
	}
	group := func(name string, spec ...string) string {
		return entityDoc(catalog.KindGroup, name, append([]string{"type: team"}, spec...)...)
	}
	tests := []struct {
		name string
		docs []string
		want map[string][]catalog.Relation // every relation of these entities
	}{
		{
			name: "ownedBy and ownerOf, owner defaults to a Group",
			docs: []string{
				component("svc", "owner: team"),
				group("team", "children: []"),
			},
			want: map[string][]catalog.Relation{
				"component:default/svc": {rel(catalog.RelOwnedBy, "group:default/team")},
				"group:default/team":    {rel(catalog.RelOwnerOf, "component:default/svc")},
			},
		},
		{
			name: "owner may be a User; refs are lowercased",
			docs: []string{
				component("Svc", "owner: User:Jane.Doe"),
				entityDoc(catalog.KindUser, "jane.doe", "memberOf: []"),
			},
			want: map[string][]catalog.Relation{
				"component:default/svc": {rel(catalog.RelOwnedBy, "user:default/jane.doe")},
				"user:default/jane.doe": {rel(catalog.RelOwnerOf, "component:default/svc")},
			},
		},
		{
			name: "owner of every owning kind",
			docs: []string{
				entityDoc(catalog.KindAPI, "api", "type: openapi", "lifecycle: production", "owner: team", "definition: openapi"),
				entityDoc(catalog.KindResource, "db", "type: database", "owner: team"),
				entityDoc(catalog.KindSystem, "sys", "owner: team"),
				entityDoc(catalog.KindDomain, "dom", "owner: team"),
				entityDoc(catalog.KindTemplate, "tpl", "type: service", "owner: team", "steps: []"),
				group("team", "children: []"),
			},
			want: map[string][]catalog.Relation{
				"api:default/api":      {rel(catalog.RelOwnedBy, "group:default/team")},
				"resource:default/db":  {rel(catalog.RelOwnedBy, "group:default/team")},
				"system:default/sys":   {rel(catalog.RelOwnedBy, "group:default/team")},
				"domain:default/dom":   {rel(catalog.RelOwnedBy, "group:default/team")},
				"template:default/tpl": {rel(catalog.RelOwnedBy, "group:default/team")},
				"group:default/team": {
					rel(catalog.RelOwnerOf, "api:default/api"), rel(catalog.RelOwnerOf, "domain:default/dom"),
					rel(catalog.RelOwnerOf, "resource:default/db"), rel(catalog.RelOwnerOf, "system:default/sys"),
					rel(catalog.RelOwnerOf, "template:default/tpl"),
				},
			},
		},
		{
			name: "partOf and hasPart from subcomponentOf, system, domain and subdomainOf",
			docs: []string{
				component("child", "owner: team", "subcomponentOf: parent"),
				component("parent", "owner: team", "system: sys"),
				entityDoc(catalog.KindAPI, "api", "type: openapi", "lifecycle: production", "owner: team", "definition: x", "system: sys"),
				entityDoc(catalog.KindResource, "db", "type: database", "owner: team", "system: sys"),
				entityDoc(catalog.KindSystem, "sys", "owner: team", "domain: dom"),
				entityDoc(catalog.KindDomain, "dom", "owner: team", "subdomainOf: top"),
				entityDoc(catalog.KindDomain, "top", "owner: team"),
			},
			want: map[string][]catalog.Relation{
				"component:default/child": {rel(catalog.RelOwnedBy, "group:default/team"), rel(catalog.RelPartOf, "component:default/parent")},
				"component:default/parent": {
					rel(catalog.RelHasPart, "component:default/child"),
					rel(catalog.RelOwnedBy, "group:default/team"), rel(catalog.RelPartOf, "system:default/sys"),
				},
				"system:default/sys": {
					rel(catalog.RelHasPart, "api:default/api"), rel(catalog.RelHasPart, "component:default/parent"),
					rel(catalog.RelHasPart, "resource:default/db"),
					rel(catalog.RelOwnedBy, "group:default/team"), rel(catalog.RelPartOf, "domain:default/dom"),
				},
				"domain:default/dom": {
					rel(catalog.RelHasPart, "system:default/sys"),
					rel(catalog.RelOwnedBy, "group:default/team"), rel(catalog.RelPartOf, "domain:default/top"),
				},
				"domain:default/top": {rel(catalog.RelHasPart, "domain:default/dom"), rel(catalog.RelOwnedBy, "group:default/team")},
			},
		},
		{
			name: "dependsOn and dependencyOf in both directions",
			docs: []string{
				component("svc", "owner: team", "dependsOn: [resource:db, Component:Lib]", "dependencyOf: [component:gateway]"),
				entityDoc(catalog.KindResource, "db", "type: database", "owner: team", "dependencyOf: [component:reporting]"),
				component("lib", "owner: team"),
				component("gateway", "owner: team"),
				component("reporting", "owner: team"),
			},
			want: map[string][]catalog.Relation{
				"component:default/svc": {
					rel(catalog.RelDependencyOf, "component:default/gateway"),
					rel(catalog.RelDependsOn, "component:default/lib"), rel(catalog.RelDependsOn, "resource:default/db"),
					rel(catalog.RelOwnedBy, "group:default/team"),
				},
				"resource:default/db": {
					rel(catalog.RelDependencyOf, "component:default/reporting"),
					rel(catalog.RelDependencyOf, "component:default/svc"),
					rel(catalog.RelOwnedBy, "group:default/team"),
				},
				"component:default/lib":       {rel(catalog.RelDependencyOf, "component:default/svc"), rel(catalog.RelOwnedBy, "group:default/team")},
				"component:default/gateway":   {rel(catalog.RelDependsOn, "component:default/svc"), rel(catalog.RelOwnedBy, "group:default/team")},
				"component:default/reporting": {rel(catalog.RelDependsOn, "resource:default/db"), rel(catalog.RelOwnedBy, "group:default/team")},
			},
		},
		{
			name: "providesApi and consumesApi with their inverses",
			docs: []string{
				component("svc", "owner: team", "providesApis: [rest]", "consumesApis: [api:events, rest]"),
				entityDoc(catalog.KindAPI, "rest", "type: openapi", "lifecycle: production", "owner: team", "definition: x"),
				entityDoc(catalog.KindAPI, "events", "type: asyncapi", "lifecycle: production", "owner: team", "definition: x"),
			},
			want: map[string][]catalog.Relation{
				"component:default/svc": {
					rel(catalog.RelConsumesAPI, "api:default/events"), rel(catalog.RelConsumesAPI, "api:default/rest"),
					rel(catalog.RelOwnedBy, "group:default/team"), rel(catalog.RelProvidesAPI, "api:default/rest"),
				},
				"api:default/rest": {
					rel(catalog.RelAPIConsumedBy, "component:default/svc"), rel(catalog.RelAPIProvidedBy, "component:default/svc"),
					rel(catalog.RelOwnedBy, "group:default/team"),
				},
				"api:default/events": {rel(catalog.RelAPIConsumedBy, "component:default/svc"), rel(catalog.RelOwnedBy, "group:default/team")},
			},
		},
		{
			name: "memberOf and hasMember from both sides, once each",
			docs: []string{
				entityDoc(catalog.KindUser, "jane", "memberOf: [team, other]"),
				entityDoc(catalog.KindUser, "joe", "memberOf: []"),
				group("team", "children: []", "members: [jane, joe]"),
				group("other", "children: []"),
			},
			want: map[string][]catalog.Relation{
				"user:default/jane": {rel(catalog.RelMemberOf, "group:default/other"), rel(catalog.RelMemberOf, "group:default/team")},
				"user:default/joe":  {rel(catalog.RelMemberOf, "group:default/team")},
				"group:default/team": {
					rel(catalog.RelHasMember, "user:default/jane"), rel(catalog.RelHasMember, "user:default/joe"),
				},
				"group:default/other": {rel(catalog.RelHasMember, "user:default/jane")},
			},
		},
		{
			name: "childOf and parentOf from parent and children, once each",
			docs: []string{
				group("org", "children: [a, b]"),
				group("a", "children: []", "parent: org"),
				group("b", "children: []"),
				group("c", "children: []", "parent: org"),
			},
			want: map[string][]catalog.Relation{
				"group:default/org": {
					rel(catalog.RelParentOf, "group:default/a"), rel(catalog.RelParentOf, "group:default/b"),
					rel(catalog.RelParentOf, "group:default/c"),
				},
				"group:default/a": {rel(catalog.RelChildOf, "group:default/org")},
				"group:default/b": {rel(catalog.RelChildOf, "group:default/org")},
				"group:default/c": {rel(catalog.RelChildOf, "group:default/org")},
			},
		},
		{
			name: "namespace is inherited from the referring entity",
			docs: []string{
				component("ops/svc", "owner: team", "system: default/sys", "dependsOn: [resource:db]"),
				group("ops/team", "children: []"),
				entityDoc(catalog.KindResource, "ops/db", "type: database", "owner: group:default/platform"),
				entityDoc(catalog.KindSystem, "sys", "owner: platform"),
				group("platform", "children: []"),
			},
			want: map[string][]catalog.Relation{
				"component:ops/svc": {
					rel(catalog.RelDependsOn, "resource:ops/db"), rel(catalog.RelOwnedBy, "group:ops/team"),
					rel(catalog.RelPartOf, "system:default/sys"),
				},
				"group:ops/team": {rel(catalog.RelOwnerOf, "component:ops/svc")},
				"resource:ops/db": {
					rel(catalog.RelDependencyOf, "component:ops/svc"), rel(catalog.RelOwnedBy, "group:default/platform"),
				},
				"system:default/sys": {rel(catalog.RelHasPart, "component:ops/svc"), rel(catalog.RelOwnedBy, "group:default/platform")},
				"group:default/platform": {
					rel(catalog.RelOwnerOf, "resource:ops/db"), rel(catalog.RelOwnerOf, "system:default/sys"),
				},
			},
		},
		{
			name: "a written kind overrides the field's default kind",
			docs: []string{
				component("svc", "owner: team", "system: component:other", "subcomponentOf: system:sys"),
			},
			want: map[string][]catalog.Relation{
				"component:default/svc": {
					rel(catalog.RelOwnedBy, "group:default/team"),
					rel(catalog.RelPartOf, "component:default/other"), rel(catalog.RelPartOf, "system:default/sys"),
				},
			},
		},
		{
			name: "Locations have no relations",
			docs: []string{
				entityDoc(catalog.KindLocation, "loc", "target: ./svc.yaml", "type: file"),
			},
			want: map[string][]catalog.Relation{"location:default/loc": nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := parseDocs(t, "catalog-info.yaml", tt.docs...)
			catalog.Relate(es)
			for key, want := range tt.want {
				e := findEntity(es, key)
				if e == nil {
					t.Fatalf("entities = %v, want %s", entityKeys(es), key)
				}
				if !slices.Equal(e.Relations, want) {
					t.Errorf("Relate(): %s relations = %v, want %v", key, e.Relations, want)
				}
			}
		})
	}
}

// TestRelate_Pairs checks the invariant that every relation has its inverse
// on its target when the target is in the set.
func TestRelate_Pairs(t *testing.T) {
	res := load(t, &catalog.Loader{Roots: []string{"../examples/org/catalog-info.yaml"}}, nil)
	catalog.Relate(res.Entities)
	byKey := map[string]*catalog.Entity{}
	for _, e := range res.Entities {
		byKey[e.Key()] = e
	}
	pairs := 0
	for _, e := range res.Entities {
		for _, r := range e.Relations {
			target, ok := byKey[r.TargetRef]
			if !ok {
				t.Errorf("%s %s %s: target not in the catalog", e.Key(), r.Type, r.TargetRef)
				continue
			}
			inv := catalog.InverseRelation(r.Type)
			if !slices.Contains(target.Relations, rel(inv, e.Key())) {
				t.Errorf("%s %s %s, but %s lacks %s %s", e.Key(), r.Type, r.TargetRef, r.TargetRef, inv, e.Key())
			}
			if r.TargetRef != strings.ToLower(r.TargetRef) {
				t.Errorf("%s %s %q: targetRef not lowercase", e.Key(), r.Type, r.TargetRef)
			}
			pairs++
		}
		if !slices.IsSortedFunc(e.Relations, func(a, b catalog.Relation) int {
			return strings.Compare(a.Type.String()+" "+a.TargetRef, b.Type.String()+" "+b.TargetRef)
		}) || len(slices.Compact(slices.Clone(e.Relations))) != len(e.Relations) {
			t.Errorf("%s relations %v are not sorted and unique", e.Key(), e.Relations)
		}
	}
	if pairs == 0 {
		t.Error("the example organisation has no relations")
	}
}

func TestInverseRelation(t *testing.T) {
	for typ, want := range map[catalog.RelationType]catalog.RelationType{
		catalog.RelOwnedBy: catalog.RelOwnerOf, catalog.RelPartOf: catalog.RelHasPart,
		catalog.RelDependsOn: catalog.RelDependencyOf, catalog.RelProvidesAPI: catalog.RelAPIProvidedBy,
		catalog.RelConsumesAPI: catalog.RelAPIConsumedBy, catalog.RelMemberOf: catalog.RelHasMember,
		catalog.RelChildOf: catalog.RelParentOf, 0: 0, 200: 0,
	} {
		if got := catalog.InverseRelation(typ); got != want {
			t.Errorf("InverseRelation(%q) = %q, want %q", typ, got, want)
		}
		if want != 0 {
			if back := catalog.InverseRelation(want); back != typ {
				t.Errorf("InverseRelation(%q) = %q, want %q", want, back, typ)
			}
		}
	}
}

// TestRelationTypes: every type has Backstage's name, reads back from it
// and from JSON, and types order as their names do, which keeps relations
// sorted by type in the order they were when types were strings.
func TestRelationTypes(t *testing.T) {
	want := []string{"apiConsumedBy", "apiProvidedBy", "childOf", "consumesApi", "dependencyOf", "dependsOn",
		"hasMember", "hasPart", "memberOf", "ownedBy", "ownerOf", "parentOf", "partOf", "providesApi"}
	var names []string
	for _, typ := range catalog.RelationTypes() {
		names = append(names, typ.String())
		if back, ok := catalog.ParseRelationType(typ.String()); !ok || back != typ {
			t.Errorf("ParseRelationType(%q) = %d, %v", typ, back, ok)
		}
		if catalog.InverseRelation(catalog.InverseRelation(typ)) != typ {
			t.Errorf("%s has no inverse", typ)
		}
	}
	if !slices.Equal(names, want) {
		t.Errorf("relation types %v, want %v", names, want)
	}
	b, err := json.Marshal(catalog.Relation{Type: catalog.RelOwnedBy, TargetRef: "group:default/team"})
	if err != nil || string(b) != `{"type":"ownedBy","targetRef":"group:default/team"}` {
		t.Errorf("json.Marshal(relation) = %s, %v", b, err)
	}
	var r catalog.Relation
	if err := json.Unmarshal([]byte(`{"type":"OwnedBy","targetRef":"x"}`), &r); err == nil || !strings.Contains(err.Error(), "ownedBy") {
		t.Errorf("a misspelt type read as %v, %v; want an error listing the types", r, err)
	}
	if _, err := json.Marshal(catalog.Relation{}); err == nil {
		t.Error("a relation with no type marshalled")
	}
}

func TestRelate_Dangling(t *testing.T) {
	es := parseDocs(t, "org.yaml",
		entityDoc(catalog.KindComponent, "svc",
			"type: service",
			"lifecycle: production",
			"owner: ghosts", // line 8
			"dependsOn:",
			"  - resource:db",
			"  - component:nowhere", // line 11
			"providesApis: [rest, ops/missing]",
		),
		entityDoc(catalog.KindResource, "db", "type: database", "owner: svc-team"),
		entityDoc(catalog.KindGroup, "svc-team", "type: team", "children: []"),
		entityDoc(catalog.KindAPI, "rest", "type: openapi", "lifecycle: production", "owner: svc-team", "definition: x"),
		entityDoc(catalog.KindUser, "jane", "memberOf: [svc-team, gone]"), // line 45
	)
	warnings := catalog.Relate(es)
	type loc struct {
		Name, Field string
		Line, Col   int
		Target      string
	}
	want := []loc{
		{"svc", "spec.owner", 8, 10, "group:ghosts"},
		{"svc", "spec.dependsOn[1]", 11, 7, "component:nowhere"},
		{"svc", "spec.providesApis[1]", 12, 24, "api:ops/missing"},
		{"jane", "spec.memberOf[1]", 45, 24, "group:gone"},
	}
	var got []loc
	for _, p := range warnings {
		if p.IsError() || p.Code != catalog.CodeDangling || p.File != "org.yaml" {
			t.Errorf("Relate() problem %s (%s, code %q), want a dangling-ref warning in org.yaml", p, p.Severity, p.Code)
		}
		target := ""
		for _, w := range want {
			if w.Field == p.Field && strings.Contains(p.Message, w.Target) {
				target = w.Target
			}
		}
		got = append(got, loc{p.Name, p.Field, p.Line, p.Column, target})
	}
	slices.SortFunc(got, func(a, b loc) int { return a.Line - b.Line })
	if !slices.Equal(got, want) {
		t.Errorf("Relate() warnings:%s\ngot  %v\nwant %v", problemLines(warnings), got, want)
	}
	// A dangling reference still yields the forward relation.
	svc := findEntity(es, "component:default/svc")
	if !slices.Contains(svc.Relations, rel(catalog.RelOwnedBy, "group:default/ghosts")) {
		t.Errorf("svc relations = %v, want ownedBy group:default/ghosts", svc.Relations)
	}
}

// TestRelate_Replaces checks that relating again gives the same relations,
// not twice as many.
func TestRelate_Replaces(t *testing.T) {
	es := parseDocs(t, "a.yaml",
		entityDoc(catalog.KindComponent, "svc", "type: service", "lifecycle: production", "owner: team"),
		entityDoc(catalog.KindGroup, "team", "type: team", "children: []"),
	)
	catalog.Relate(es)
	first := slices.Clone(findEntity(es, "group:default/team").Relations)
	catalog.Relate(es)
	if got := findEntity(es, "group:default/team").Relations; !slices.Equal(got, first) {
		t.Errorf("second Relate(): team relations = %v, want %v", got, first)
	}
}

// TestRelate_DanglingWithoutPositions relates entities built in code, as a
// Store returns them: warnings fall back to the entity's line, and list
// items keep their own index even when other items are not refs.
func TestRelate_DanglingWithoutPositions(t *testing.T) {
	svc := &catalog.Entity{
		APIVersion: "backstage.io/v1alpha1",
		Kind:       catalog.KindComponent,
		Metadata:   catalog.Metadata{Name: "svc", Namespace: catalog.DefaultNamespace},
		Spec: catalog.MustSpec(map[string]any{
			"type": "service", "lifecycle": "production", "owner": "team",
			"dependencyOf": []any{"component:a", int64(5), "", "component:b"},
		}),
		Origin: catalog.Origin{File: "stored.yaml", Doc: 2, Line: 40},
	}
	warnings := catalog.Relate([]*catalog.Entity{svc})
	var got []string
	for _, p := range warnings {
		if p.File != "stored.yaml" || p.Line != 40 || p.Column != 1 || p.Doc != 2 {
			t.Errorf("warning %s at doc %d, want stored.yaml:40:1 doc 2", p, p.Doc)
		}
		got = append(got, p.Field)
	}
	slices.Sort(got)
	want := []string{"spec.dependencyOf[0]", "spec.dependencyOf[3]", "spec.owner"}
	if !slices.Equal(got, want) {
		t.Errorf("Relate() warning fields = %v, want %v", got, want)
	}
	wantRels := []catalog.Relation{
		rel(catalog.RelDependencyOf, "component:default/a"), rel(catalog.RelDependencyOf, "component:default/b"),
		rel(catalog.RelOwnedBy, "group:default/team"),
	}
	if !slices.Equal(svc.Relations, wantRels) {
		t.Errorf("Relate(): svc relations = %v, want %v", svc.Relations, wantRels)
	}
}

// TestRelate_AcrossWorkers relates an organisation large enough to be split
// between workers, in key order as Sync does, and checks what the workers
// must agree on: every relation's inverse is on its target, lists are
// sorted without repeats, and each target hint names the target.
func TestRelate_AcrossWorkers(t *testing.T) {
	dir := t.TempDir()
	if _, err := catalogtest.GenerateOrg(dir, 2500); err != nil {
		t.Fatal(err)
	}
	res, err := (&catalog.Loader{Roots: []string{filepath.Join(dir, catalogtest.RootFile)}}).Load(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	es := res.Entities
	if len(es) <= 4096 {
		t.Fatalf("%d entities: too few for two workers", len(es))
	}
	slices.SortFunc(es, func(a, b *catalog.Entity) int { return strings.Compare(a.Key(), b.Key()) })
	if warnings := catalog.Relate(es); len(warnings) != 0 {
		t.Fatalf("%d warnings, first %s", len(warnings), warnings[0])
	}
	byKey := map[string]*catalog.Entity{}
	for _, e := range es {
		byKey[e.Key()] = e
	}
	for i, e := range es {
		if !slices.IsSortedFunc(e.Relations, func(a, b catalog.Relation) int {
			return cmp.Or(cmp.Compare(a.Type, b.Type), strings.Compare(a.TargetRef, b.TargetRef))
		}) {
			t.Fatalf("%s relations not sorted: %v", e.Key(), e.Relations)
		}
		for j, r := range e.Relations {
			if j > 0 && r == e.Relations[j-1] {
				t.Fatalf("%s has %v twice", e.Key(), r)
			}
			target := byKey[r.TargetRef]
			if target == nil {
				t.Fatalf("%s relation %v: no such entity", e.Key(), r)
			}
			if pos, ok := e.RelationTargetHint(j); !ok || es[pos] != target {
				t.Fatalf("%s relation %v: hint %d, %v; want position of the target", e.Key(), r, pos, ok)
			}
			inv := catalog.Relation{Type: catalog.InverseRelation(r.Type), TargetRef: e.Key()}
			if !slices.Contains(target.Relations, inv) {
				t.Fatalf("%s (entity %d) has %v, its target lacks %v", e.Key(), i, r, inv)
			}
		}
	}
}
