package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/callboard/callboard/catalog"
)

// The entity codec: a compact binary form of catalog.Entity. JSON took 91%
// of reopening a 190,000-entity catalog; this form decodes an entity from
// one string holding its stored key and value, with every field a
// substring of it.
//
// A snapshot's entities are stored in blocks of up to blockRecords
// consecutive entities in key order, each block under its number (4 bytes
// big-endian) and compressed with S2 (github.com/klauspost/compress/s2).
// Descriptors repeat themselves a great deal: a 100,000-component
// organisation is 167 MB of records and 31 MB of blocks, and the disk
// writes of a save, not the encoding, were what a sync waited for. An
// entity's position is its place in the sequence of blocks. Decompressed,
// a block is its entities' values, each preceded by its length as a
// uvarint. A value is the length of the entity's key as a uvarint, then
// the record: the entity's key followed by the fields. In the record,
// counts are uvarints and a string is a uvarint x: when x is even, x/2
// bytes follow; when odd, the string is x/2 bytes already in the record,
// at the offset (from the record's start) in the uvarint that follows. Such references spell the name and namespace out of the key,
// and the origin file and source-location out of the managed-by-location
// annotation, which repeat them. Fields in order: apiVersion, kind, name,
// namespace, title, description, labels, annotations, tags, links, the
// spec (its catalog.Spec encoding), relations, origin (file, doc, line).
//
// A relation is a type byte (a position in relationTypes plus one, or 0
// for a type spelled out as a string after it) and a target: uvarint x,
// even for the target's position x/2 among the snapshot's entities in key
// order, odd for a target outside the snapshot spelled out in x/2 bytes.
// A relation's target is then the target entity's own key string.

// targetIndex numbers a snapshot's entities in key order, for relation
// targets. It takes Relate's hint (see catalog.Entity.RelationTargetHint)
// when the entity at the hinted position has the target's key, and looks
// the key up in a map, built on first need, when there is no hint. A big
// map costs a cache miss or two per lookup; a relation per entity of a
// large catalog made that a tenth of an ingest's CPU time.
type targetIndex struct {
	keys  []string
	once  sync.Once
	byKey map[string]int32
}

// newTargetIndex numbers ents, which are sorted by key.
func newTargetIndex(ents []*catalog.Entity) *targetIndex {
	x := &targetIndex{keys: make([]string, len(ents))}
	for i, e := range ents {
		x.keys[i] = e.Key()
	}
	return x
}

// position returns the number of the target of e.Relations[i], or false
// when it is not among the entities. It is safe for concurrent use.
func (x *targetIndex) position(e *catalog.Entity, i int) (int32, bool) {
	target := e.Relations[i].TargetRef
	if p, ok := e.RelationTargetHint(i); ok {
		if p >= 0 && p < len(x.keys) && x.keys[p] == target {
			return int32(p), true
		}
		if p < 0 {
			// Not among the entities Relate saw. Spelling the target out
			// is right even if the hint is stale: only its sharing of the
			// target's key string is lost.
			return 0, false
		}
	}
	x.once.Do(func() {
		x.byKey = make(map[string]int32, len(x.keys))
		for i, k := range x.keys {
			x.byKey[k] = int32(i)
		}
	})
	p, ok := x.byKey[target]
	return p, ok
}

// relationTypes are the relation types stored as one byte, code i+1 for
// relationTypes[i]. The order is part of the schema: append only. Code 0
// is followed by the type's name.
var relationTypes = []catalog.RelationType{
	catalog.RelOwnedBy, catalog.RelOwnerOf, catalog.RelPartOf, catalog.RelHasPart,
	catalog.RelDependsOn, catalog.RelDependencyOf, catalog.RelProvidesAPI, catalog.RelAPIProvidedBy,
	catalog.RelConsumesAPI, catalog.RelAPIConsumedBy, catalog.RelMemberOf, catalog.RelHasMember,
	catalog.RelChildOf, catalog.RelParentOf,
}

func relationTypeCode(t catalog.RelationType) byte {
	for i, rt := range relationTypes {
		if rt == t {
			return byte(i + 1)
		}
	}
	return 0
}

// errCorrupt is wrapped by decode errors.
var errCorrupt = errors.New("corrupt stored catalog")

// encoder appends one record.
type encoder struct {
	b     []byte
	start int // where the record, key first, starts in b
	// targets numbers relation targets; a relation whose target has no
	// number is spelled out.
	targets *targetIndex
}

func (c *encoder) uvarint(x uint64) { c.b = binary.AppendUvarint(c.b, x) }

func (c *encoder) str(s string) int {
	c.uvarint(uint64(len(s)) << 1)
	at := len(c.b) - c.start
	c.b = append(c.b, s...)
	return at
}

// ref writes s as a reference to n bytes at offset at of the record.
func (c *encoder) ref(at, n int) {
	c.uvarint(uint64(n)<<1 | 1)
	c.uvarint(uint64(at))
}

// within writes s as a reference when it is a substring of the record text
// whole, which starts at offset at; otherwise spelled out.
func (c *encoder) within(s, whole string, at int) {
	if i := strings.Index(whole, s); i >= 0 && s != "" && at >= 0 {
		c.ref(at+i, len(s))
		return
	}
	c.str(s)
}

func (c *encoder) keyValues(kv catalog.KeyValues) {
	c.uvarint(uint64(len(kv)))
	for _, e := range kv {
		c.str(e.Key)
		c.str(e.Value)
	}
}

// appendValue appends the stored value of e to b. It fails, leaving b as
// it was, for a relation without a type.
func appendValue(b []byte, e *catalog.Entity, targets *targetIndex) ([]byte, error) {
	orig := b
	key := e.Key()
	b = binary.AppendUvarint(b, uint64(len(key)))
	c := encoder{b: b, start: len(b), targets: targets}
	c.b = append(c.b, key...)
	c.str(e.APIVersion)
	c.str(e.Kind)
	// The key is kind:namespace/name in lower case.
	slash := strings.LastIndexByte(key, '/')
	c.within(e.Metadata.Name, key[slash+1:], slash+1)
	colon := strings.IndexByte(key, ':')
	c.within(e.Metadata.Namespace, key[colon+1:max(slash, colon+1)], colon+1)
	c.str(e.Metadata.Title)
	c.str(e.Metadata.Description)
	c.keyValues(e.Metadata.Labels)
	// Annotations, remembering where managed-by-location was written:
	// source-location and the origin file are usually inside it.
	kv := e.Metadata.Annotations
	c.uvarint(uint64(len(kv)))
	loc, locAt := "", -1
	for _, a := range kv {
		c.str(a.Key)
		switch a.Key {
		case catalog.AnnotationManagedByLocation:
			loc, locAt = a.Value, c.str(a.Value)
		case catalog.AnnotationSourceLocation:
			if strings.HasPrefix(loc, a.Value) && a.Value != "" {
				c.ref(locAt, len(a.Value))
			} else {
				c.str(a.Value)
			}
		default:
			c.str(a.Value)
		}
	}
	c.uvarint(uint64(len(e.Metadata.Tags)))
	for _, t := range e.Metadata.Tags {
		c.str(t)
	}
	c.uvarint(uint64(len(e.Metadata.Links)))
	for _, l := range e.Metadata.Links {
		c.str(l.URL)
		c.str(l.Title)
		c.str(l.Icon)
		c.str(l.Type)
	}
	c.str(e.Spec.Encoded())
	c.uvarint(uint64(len(e.Relations)))
	for i, r := range e.Relations {
		// Every type has a code; code 0 and a name, which the decoder
		// still reads, is never written.
		code := relationTypeCode(r.Type)
		if code == 0 {
			return orig, fmt.Errorf("entity %s: relation to %s has no type Backstage knows (%d)", key, r.TargetRef, uint8(r.Type))
		}
		if r.TargetRef == "" {
			return orig, fmt.Errorf("entity %s: %s relation has no target", key, r.Type)
		}
		c.b = append(c.b, code)
		if pos, ok := targets.position(e, i); ok {
			c.uvarint(uint64(pos) << 1)
		} else {
			c.uvarint(uint64(len(r.TargetRef))<<1 | 1)
			c.b = append(c.b, r.TargetRef...)
		}
	}
	if strings.HasSuffix(loc, e.Origin.File) && e.Origin.File != "" {
		c.ref(locAt+len(loc)-len(e.Origin.File), len(e.Origin.File))
	} else {
		c.str(e.Origin.File)
	}
	c.b = binary.AppendVarint(c.b, int64(e.Origin.Doc))
	c.b = binary.AppendVarint(c.b, int64(e.Origin.Line))
	return c.b, nil
}

// decoder reads one record from a string that all decoded strings share.
type decoder struct {
	s   string
	pos int
	err error
	// targets collects the positions of relation targets in the
	// snapshot, in the order the relations were read, for resolve.
	targets []int32
	// Arrays that entities' slices are carved from: one allocation for
	// many entities instead of several objects each for the collector.
	rels  []catalog.Relation
	kvs   []catalog.KeyValue
	strs  []string
	links []catalog.Link
	// keys is the block keys are copied into, apart from the records.
	// Relations point at their targets' keys, millions of pointers that
	// every collection traces: into a few hundred blocks of keys each
	// costs a fraction of what it does into one record per entity.
	keys strings.Builder
}

// keepKey copies a key into d.keys, starting a new 8 KiB block when it is
// full; blocks already handed out are never written again.
func (d *decoder) keepKey(key []byte) string {
	const size = 8 << 10
	if d.keys.Cap()-d.keys.Len() < len(key) {
		d.keys = strings.Builder{}
		d.keys.Grow(max(size, len(key)))
	}
	start := d.keys.Len()
	d.keys.Write(key)
	return d.keys.String()[start:]
}

// carve returns n elements of *arena, starting a new array when it is full.
// The slice's capacity is n, so appending to it never writes into another
// entity's part.
func carve[T any](arena *[]T, n int) []T {
	a := *arena
	if n > cap(a)-len(a) {
		a = make([]T, 0, max(n, 1024))
	}
	s := a[len(a) : len(a)+n : len(a)+n]
	*arena = a[:len(a)+n]
	return s
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{errCorrupt}, args...)...)
	}
	d.pos = len(d.s)
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	var x uint64
	var shift uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if d.pos >= len(d.s) {
			break
		}
		c := d.s[d.pos]
		d.pos++
		if c < 0x80 {
			return x | uint64(c)<<shift
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	d.fail("bad varint at byte %d", d.pos)
	return 0
}

func (d *decoder) varint() int64 {
	ux := d.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

// int32 reads a varint that must fit in 32 bits.
func (d *decoder) int32() int32 {
	x := d.varint()
	if x != int64(int32(x)) {
		d.fail("number %d out of range", x)
		return 0
	}
	return int32(x)
}

// count reads a length and checks it cannot exceed what is left, so a
// corrupt value never makes a huge allocation.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.s)-d.pos) {
		d.fail("count %d exceeds the record", n)
		return 0
	}
	return int(n)
}

// bytes reads n bytes spelled out.
func (d *decoder) bytes(n uint64) string {
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.s)-d.pos) {
		d.fail("string of %d bytes exceeds the record", n)
		return ""
	}
	s := d.s[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return s
}

func (d *decoder) str() string {
	start := d.pos
	x := d.uvarint()
	if x&1 == 0 {
		return d.bytes(x >> 1)
	}
	// A reference to bytes before this string.
	n, at := x>>1, d.uvarint()
	if d.err != nil {
		return ""
	}
	if at > uint64(start) || n > uint64(start)-at {
		d.fail("reference to %d bytes at %d from byte %d", n, at, start)
		return ""
	}
	return d.s[at : at+n]
}

func (d *decoder) keyValues() catalog.KeyValues {
	n := d.count()
	if n == 0 {
		return nil
	}
	kv := catalog.KeyValues(carve(&d.kvs, n))
	for i := range kv {
		kv[i] = catalog.KeyValue{Key: d.str(), Value: d.str()}
	}
	if err := kv.Check(); err != nil {
		d.fail("%v", err)
	}
	return kv
}

// relations reads the relations, carving their slice from d.rels. Targets
// inside the snapshot are left empty and their positions appended to
// d.targets for resolve.
func (d *decoder) relations() []catalog.Relation {
	n := d.count()
	if n == 0 {
		return nil
	}
	rs := carve(&d.rels, n)[:0]
	for range n {
		var r catalog.Relation
		if code := d.byte(); code == 0 {
			name := d.str()
			t, ok := catalog.ParseRelationType(name)
			if !ok {
				d.fail("relation type %q", name)
			}
			r.Type = t
		} else if int(code) <= len(relationTypes) {
			r.Type = relationTypes[code-1]
		} else {
			d.fail("relation type %d", code)
		}
		x := d.uvarint()
		if x&1 == 0 {
			if x>>1 > math.MaxInt32 {
				d.fail("relation target %d", x>>1)
			}
			d.targets = append(d.targets, int32(x>>1))
		} else if r.TargetRef = d.bytes(x >> 1); r.TargetRef == "" {
			d.fail("empty relation target")
		}
		rs = append(rs, r)
	}
	return rs
}

func (d *decoder) byte() byte {
	if d.err != nil || d.pos >= len(d.s) {
		d.fail("record ends early")
		return 0
	}
	c := d.s[d.pos]
	d.pos++
	return c
}

// decode decodes one record: the key and value, copied once into a
// string that every decoded string shares. Relation targets inside the
// snapshot stay empty until resolve.
func (d *decoder) decode(value []byte) (*catalog.Entity, error) {
	keyLen, n := binary.Uvarint(value)
	if n <= 0 || keyLen == 0 || keyLen > uint64(len(value)-n) {
		return nil, fmt.Errorf("%w: no key", errCorrupt)
	}
	// The record keeps its copy of the key too: other strings of the
	// entity may be parts of it.
	key := d.keepKey(value[n : n+int(keyLen)])
	d.s, d.pos, d.err = string(value[n:]), int(keyLen), nil
	e := &catalog.Entity{APIVersion: d.str(), Kind: d.str()}
	e.Metadata.Name = d.str()
	e.Metadata.Namespace = d.str()
	e.Metadata.Title = d.str()
	e.Metadata.Description = d.str()
	e.Metadata.Labels = d.keyValues()
	e.Metadata.Annotations = d.keyValues()
	if n := d.count(); n > 0 {
		e.Metadata.Tags = carve(&d.strs, n)
		for i := range e.Metadata.Tags {
			e.Metadata.Tags[i] = d.str()
		}
	}
	if n := d.count(); n > 0 {
		e.Metadata.Links = carve(&d.links, n)
		for i := range e.Metadata.Links {
			e.Metadata.Links[i] = catalog.Link{URL: d.str(), Title: d.str(), Icon: d.str(), Type: d.str()}
		}
	}
	spec, err := catalog.SpecFromEncoded(d.str())
	if err != nil {
		d.fail("%v", err)
	}
	e.Spec = spec
	e.Relations = d.relations()
	e.Origin = catalog.Origin{File: d.str(), Doc: d.int32(), Line: d.int32()}
	if d.err != nil {
		return nil, d.err
	}
	if d.pos != len(d.s) {
		return nil, fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(d.s)-d.pos)
	}
	if err := e.UseStoredKey(key); err != nil {
		return nil, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	return e, nil
}

// resolve sets the targets of relations that decode left empty, in order,
// to the keys at the positions it collected.
func resolve(es []*catalog.Entity, keys []string, targets []int32) error {
	next := 0
	for _, e := range es {
		for i := range e.Relations {
			r := &e.Relations[i]
			if r.TargetRef != "" {
				continue
			}
			if next >= len(targets) {
				return fmt.Errorf("%w: more relations than targets", errCorrupt)
			}
			t := targets[next]
			next++
			if int(t) >= len(keys) {
				return fmt.Errorf("%w: %s relation target %d of %d entities", errCorrupt, e.Key(), t, len(keys))
			}
			r.TargetRef = keys[t]
		}
	}
	if next != len(targets) {
		return fmt.Errorf("%w: %d relation targets left over", errCorrupt, len(targets)-next)
	}
	return nil
}
