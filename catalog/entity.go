// Package catalog reads Backstage-format descriptor files, validates them as
// Backstage's catalog backend does, relates the entities and indexes them for
// the bot's questions. It knows no SDK: storage and remote sources are
// adapters in sub-packages that implement Store and Source.
package catalog

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"iter"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Built-in kinds, spelled as descriptor files must spell them.
const (
	KindComponent = "Component"
	KindAPI       = "API"
	KindResource  = "Resource"
	KindSystem    = "System"
	KindDomain    = "Domain"
	KindGroup     = "Group"
	KindUser      = "User"
	KindLocation  = "Location"
	KindTemplate  = "Template"
)

// Well-known annotations Callboard reads or writes.
const (
	AnnotationManagedByLocation       = "backstage.io/managed-by-location"
	AnnotationManagedByOriginLocation = "backstage.io/managed-by-origin-location"
	AnnotationSourceLocation          = "backstage.io/source-location"
	AnnotationTechDocsRef             = "backstage.io/techdocs-ref"
	AnnotationProjectSlug             = "github.com/project-slug"
	AnnotationSlackUserID             = "slack.com/user-id"
	AnnotationSlackNotify             = "slack.com/bot-notify"
	AnnotationDiscordUserID           = "discord.com/user-id"
	AnnotationDiscordChannelID        = "discord.com/channel-id"
	AnnotationPagerDutyServiceID      = "pagerduty.com/service-id"
)

// Entity is one catalog entity as Backstage models it. Spec keeps every field
// the file had; typed accessors read the well-known ones.
type Entity struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   Metadata   `json:"metadata"`
	Spec       Spec       `json:"spec,omitzero"`
	Relations  []Relation `json:"relations,omitempty"`

	// Origin is where the entity was read from. It is not part of the
	// Backstage shape and is not marshalled with the entity.
	Origin Origin `json:"-"`

	// refPos locates each ref of the spec for warnings, packed (see
	// packRefPositions); empty for entities loaded from a store.
	refPos string
	key    string
	// relTargets[i] is where Relations[i]'s target was among the entities
	// Relate was last given, or -1; see RelationTargetHint.
	relTargets []int32
}

// RelationTargetHint returns where the target of e.Relations[i] was, by
// position, among the entities Relate last related e with: -1 when the
// target was not among them. ok is false when there is no hint. It is a
// hint: a store writing that same slice in that same order may use it to
// number targets without looking every key up, after checking that the
// entity at the position has the target's key.
func (e *Entity) RelationTargetHint(i int) (pos int, ok bool) {
	if len(e.relTargets) != len(e.Relations) || i < 0 || i >= len(e.relTargets) {
		return -1, false
	}
	return int(e.relTargets[i]), true
}

// specRef names one ref of a spec field: index is its position in a list,
// or -1.
type specRef struct {
	name  string
	index int
}

// String is the field as messages name it: "spec.owner",
// "spec.dependsOn[1]".
func (r specRef) String() string {
	if r.index < 0 {
		return "spec." + r.name
	}
	return "spec." + r.name + "[" + strconv.Itoa(r.index) + "]"
}

// refPos is where a ref of the spec was written. field is the field's
// position in refFieldNames.
type refPos struct {
	field     uint8
	index     int32
	line, col int32
}

// refFieldNames are the spec fields a refPos can name: every kind's ref
// fields and a Location's targets.
var refFieldNames = func() []string {
	names := []string{"target", "targets"}
	for _, ks := range kindSpecs {
		for _, f := range ks.refs {
			names = append(names, f.name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}()

// refField returns name's position in refFieldNames.
func refField(name string) (uint8, bool) {
	i, ok := slices.BinarySearch(refFieldNames, name)
	return uint8(i), ok && i < 256
}

// refPosition returns where the ref at was written.
func (e *Entity) refPosition(at specRef) (position, bool) {
	field, ok := refField(at.name)
	if !ok {
		return position{}, false
	}
	for r := range e.refPositions() {
		if r.field == field && int(r.index) == at.index {
			return position{int(r.line), int(r.col)}, true
		}
	}
	return position{}, false
}

// packRefPositions appends ps to b packed: their number, then for each
// its field byte and, as uvarints, index+1, line and column. Most take 4
// bytes where a refPos takes 16; a large catalog has half a million, kept
// for as long as their entities.
func packRefPositions(b []byte, ps []refPos) []byte {
	b = binary.AppendUvarint(b, uint64(len(ps)))
	for _, r := range ps {
		b = append(b, r.field)
		b = binary.AppendUvarint(b, uint64(uint32(r.index+1)))
		b = binary.AppendUvarint(b, uint64(uint32(r.line)))
		b = binary.AppendUvarint(b, uint64(uint32(r.col)))
	}
	return b
}

// refPositions yields the positions packed in e.refPos, stopping at the
// first that is cut short.
func (e *Entity) refPositions() iter.Seq[refPos] {
	return func(yield func(refPos) bool) {
		n, s, ok := stringUvarint(e.refPos)
		for ; ok && n > 0 && s != ""; n-- {
			var index, line, col uint64
			field := s[0]
			if index, s, ok = stringUvarint(s[1:]); !ok {
				return
			}
			if line, s, ok = stringUvarint(s); !ok {
				return
			}
			if col, s, ok = stringUvarint(s); !ok {
				return
			}
			if !yield(refPos{field, int32(uint32(index)) - 1, int32(uint32(line)), int32(uint32(col))}) {
				return
			}
		}
	}
}

// refPositionCount is how many positions e.refPos holds.
func (e *Entity) refPositionCount() int {
	n, _, _ := stringUvarint(e.refPos)
	return int(min(n, uint64(len(e.refPos))))
}

// stringUvarint reads a uvarint at the start of s and returns it with the
// rest of s; ok is false when s does not start with one.
func stringUvarint(s string) (x uint64, rest string, ok bool) {
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		b := s[i]
		if b < 0x80 {
			return x | uint64(b)<<(7*i), s[i+1:], true
		}
		x |= uint64(b&0x7f) << (7 * i)
	}
	return 0, "", false
}

// Metadata is the entity's metadata block.
type Metadata struct {
	Name        string    `json:"name"`
	Namespace   string    `json:"namespace,omitempty"`
	Title       string    `json:"title,omitempty"`
	Description string    `json:"description,omitempty"`
	Labels      KeyValues `json:"labels,omitempty"`
	Annotations KeyValues `json:"annotations,omitempty"`
	Tags        []string  `json:"tags,omitempty"`
	Links       []Link    `json:"links,omitempty"`
}

// Link is one entry of metadata.links.
type Link struct {
	URL   string `json:"url"`
	Title string `json:"title,omitempty"`
	Icon  string `json:"icon,omitempty"`
	Type  string `json:"type,omitempty"`
}

// Relation is a directed edge from the entity that holds it.
type Relation struct {
	Type      RelationType `json:"type"`
	TargetRef string       `json:"targetRef"` // canonical lowercase key
}

// Origin records the file and document an entity came from. Doc and Line
// are 32 bits: they keep Entity in a smaller allocation class, and a file
// of more than two billion lines is not read whole.
type Origin struct {
	File string `json:"file"`
	Doc  int32  `json:"doc"`
	Line int32  `json:"line"`
}

// Ref returns the entity's identity.
func (e *Entity) Ref() Ref {
	ns := e.Metadata.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	return Ref{Kind: e.Kind, Namespace: ns, Name: e.Metadata.Name}
}

// Key is the canonical lowercase ref of the entity.
func (e *Entity) Key() string {
	if e.key != "" {
		return e.key
	}
	return e.Ref().Key()
}

// cacheKey remembers the key. Callers own e exclusively while they call it
// on an entity without a key; once the key is set it only reads, so an
// index can be built while a store encodes the same entities.
func (e *Entity) cacheKey() {
	if e.key == "" {
		var buf [96]byte
		e.key = string(e.Ref().appendKey(buf[:0]))
	}
}

// UseStoredKey gives an entity read from a store the key stored with it, so
// the key needs no string of its own and relations pointing at the entity
// can share it. It reports an error, and changes nothing, when key is not
// the entity's canonical key.
func (e *Entity) UseStoredKey(key string) error {
	var buf [96]byte
	if got := e.Ref().appendKey(buf[:0]); string(got) != key {
		return fmt.Errorf("stored key %q does not match entity %q", key, got)
	}
	e.key = key
	return nil
}

// sortByKey sorts entities by key, which must be cached (see cacheKey).
// Keys are gathered side by side first, so comparisons do not each load
// two entities from all over the heap, and sorted on two cores: on a large
// catalog this sort is on every sync's critical path.
func sortByKey(es []*Entity) {
	less := func(a, b *Entity) int { return strings.Compare(a.key, b.key) }
	if slices.IsSortedFunc(es, less) {
		return
	}
	type keyed struct {
		key string
		e   *Entity
	}
	ks := make([]keyed, len(es))
	for i, e := range es {
		ks[i] = keyed{e.key, e}
	}
	sorted := make([]keyed, len(ks))
	sortHalves(ks, sorted, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	for i, k := range sorted {
		es[i] = k.e
	}
}

// sortHalves sorts s into out, which has its length: two halves in
// parallel, then merged, a stable merge of the halves. s is left in
// halves, each sorted.
func sortHalves[T any](s, out []T, cmp func(a, b T) int) {
	half := len(s) / 2
	done := make(chan struct{})
	go func() {
		defer close(done)
		slices.SortFunc(s[:half], cmp)
	}()
	slices.SortFunc(s[half:], cmp)
	<-done
	a, b := s[:half], s[half:]
	for i := range out {
		if len(b) == 0 || len(a) > 0 && cmp(a[0], b[0]) <= 0 {
			out[i], a = a[0], a[1:]
		} else {
			out[i], b = b[0], b[1:]
		}
	}
}

// DisplayName is the title when there is one, else the name.
func (e *Entity) DisplayName() string {
	if e.Metadata.Title != "" {
		return e.Metadata.Title
	}
	if e.Kind == KindUser || e.Kind == KindGroup {
		if dn := e.ProfileField("displayName"); dn != "" {
			return dn
		}
	}
	return e.Metadata.Name
}

// SpecString returns spec[key] when it is a string.
func (e *Entity) SpecString(key string) string { return e.Spec.StringField(key) }

// SpecStrings returns spec[key] when it is a list, keeping its string items.
func (e *Entity) SpecStrings(key string) []string { return e.Spec.StringList(key) }

// ProfileField returns spec.profile[key] for Users and Groups.
func (e *Entity) ProfileField(key string) string {
	return e.Spec.Sub("profile").StringField(key)
}

// Annotation returns the value of an annotation, or "".
func (e *Entity) Annotation(key string) string { return e.Metadata.Annotations.Get(key) }

// RelationTargets returns the targets of the entity's relations of one type.
func (e *Entity) RelationTargets(typ RelationType) []string {
	lo, hi := e.relationRange(typ)
	if lo == hi {
		return nil
	}
	out := make([]string, 0, hi-lo)
	for _, r := range e.Relations[lo:hi] {
		out = append(out, r.TargetRef)
	}
	return out
}

// relationRange returns the positions of one type's relations, which are
// sorted by type (Relate sorts them, NewIndex makes sure): a group with
// thousands of children must not be scanned whole to find its parent.
func (e *Entity) relationRange(typ RelationType) (int, int) {
	rs := e.Relations
	lo := sort.Search(len(rs), func(i int) bool { return rs[i].Type >= typ })
	hi := lo
	for hi < len(rs) && rs[hi].Type == typ {
		hi++
	}
	return lo, hi
}

// RelationType is one of the relation types Backstage's built-in processor
// emits. It is a byte, not a string: a catalog holds millions of
// relations. Types order as their names do, so relations sorted by type
// list the same way whichever is compared; the zero value is no type.
type RelationType uint8

// Relation types, in the order of their names; each has its inverse in
// inverseRelation.
const (
	RelAPIConsumedBy RelationType = iota + 1
	RelAPIProvidedBy
	RelChildOf
	RelConsumesAPI
	RelDependencyOf
	RelDependsOn
	RelHasMember
	RelHasPart
	RelMemberOf
	RelOwnedBy
	RelOwnerOf
	RelParentOf
	RelPartOf
	RelProvidesAPI
)

// relationNames[t] is the name of type t as Backstage writes it.
var relationNames = [...]string{
	RelAPIConsumedBy: "apiConsumedBy", RelAPIProvidedBy: "apiProvidedBy",
	RelChildOf: "childOf", RelConsumesAPI: "consumesApi",
	RelDependencyOf: "dependencyOf", RelDependsOn: "dependsOn",
	RelHasMember: "hasMember", RelHasPart: "hasPart",
	RelMemberOf: "memberOf", RelOwnedBy: "ownedBy", RelOwnerOf: "ownerOf",
	RelParentOf: "parentOf", RelPartOf: "partOf", RelProvidesAPI: "providesApi",
}

// RelationTypes lists every relation type in order.
func RelationTypes() []RelationType {
	ts := make([]RelationType, 0, len(relationNames)-1)
	for t := RelAPIConsumedBy; int(t) < len(relationNames); t++ {
		ts = append(ts, t)
	}
	return ts
}

// String returns the type's name as Backstage writes it, or "" for no
// type.
func (t RelationType) String() string {
	if int(t) < len(relationNames) {
		return relationNames[t]
	}
	return ""
}

// ParseRelationType returns the type named name, matched exactly as
// Backstage writes it.
func ParseRelationType(name string) (RelationType, bool) {
	for t := RelAPIConsumedBy; int(t) < len(relationNames); t++ {
		if relationNames[t] == name {
			return t, true
		}
	}
	return 0, false
}

// MarshalText writes the type's name, so JSON and YAML show what Backstage
// shows.
func (t RelationType) MarshalText() ([]byte, error) {
	if t == 0 || int(t) >= len(relationNames) {
		return nil, fmt.Errorf("relation type %d is not one of Backstage's", uint8(t))
	}
	return []byte(relationNames[t]), nil
}

// UnmarshalText reads a type's name.
func (t *RelationType) UnmarshalText(b []byte) error {
	v, ok := ParseRelationType(string(b))
	if !ok {
		return fmt.Errorf("relation type %q is not one of Backstage's (%s)", b, strings.Join(relationNames[1:], ", "))
	}
	*t = v
	return nil
}

var inverseRelation = [...]RelationType{
	RelOwnedBy: RelOwnerOf, RelOwnerOf: RelOwnedBy,
	RelPartOf: RelHasPart, RelHasPart: RelPartOf,
	RelDependsOn: RelDependencyOf, RelDependencyOf: RelDependsOn,
	RelProvidesAPI: RelAPIProvidedBy, RelAPIProvidedBy: RelProvidesAPI,
	RelConsumesAPI: RelAPIConsumedBy, RelAPIConsumedBy: RelConsumesAPI,
	RelMemberOf: RelHasMember, RelHasMember: RelMemberOf,
	RelChildOf: RelParentOf, RelParentOf: RelChildOf,
}

// InverseRelation returns the type Backstage puts on the target of a
// relation of type typ, or 0 for no type.
func InverseRelation(typ RelationType) RelationType {
	if int(typ) < len(inverseRelation) {
		return inverseRelation[typ]
	}
	return 0
}

func sortRelations(rs []Relation) { slices.SortFunc(rs, compareRelations) }

func compareRelationTypes(a, b Relation) int { return cmp.Compare(a.Type, b.Type) }

func compareRelations(a, b Relation) int {
	if c := cmp.Compare(a.Type, b.Type); c != 0 {
		return c
	}
	return strings.Compare(a.TargetRef, b.TargetRef)
}

// KindOfKey returns the kind part of a canonical key.
func KindOfKey(key string) string {
	if i := strings.IndexByte(key, ':'); i >= 0 {
		return key[:i]
	}
	return ""
}

// NameOfKey returns the name part of a canonical key.
func NameOfKey(key string) string {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[i+1:]
	}
	return key
}
