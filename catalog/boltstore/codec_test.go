package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/klauspost/compress/s2"

	"github.com/callboard/callboard/catalog"
)

const codecFile = "/srv/org/payments/catalog-info.yaml"

// codecEntities is a small snapshot: relations inside it and outside, a
// relation type the codec has no byte for, location annotations the codec
// stores as references, and an entity with nothing but a name.
func codecEntities() []*catalog.Entity {
	return []*catalog.Entity{
		{
			APIVersion: "backstage.io/v1alpha1", Kind: "Component",
			Metadata: catalog.Metadata{
				Name: "payments-api", Namespace: "default", Title: "Payments API", Description: "Cards. ünïcode ✓",
				Labels: catalog.KeyValuesOf(map[string]string{"tier": "1", "empty": ""}),
				Annotations: catalog.KeyValuesOf(map[string]string{
					"github.com/project-slug":                 "acme/payments-api",
					catalog.AnnotationManagedByLocation:       "file:" + codecFile,
					catalog.AnnotationManagedByOriginLocation: "file:/srv/org/catalog-info.yaml",
					catalog.AnnotationSourceLocation:          "file:/srv/org/payments/",
				}),
				Tags:  []string{"go", "pci"},
				Links: []catalog.Link{{URL: "https://example.com", Title: "Home", Icon: "web", Type: "doc"}},
			},
			Spec: catalog.MustSpec(map[string]any{
				"type": "service", "replicas": int64(-3), "ratio": 0.25, "public": true, "private": false, "nothing": nil,
				"dependsOn": []any{"resource:db", int64(7), []any{}, map[string]any{"kind": "Component", "name": "x"}},
			}),
			Relations: []catalog.Relation{
				{Type: catalog.RelChildOf, TargetRef: "group:default/payments"},
				{Type: catalog.RelDependsOn, TargetRef: "resource:default/gone"},
				{Type: catalog.RelOwnedBy, TargetRef: "group:default/payments"},
			},
			Origin: catalog.Origin{File: codecFile, Doc: 2, Line: 41},
		},
		{
			APIVersion: "backstage.io/v1alpha1", Kind: "Group",
			Metadata:  catalog.Metadata{Name: "Payments", Namespace: "default"},
			Relations: []catalog.Relation{{Type: catalog.RelOwnerOf, TargetRef: "component:default/payments-api"}},
			Origin:    catalog.Origin{File: "org/groups.yaml", Doc: 0, Line: 1},
		},
		{Kind: "Location", Metadata: catalog.Metadata{Name: "x"}},
	}
}

// encodeAll encodes a snapshot as Save does: sorted by key, with
// positions, in blocks numbered from 0.
func encodeAll(es []*catalog.Entity) []kv {
	es = slices.Clone(es)
	slices.SortFunc(es, compareKeys)
	return numbered(encodeBlocks(es, newTargetIndex(es), &bufferPool{}).kvs)
}

// numbered numbers blocks 0, 1, 2... as Save does.
func numbered(blocks []kv) []kv {
	for i, b := range blocks {
		binary.BigEndian.PutUint32(b.key, uint32(i))
	}
	return blocks
}

// encodeValues returns the stored values of a snapshot's entities, sorted by
// key, as the blocks hold them.
func encodeValues(t *testing.T, es []*catalog.Entity) [][]byte {
	t.Helper()
	es = slices.Clone(es)
	slices.SortFunc(es, compareKeys)
	targets := newTargetIndex(es)
	var out [][]byte
	for _, e := range es {
		v, err := appendValue(nil, e, targets)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// block is a stored block number n of the given values.
func block(n uint32, values ...[]byte) kv {
	var raw []byte
	for _, v := range values {
		raw = binary.AppendUvarint(raw, uint64(len(v)))
		raw = append(raw, v...)
	}
	return kv{binary.BigEndian.AppendUint32(nil, n), s2.Encode(nil, raw)}
}

// withStoredKeys gives entities their keys as decoding does, so that they
// compare equal with decoded ones.
func withStoredKeys(t *testing.T, es []*catalog.Entity) []*catalog.Entity {
	for _, e := range es {
		if err := e.UseStoredKey(e.Key()); err != nil {
			t.Fatal(err)
		}
	}
	slices.SortFunc(es, compareKeys)
	return es
}

func TestCodec_RoundTrip(t *testing.T) {
	got, err := decodeEntities(context.Background(), encodeAll(codecEntities()))
	if err != nil {
		t.Fatal(err)
	}
	want := withStoredKeys(t, codecEntities())
	if len(got) != len(want) {
		t.Fatalf("decoded %d entities, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("round trip:\ngot  %+v\nwant %+v", got[i], want[i])
		}
	}
	// Relations inside the snapshot share their target's key string.
	api, group := got[0], got[1]
	if api.Kind != "Component" || group.Kind != "Group" {
		t.Fatalf("unexpected order: %s, %s", api.Key(), group.Key())
	}
	if r := api.Relations[0].TargetRef; r != group.Key() || unsafe.StringData(r) != unsafe.StringData(group.Key()) {
		t.Errorf("relation target %q does not share the target's key", r)
	}
}

// The stored value spells out none of what it can refer to.
func TestCodec_References(t *testing.T) {
	key, v := splitRecord(t, encodeValues(t, codecEntities())[0]) // component:default/payments-api sorts first
	if !bytes.HasPrefix(key, []byte("component:")) {
		t.Fatalf("first record has key %s", key)
	}
	if n := bytes.Count(v, []byte(codecFile)); n != 1 {
		t.Errorf("origin file spelled out %d times, want once (in managed-by-location)", n)
	}
	if bytes.Contains(v, []byte("file:/srv/org/payments/\x00")) || bytes.Count(v, []byte("file:/srv/org/payments/")) != 1 {
		t.Error("source-location spelled out, want a reference")
	}
	if bytes.Contains(v, []byte("group:default/payments")) || bytes.Contains(v, []byte("ownedBy")) {
		t.Error("a relation inside the snapshot is spelled out")
	}
	if !bytes.Contains(v, []byte("resource:default/gone")) {
		t.Error("a dangling target is missing")
	}
}

// splitRecord returns a stored value's entity key and the fields after it.
func splitRecord(t *testing.T, value []byte) (key, fields []byte) {
	t.Helper()
	n, w := binary.Uvarint(value)
	if w <= 0 || n > uint64(len(value)-w) {
		t.Fatalf("value %q: no key length", value)
	}
	return value[w : w+int(n)], value[w+int(n):]
}

func TestCodec_Corrupt(t *testing.T) {
	values := encodeValues(t, codecEntities())
	value := values[0]
	var d decoder
	for n := 0; n < len(value); n++ {
		if _, err := d.decode(value[:n]); !errors.Is(err, errCorrupt) {
			t.Fatalf("decode(first %d of %d bytes) = %v, want errCorrupt", n, len(value), err)
		}
	}
	if _, err := d.decode(append(slices.Clip(value), 0)); !errors.Is(err, errCorrupt) {
		t.Errorf("trailing byte accepted: %v", err)
	}
	// The key in the record must be the entity's. (The name is a
	// reference into the key, so change the kind, which is spelled out.)
	key, _ := splitRecord(t, value)
	other := bytes.Replace(slices.Clone(value), key, []byte("resourcex:default/payments-api"), 1)
	if _, err := d.decode(other); !errors.Is(err, errCorrupt) {
		t.Errorf("a record under another entity's key accepted: %v", err)
	}
	// Blocks must be numbered 0, 1, 2..., and hold entities in key order:
	// relations name their targets by position.
	whole := block(0, values[0], values[1])
	huge := block(0)
	huge.value = binary.AppendUvarint(nil, maxBlockBytes+1)
	for name, blocks := range map[string][]kv{
		"a block numbered 1 of 1":            {block(1, values[0])},
		"a short block number":               {{[]byte{0, 0, 0}, whole.value}},
		"two blocks out of order":            {block(1, values[0]), block(0, values[1])},
		"two entities out of key order":      {block(0, values[1], values[0])},
		"two blocks out of key order":        {block(0, values[1]), block(1, values[0])},
		"a block that is not S2":             {{whole.key, []byte("not a block")}},
		"a truncated block":                  {{whole.key, whole.value[:len(whole.value)-3]}},
		"a block too big to decompress":      {huge},
		"an entity running past its block":   {{whole.key, s2.Encode(nil, append(binary.AppendUvarint(nil, uint64(len(values[0])+5)), values[0]...))}},
		"an entity cut short inside a block": {block(0, values[0][:len(values[0])-2])},
	} {
		if _, err := decodeEntities(context.Background(), blocks); !errors.Is(err, errCorrupt) {
			t.Errorf("%s accepted: %v", name, err)
		}
	}
	// A relation without a type is refused when stored, not found
	// corrupt when read.
	unknown := codecEntities()[:1]
	unknown[0].Relations = []catalog.Relation{{Type: 0, TargetRef: "group:default/payments"}}
	if c := encodeBlocks(unknown, newTargetIndex(unknown), &bufferPool{}); c.err == nil || !strings.Contains(c.err.Error(), "no type") {
		t.Errorf("a relation with no type encoded: %v", c.err)
	}
	// A reference may only point at bytes before it.
	ahead := []byte{1, 'k', 2 << 1, 'x', 'y', 1<<1 | 1, 50}
	if _, err := d.decode(ahead); !errors.Is(err, errCorrupt) {
		t.Errorf("a reference past its own position accepted: %v", err)
	}
	// A relation target position past the snapshot's end.
	es := codecEntities()[:1]
	six := &targetIndex{keys: []string{"a", "b", "c", "d", "e", "group:default/payments"}}
	bad := numbered(encodeBlocks(es, six, &bufferPool{}).kvs)
	if _, err := decodeEntities(context.Background(), bad); !errors.Is(err, errCorrupt) {
		t.Errorf("a relation to position 5 of 1 accepted: %v", err)
	}
}

// FuzzDecodeEntity: decoding any record never panics, and what decodes
// encodes back to the same meaning.
func FuzzDecodeEntity(f *testing.F) {
	for _, v := range encodeValues(&testing.T{}, codecEntities()) {
		f.Add(v)
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, value []byte) {
		// The value goes into a block as it is: what is fuzzed is the
		// record, not the compression.
		es, err := decodeEntities(context.Background(), []kv{block(0, value)})
		if err != nil {
			return
		}
		again, err := decodeEntities(context.Background(), encodeAll(es))
		if err != nil || !reflect.DeepEqual(es, again) {
			t.Fatalf("decode(encode(decode(x))) differs: %v", err)
		}
	})
}

// Relate's target hints number targets when they are right, and a wrong or
// stale hint never stores a wrong target.
func TestCodec_TargetHints(t *testing.T) {
	yaml := func(name, deps string) *catalog.Entity {
		res := catalog.Parse("f.yaml", []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: "+name+
			"\nspec:\n  type: service\n  lifecycle: production\n  owner: group:team\n  dependsOn: ["+deps+"]\n"))
		if len(res.Entities) != 1 {
			t.Fatalf("parse %s: %v", name, res.Problems)
		}
		return res.Entities[0]
	}
	build := func() []*catalog.Entity {
		return []*catalog.Entity{yaml("a", "component:b, component:c"), yaml("b", "component:c"), yaml("c", "component:a")}
	}
	for name, prepare := range map[string]func([]*catalog.Entity){
		"related in key order": func(es []*catalog.Entity) { catalog.Relate(es) },
		"related in reverse order": func(es []*catalog.Entity) {
			slices.Reverse(es)
			catalog.Relate(es)
		},
		"related without a target": func(es []*catalog.Entity) { catalog.Relate(es[:2]); catalog.Relate(es[2:]) },
	} {
		t.Run(name, func(t *testing.T) {
			es := build()
			prepare(es)
			got, err := decodeEntities(context.Background(), encodeAll(es))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range got {
				var rels []string
				for _, r := range e.Relations {
					rels = append(rels, r.Type.String()+" "+r.TargetRef)
				}
				orig := es[slices.IndexFunc(es, func(x *catalog.Entity) bool { return x.Key() == e.Key() })]
				var origRels []string
				for _, r := range orig.Relations {
					origRels = append(origRels, r.Type.String()+" "+r.TargetRef)
				}
				if !slices.Equal(rels, origRels) {
					t.Errorf("%s relations = %q, want %q", e.Key(), rels, origRels)
				}
			}
		})
	}
	// Related in key order, every target inside the snapshot is a number.
	es := build()
	catalog.Relate(es)
	for _, v := range encodeValues(t, es) {
		key, fields := splitRecord(t, v)
		if bytes.Contains(fields, []byte("component:default/")) {
			t.Errorf("%s spells out a target inside the snapshot", key)
		}
	}
}
