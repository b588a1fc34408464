package catalog

import (
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrNotFound is returned when no entity matches a ref or name.
var ErrNotFound = errors.New("not found")

// Index is an immutable, in-memory view of one catalog snapshot. All methods
// are safe for concurrent use; a refresh builds a new Index and swaps it in
// through Catalog, so a reader holding an Index sees one snapshot throughout.
type Index struct {
	entities []*Entity // sorted by key
	keys     positionTable
	ownedBy  map[string][]*Entity // owner key → owned entities
	problems Problems
	syncedAt time.Time
	text     *textIndex
	names    *nameIndex
	// annotated and emails index Users and Groups only: the lookups chat
	// identity mapping needs on every request.
	annotated map[annotation][]*Entity
	emails    map[string][]*Entity
}

// NewIndex indexes a snapshot. The entities must already be related (see
// Relate) and have unique keys; NewIndex takes ownership of the slice.
func NewIndex(entities []*Entity, problems Problems, syncedAt time.Time) *Index {
	return newIndex(entities, problems, syncedAt, true)
}

// newIndex is NewIndex, on several goroutines when parallel. A sync builds
// the index while the store writes the snapshot, whose commits are one
// chain that waits for nothing else; an index on one goroutine leaves that
// chain a core, and the sync ends sooner.
func newIndex(entities []*Entity, problems Problems, syncedAt time.Time, parallel bool) *Index {
	for _, e := range entities {
		e.cacheKey()
		// Lookups need each entity's relations grouped by type (see
		// relationRange). Relate and the store keep them sorted by type
		// and target; checking the types alone compares strings that are
		// nearly always the same constants, where comparing targets read
		// keys from all over the heap.
		if !slices.IsSortedFunc(e.Relations, compareRelationTypes) {
			sortRelations(e.Relations)
			e.relTargets = nil // no longer in step
		}
	}
	sortByKey(entities)
	ix := &Index{
		entities:  entities,
		ownedBy:   make(map[string][]*Entity),
		problems:  problems,
		syncedAt:  syncedAt,
		annotated: make(map[annotation][]*Entity),
		emails:    make(map[string][]*Entity),
	}
	// The text and name indexes need only the sorted entities: they are
	// built beside the maps below.
	var wg sync.WaitGroup
	if parallel {
		wg.Add(2)
		go func() {
			defer wg.Done()
			ix.text = newTextIndex(entities, true)
		}()
		go func() {
			defer wg.Done()
			ix.names = newNameIndex(entities)
		}()
	} else {
		ix.text = newTextIndex(entities, false)
		ix.names = newNameIndex(entities)
	}
	seed := maphash.MakeSeed()
	hashes := make([]uint64, len(entities))
	for i, e := range entities {
		hashes[i] = maphash.String(seed, e.key)
		if e.Kind == KindUser || e.Kind == KindGroup {
			for _, a := range e.Metadata.Annotations {
				ix.annotated[annotation{a.Key, a.Value}] = append(ix.annotated[annotation{a.Key, a.Value}], e)
			}
			if m := strings.ToLower(e.ProfileField("email")); m != "" {
				ix.emails[m] = append(ix.emails[m], e)
			}
		}
		for _, r := range e.Relations {
			if r.Type == RelOwnedBy {
				ix.ownedBy[r.TargetRef] = append(ix.ownedBy[r.TargetRef], e)
			}
		}
	}
	ix.keys = newPositionTable(seed, hashes)
	wg.Wait()
	return ix
}

// Len is the number of entities.
func (ix *Index) Len() int { return len(ix.entities) }

// All returns every entity in key order. The slice must not be modified.
func (ix *Index) All() []*Entity { return ix.entities }

// Problems returns the problems found when the snapshot was built.
func (ix *Index) Problems() Problems { return ix.problems }

// SyncedAt is when the snapshot's sources were read.
func (ix *Index) SyncedAt() time.Time { return ix.syncedAt }

// Get returns the entity with a canonical key such as
// "component:default/payments-api" (any case).
func (ix *Index) Get(key string) (*Entity, bool) { return ix.get(strings.ToLower(key)) }

// get is Get for a key already lowercase.
func (ix *Index) get(key string) (*Entity, bool) {
	i, ok := ix.keys.find(key, ix.keyAt)
	if !ok {
		return nil, false
	}
	return ix.entities[i], true
}

func (ix *Index) keyAt(i int) string { return ix.entities[i].key }

// ByRef returns the entity a ref names.
func (ix *Index) ByRef(r Ref) (*Entity, bool) { return ix.Get(r.Key()) }

// ByName returns every entity with the given name, in any kind or
// namespace, case-insensitively. The slice belongs to the index: callers
// must not modify it.
func (ix *Index) ByName(name string) []*Entity {
	ni := ix.names
	if ni == nil {
		return nil
	}
	i, ok := ni.position(strings.ToLower(name))
	if !ok {
		return nil
	}
	return ni.byName[ni.first[i]:ni.first[i+1]:ni.first[i+1]]
}

// Resolve finds what a user typed (the slice it returns is the caller's): a full or partial ref ("group:payments",
// "default/payments-api", "component:ops/x") or a bare name. A bare name
// may match several entities.
func (ix *Index) Resolve(text string) ([]*Entity, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, fmt.Errorf("resolve %q: %w", text, ErrNotFound)
	}
	if strings.ContainsAny(text, ":/") {
		if r, err := ParseRef(text, "", DefaultNamespace); err == nil {
			if e, ok := ix.ByRef(r); ok {
				return []*Entity{e}, nil
			}
			return nil, fmt.Errorf("resolve %q: %w", text, ErrNotFound)
		}
		// "namespace/name" without a kind: any kind.
		if ns, name, ok := strings.Cut(text, "/"); ok && !strings.Contains(ns, ":") {
			var out []*Entity
			for _, e := range ix.ByName(name) {
				if strings.EqualFold(e.Metadata.Namespace, ns) {
					out = append(out, e)
				}
			}
			if len(out) > 0 {
				return out, nil
			}
		}
		return nil, fmt.Errorf("resolve %q: %w", text, ErrNotFound)
	}
	if es := ix.ByName(text); len(es) > 0 {
		return slices.Clone(es), nil
	}
	return nil, fmt.Errorf("resolve %q: %w", text, ErrNotFound)
}

// Related returns the entities that e's relations of one type point to,
// leaving out targets that are not in the catalog.
func (ix *Index) Related(e *Entity, typ RelationType) []*Entity {
	lo, hi := e.relationRange(typ)
	var out []*Entity
	for _, r := range e.Relations[lo:hi] {
		if t, ok := ix.get(r.TargetRef); ok {
			out = append(out, t)
		}
	}
	return out
}

// Owners returns the keys of e's owners (usually one) whether or not they are
// in the catalog.
func (ix *Index) Owners(e *Entity) []string { return e.RelationTargets(RelOwnedBy) }

// ByOwner returns what the owner with the given key owns directly.
func (ix *Index) ByOwner(ownerKey string) []*Entity {
	return ix.ownedBy[strings.ToLower(ownerKey)]
}

// Owned is an entity with the owner it is owned through.
type Owned struct {
	Entity *Entity
	Via    string // key of the direct owner
}

// ByOwnerTransitive returns what an owner owns directly and through the group
// hierarchy: for a Group, its own entities, those of its descendant groups
// and of their members; for a User, their own and those of their groups and
// the groups' descendants. Backstage lacks this; people ask for it.
func (ix *Index) ByOwnerTransitive(ownerKey string) []Owned {
	ownerKey = strings.ToLower(ownerKey)
	var owners []string
	switch KindOfKey(ownerKey) {
	case "user":
		owners = append(owners, ownerKey)
		if u, ok := ix.get(ownerKey); ok {
			for _, g := range u.RelationTargets(RelMemberOf) {
				owners = append(owners, ix.Descendants(g)...)
			}
		}
	case "group":
		owners = ix.Descendants(ownerKey)
		for _, g := range owners {
			if ge, ok := ix.get(g); ok {
				owners = append(owners, ge.RelationTargets(RelHasMember)...)
			}
		}
	default:
		owners = []string{ownerKey}
	}
	seen := map[string]bool{}
	var out []Owned
	for _, o := range owners {
		for _, e := range ix.ownedBy[o] {
			if k := e.Key(); !seen[k] {
				seen[k] = true
				out = append(out, Owned{Entity: e, Via: o})
			}
		}
	}
	return out
}

// Descendants returns a group's key followed by the keys of all groups below
// it, breadth first; cycles in the hierarchy are cut.
func (ix *Index) Descendants(groupKey string) []string {
	groupKey = strings.ToLower(groupKey)
	out := []string{groupKey}
	seen := map[string]bool{groupKey: true}
	for i := 0; i < len(out); i++ {
		g, ok := ix.get(out[i])
		if !ok {
			continue
		}
		for _, c := range g.RelationTargets(RelParentOf) {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// Ancestors returns the keys of the groups above a group, nearest first.
func (ix *Index) Ancestors(groupKey string) []string {
	var out []string
	cur := strings.ToLower(groupKey)
	for {
		g, ok := ix.get(cur)
		if !ok {
			return out
		}
		lo, hi := g.relationRange(RelChildOf)
		if lo == hi {
			return out
		}
		cur = g.Relations[lo].TargetRef
		// Hierarchies are shallow: a slice scan beats a map for cycle checks.
		if cur == strings.ToLower(groupKey) || slices.Contains(out, cur) {
			return out
		}
		out = append(out, cur)
	}
}

// Members returns the Users that are members of a group.
func (ix *Index) Members(g *Entity) []*Entity { return ix.Related(g, RelHasMember) }

// GroupsOf returns the Groups a user is a member of.
func (ix *Index) GroupsOf(u *Entity) []*Entity { return ix.Related(u, RelMemberOf) }

// ByAnnotation returns the Users and Groups whose annotation key has the
// given value, for mapping chat ids to catalog users and channels.
func (ix *Index) ByAnnotation(key, value string) []*Entity {
	return ix.annotated[annotation{key, value}]
}

// ByEmail returns the Users and Groups whose profile email matches,
// case-insensitively.
func (ix *Index) ByEmail(email string) []*Entity {
	return ix.emails[strings.ToLower(email)]
}

// OfKind returns the entities of one kind (case-insensitive) in key order.
func (ix *Index) OfKind(kind string) []*Entity {
	prefix := strings.ToLower(kind) + ":"
	i := sort.Search(len(ix.entities), func(i int) bool { return ix.entities[i].Key() >= prefix })
	var out []*Entity
	for ; i < len(ix.entities) && strings.HasPrefix(ix.entities[i].Key(), prefix); i++ {
		out = append(out, ix.entities[i])
	}
	return out
}

// Catalog holds the current Index and swaps in new ones atomically.
type Catalog struct {
	cur atomic.Pointer[Index]
}

// NewCatalog returns a Catalog serving an empty index until the first Swap.
func NewCatalog() *Catalog {
	c := &Catalog{}
	c.cur.Store(NewIndex(nil, nil, time.Time{}))
	return c
}

// Index returns the current snapshot. Callers should take it once per
// request so that every answer comes from one snapshot.
func (c *Catalog) Index() *Index { return c.cur.Load() }

// Swap makes ix the current snapshot.
func (c *Catalog) Swap(ix *Index) { c.cur.Store(ix) }

type annotation struct{ key, value string }
