package catalog_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callboard/callboard/catalog"
)

// fixtureIndex indexes testdata/index: see its catalog-info.yaml for the
// organisation's shape.
func fixtureIndex(t *testing.T) *catalog.Index {
	t.Helper()
	res := load(t, &catalog.Loader{Roots: []string{"testdata/index/catalog-info.yaml"}}, nil)
	problems := append(res.Problems, catalog.Relate(res.Entities)...)
	noProblems(t, problems)
	return catalog.NewIndex(res.Entities, problems, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
}

func keysOf(es []*catalog.Entity) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Key())
	}
	return out
}

func TestIndex_Get(t *testing.T) {
	ix := fixtureIndex(t)
	tests := []struct {
		key  string
		want string // "" for not found
	}{
		{"component:default/payments-api", "component:default/payments-api"},
		{"Component:Default/Payments-API", "component:default/payments-api"},
		{"api:default/payments-api", "api:default/payments-api"},
		{"component:ops/payments-api", "component:ops/payments-api"},
		{"group:default/payments", "group:default/payments"},
		{"component:default/absent", ""},
		{"component:payments-api", ""}, // not a canonical key
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			e, ok := ix.Get(tt.key)
			got := ""
			if ok {
				got = e.Key()
			}
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Get(%q) = %q, %v; want %q", tt.key, got, ok, tt.want)
			}
		})
	}
	if e, ok := ix.ByRef(catalog.MustRef("Group:Payments", "")); !ok || e.Key() != "group:default/payments" {
		t.Errorf("ByRef(group:Payments) = %v, %v; want group:default/payments", e, ok)
	}
}

func TestIndex_ByName(t *testing.T) {
	ix := fixtureIndex(t)
	tests := []struct {
		name string
		want []string
	}{
		{"payments-api", []string{"api:default/payments-api", "component:default/payments-api", "component:ops/payments-api"}},
		{"PAYMENTS-API", []string{"api:default/payments-api", "component:default/payments-api", "component:ops/payments-api"}},
		{"payments", []string{"group:default/payments"}},
		{"payment", nil},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keysOf(ix.ByName(tt.name)); !slices.Equal(got, tt.want) {
				t.Errorf("ByName(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

func TestIndex_Resolve(t *testing.T) {
	ix := fixtureIndex(t)
	tests := []struct {
		text string
		want []string // nil for ErrNotFound
	}{
		{"payments-api", []string{"api:default/payments-api", "component:default/payments-api", "component:ops/payments-api"}},
		{"  Payments ", []string{"group:default/payments"}},
		{"component:payments-api", []string{"component:default/payments-api"}},
		{"API:Payments-Api", []string{"api:default/payments-api"}},
		{"ops/payments-api", []string{"component:ops/payments-api"}},
		{"default/payments-api", []string{"api:default/payments-api", "component:default/payments-api"}},
		{"component:ops/payments-api", []string{"component:ops/payments-api"}},
		{"group:default/ledger-ops", []string{"group:default/ledger-ops"}},
		{"absent", nil},
		{"component:absent", nil},
		{"group:payments-api", nil},
		{"ops/ledger-service", nil},
		{"component:", nil},
		{"", nil},
		{"   ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := ix.Resolve(tt.text)
			if tt.want == nil {
				if !errors.Is(err, catalog.ErrNotFound) {
					t.Errorf("Resolve(%q) = %v, %v; want ErrNotFound", tt.text, keysOf(got), err)
				}
				return
			}
			if err != nil || !slices.Equal(keysOf(got), tt.want) {
				t.Errorf("Resolve(%q) = %v, %v; want %v", tt.text, keysOf(got), err, tt.want)
			}
		})
	}
}

func TestIndex_ByOwner(t *testing.T) {
	ix := fixtureIndex(t)
	tests := []struct {
		name  string
		owner string
		want  []string
	}{
		{"group", "group:default/payments", []string{
			"api:default/payments-api", "component:default/payments-api", "component:ops/payments-api", "system:default/payments-core"}},
		{"any case", "Group:Default/Payments", []string{
			"api:default/payments-api", "component:default/payments-api", "component:ops/payments-api", "system:default/payments-core"}},
		{"user", "user:default/bob", []string{"component:default/ledger-cli"}},
		{"not transitive", "group:default/platform", []string{"component:default/platform-portal"}},
		{"owner that owns nothing", "group:default/ledger-ops", []string{"component:default/ledger-service"}},
		{"no such owner", "group:default/absent", nil},
		{"a member owns nothing through the group", "user:default/alice", []string{"component:default/alice-notes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keysOf(ix.ByOwner(tt.owner)); !slices.Equal(got, tt.want) {
				t.Errorf("ByOwner(%q) = %v, want %v", tt.owner, got, tt.want)
			}
		})
	}
}

func TestIndex_ByOwnerTransitive(t *testing.T) {
	ix := fixtureIndex(t)
	type owned struct{ Key, Via string }
	tests := []struct {
		name  string
		owner string
		want  []owned
	}{
		{
			name:  "group: itself, descendant groups, then their members",
			owner: "group:default/platform",
			want: []owned{
				{"component:default/platform-portal", "group:default/platform"},
				{"resource:default/shared-db", "group:default/ledger"},
				{"api:default/payments-api", "group:default/payments"},
				{"component:default/payments-api", "group:default/payments"},
				{"component:ops/payments-api", "group:default/payments"},
				{"system:default/payments-core", "group:default/payments"},
				{"component:default/ledger-service", "group:default/ledger-ops"},
				{"component:default/alice-notes", "user:default/alice"},
				{"component:default/ledger-cli", "user:default/bob"},
			},
		},
		{
			name:  "leaf group",
			owner: "Group:Default/Ledger-Ops",
			want: []owned{
				{"component:default/ledger-service", "group:default/ledger-ops"},
				{"component:default/ledger-cli", "user:default/bob"},
			},
		},
		{
			name:  "user: own, their groups' and the groups' descendants', not ancestors'",
			owner: "user:default/bob",
			want: []owned{
				{"component:default/ledger-cli", "user:default/bob"},
				{"component:default/ledger-service", "group:default/ledger-ops"},
			},
		},
		{
			name:  "cycle in the hierarchy",
			owner: "group:default/loop-a",
			want:  []owned{{"component:default/loop-tool", "group:default/loop-b"}},
		},
		{
			name:  "user in a cycle",
			owner: "user:default/carol",
			want:  []owned{{"component:default/loop-tool", "group:default/loop-b"}},
		},
		{
			name:  "unknown group",
			owner: "group:default/absent",
		},
		{
			name:  "unknown user",
			owner: "user:default/absent",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []owned
			for _, o := range ix.ByOwnerTransitive(tt.owner) {
				got = append(got, owned{o.Entity.Key(), o.Via})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ByOwnerTransitive(%q) = %v, want %v", tt.owner, got, tt.want)
			}
		})
	}
}

func TestIndex_Descendants(t *testing.T) {
	ix := fixtureIndex(t)
	tests := []struct {
		group string
		want  []string
	}{
		{"group:default/platform", []string{"group:default/platform", "group:default/ledger", "group:default/payments", "group:default/ledger-ops"}},
		{"GROUP:default/LEDGER", []string{"group:default/ledger", "group:default/ledger-ops"}},
		{"group:default/payments", []string{"group:default/payments"}},
		{"group:default/loop-a", []string{"group:default/loop-a", "group:default/loop-b"}},
		{"group:default/absent", []string{"group:default/absent"}},
	}
	for _, tt := range tests {
		t.Run(tt.group, func(t *testing.T) {
			if got := ix.Descendants(tt.group); !slices.Equal(got, tt.want) {
				t.Errorf("Descendants(%q) = %v, want %v", tt.group, got, tt.want)
			}
		})
	}
}

func TestIndex_Ancestors(t *testing.T) {
	ix := fixtureIndex(t)
	tests := []struct {
		group string
		want  []string
	}{
		{"group:default/ledger-ops", []string{"group:default/ledger", "group:default/platform"}},
		{"Group:Default/Payments", []string{"group:default/platform"}},
		{"group:default/platform", nil},
		{"group:default/loop-a", []string{"group:default/loop-b"}},
		{"group:default/absent", nil},
	}
	for _, tt := range tests {
		t.Run(tt.group, func(t *testing.T) {
			if got := ix.Ancestors(tt.group); !slices.Equal(got, tt.want) {
				t.Errorf("Ancestors(%q) = %v, want %v", tt.group, got, tt.want)
			}
		})
	}
}

func TestIndex_Members(t *testing.T) {
	ix := fixtureIndex(t)
	tests := []struct {
		group string
		want  []string
	}{
		{"group:default/payments", []string{"user:default/alice"}},
		{"group:default/ledger-ops", []string{"user:default/bob"}},
		{"group:default/loop-a", []string{"user:default/carol"}},
		{"group:default/platform", nil},
	}
	for _, tt := range tests {
		t.Run(tt.group, func(t *testing.T) {
			g, ok := ix.Get(tt.group)
			if !ok {
				t.Fatalf("Get(%q) found nothing", tt.group)
			}
			if got := keysOf(ix.Members(g)); !slices.Equal(got, tt.want) {
				t.Errorf("Members(%q) = %v, want %v", tt.group, got, tt.want)
			}
		})
	}
}

func TestIndex_GroupsOf(t *testing.T) {
	ix := fixtureIndex(t)
	tests := []struct {
		user string
		want []string
	}{
		{"user:default/alice", []string{"group:default/payments"}},
		{"user:default/carol", []string{"group:default/loop-a"}},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			u, ok := ix.Get(tt.user)
			if !ok {
				t.Fatalf("Get(%q) found nothing", tt.user)
			}
			if got := keysOf(ix.GroupsOf(u)); !slices.Equal(got, tt.want) {
				t.Errorf("GroupsOf(%q) = %v, want %v", tt.user, got, tt.want)
			}
		})
	}
}

func TestIndex_ByAnnotation(t *testing.T) {
	ix := fixtureIndex(t)
	tests := []struct {
		key, value string
		want       []string
	}{
		{catalog.AnnotationSlackUserID, "U-ALICE", []string{"user:default/alice"}},
		{catalog.AnnotationSlackUserID, "u-alice", nil},
		// The component with the same annotation is not a chat identity.
		{catalog.AnnotationSlackNotify, "C-PAY", []string{"group:default/payments"}},
		{catalog.AnnotationSlackNotify, "C-PLATFORM", []string{"group:default/platform"}},
		{catalog.AnnotationSlackNotify, "", nil},
		{"absent/annotation", "x", nil},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			if got := keysOf(ix.ByAnnotation(tt.key, tt.value)); !slices.Equal(got, tt.want) {
				t.Errorf("ByAnnotation(%q, %q) = %v, want %v", tt.key, tt.value, got, tt.want)
			}
		})
	}
}

func TestIndex_ByEmail(t *testing.T) {
	ix := fixtureIndex(t)
	tests := []struct {
		email string
		want  []string
	}{
		{"alice@acme.example", []string{"user:default/alice"}},
		{"ALICE@ACME.EXAMPLE", []string{"user:default/alice"}},
		{"platform@acme.example", []string{"group:default/platform"}},
		{"nobody@acme.example", nil},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			if got := keysOf(ix.ByEmail(tt.email)); !slices.Equal(got, tt.want) {
				t.Errorf("ByEmail(%q) = %v, want %v", tt.email, got, tt.want)
			}
		})
	}
}

func TestIndex_OfKind(t *testing.T) {
	ix := fixtureIndex(t)
	tests := []struct {
		kind string
		want []string
	}{
		{"API", []string{"api:default/payments-api"}},
		{"user", []string{"user:default/alice", "user:default/bob", "user:default/carol"}},
		{"Group", []string{"group:default/ledger", "group:default/ledger-ops", "group:default/loop-a",
			"group:default/loop-b", "group:default/payments", "group:default/platform"}},
		{"Component", []string{"component:default/alice-notes", "component:default/ledger-cli", "component:default/ledger-service",
			"component:default/loop-tool", "component:default/payments-api", "component:default/platform-portal",
			"component:ops/payments-api"}},
		{"comp", nil},
		{"Template", nil},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			if got := keysOf(ix.OfKind(tt.kind)); !slices.Equal(got, tt.want) {
				t.Errorf("OfKind(%q) = %v, want %v", tt.kind, got, tt.want)
			}
		})
	}
}

func TestIndex_Related(t *testing.T) {
	ix := fixtureIndex(t)
	svc, _ := ix.Get("component:default/payments-api")
	tests := []struct {
		typ  catalog.RelationType
		want []string
	}{
		{catalog.RelOwnedBy, []string{"group:default/payments"}},
		{catalog.RelPartOf, []string{"system:default/payments-core"}},
		{catalog.RelProvidesAPI, []string{"api:default/payments-api"}},
		{catalog.RelDependsOn, nil},
	}
	for _, tt := range tests {
		t.Run(tt.typ.String(), func(t *testing.T) {
			if got := keysOf(ix.Related(svc, tt.typ)); !slices.Equal(got, tt.want) {
				t.Errorf("Related(payments-api, %q) = %v, want %v", tt.typ, got, tt.want)
			}
		})
	}
	if got, want := ix.Owners(svc), []string{"group:default/payments"}; !slices.Equal(got, want) {
		t.Errorf("Owners(payments-api) = %v, want %v", got, want)
	}
}

func TestIndex_Snapshot(t *testing.T) {
	ix := fixtureIndex(t)
	if n := ix.Len(); n != 20 {
		t.Errorf("Len() = %d, want 20", n)
	}
	all := keysOf(ix.All())
	if !slices.IsSorted(all) || len(all) != ix.Len() {
		t.Errorf("All() = %v, want %d keys in order", all, ix.Len())
	}
	if want := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC); !ix.SyncedAt().Equal(want) {
		t.Errorf("SyncedAt() = %v, want %v", ix.SyncedAt(), want)
	}

	c := catalog.NewCatalog()
	if n := c.Index().Len(); n != 0 {
		t.Errorf("NewCatalog().Index().Len() = %d, want 0", n)
	}
	if _, err := c.Index().Resolve("payments"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("empty catalog: Resolve(%q) error = %v, want ErrNotFound", "payments", err)
	}
	old := c.Index()
	c.Swap(ix)
	if c.Index() != ix || old.Len() != 0 {
		t.Errorf("after Swap, Index() = %p (len %d), want %p; the old index has %d entities, want 0", c.Index(), c.Index().Len(), ix, old.Len())
	}
}

// ByName agrees with a scan of every entity, in key order, on a catalog
// whose names recur across kinds and namespaces, so that key order is
// many sorted runs of names. NewIndex takes what it is given: a name no
// descriptor may have (with a '/') is found by that name too.
func TestIndex_ByNameMatchesScan(t *testing.T) {
	kinds := []string{catalog.KindComponent, catalog.KindAPI, catalog.KindResource, catalog.KindSystem}
	var es []*catalog.Entity
	for i := range 600 {
		es = append(es, &catalog.Entity{
			APIVersion: "backstage.io/v1alpha1",
			Kind:       kinds[i%len(kinds)],
			Metadata: catalog.Metadata{
				Name:      fmt.Sprintf("Svc-%d", (i*7919)%97),
				Namespace: []string{"default", "ops", "Team-B"}[i%3],
			},
		})
	}
	es = append(es, &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindSystem, Metadata: catalog.Metadata{Name: "Svc/5", Namespace: "default"}})
	want := map[string][]string{}
	for _, e := range es {
		n := strings.ToLower(e.Metadata.Name)
		if !slices.Contains(want[n], e.Key()) {
			want[n] = append(want[n], e.Key())
		}
	}
	seen := map[string]bool{}
	var unique []*catalog.Entity
	for _, e := range es {
		if !seen[e.Key()] {
			seen[e.Key()] = true
			unique = append(unique, e)
		}
	}
	catalog.Relate(unique)
	ix := catalog.NewIndex(unique, nil, time.Time{})
	for n, keys := range want {
		slices.Sort(keys)
		if got := keysOf(ix.ByName(strings.ToUpper(n))); !slices.Equal(got, keys) {
			t.Errorf("ByName(%q) = %v, want %v", n, got, keys)
		}
	}
	if got := ix.ByName("svc-97"); got != nil {
		t.Errorf("ByName(svc-97) = %v, want nothing", keysOf(got))
	}
}

// A zero Index, like an empty one, finds nothing and suggests nothing.
func TestIndex_ZeroValueFindsNothing(t *testing.T) {
	var ix catalog.Index
	if got := ix.ByName("payments-api"); got != nil {
		t.Errorf("ByName() = %v", keysOf(got))
	}
	if got := ix.Suggest("payments-api", 3); got != nil {
		t.Errorf("Suggest() = %v", got)
	}
}
