package boltstore

import (
	"errors"
	"reflect"
	"testing"

	"github.com/callboard/callboard/catalog"
)

func codecEntity() *catalog.Entity {
	return &catalog.Entity{
		APIVersion: "backstage.io/v1alpha1", Kind: "Component",
		Metadata: catalog.Metadata{
			Name: "payments-api", Namespace: "default", Title: "Payments API", Description: "Cards. ünïcode ✓",
			Labels:      catalog.KeyValuesOf(map[string]string{"tier": "1", "empty": ""}),
			Annotations: catalog.KeyValuesOf(map[string]string{"github.com/project-slug": "acme/payments-api"}),
			Tags:        []string{"go", "pci"},
			Links:       []catalog.Link{{URL: "https://example.com", Title: "Home", Icon: "web", Type: "doc"}},
		},
		Spec: catalog.MustSpec(map[string]any{
			"type": "service", "replicas": int64(-3), "ratio": 0.25, "public": true, "private": false, "nothing": nil,
			"dependsOn": []any{"resource:db", int64(7), []any{}, map[string]any{"kind": "Component", "name": "x"}},
		}),
		Relations: []catalog.Relation{{Type: "ownedBy", TargetRef: "group:default/payments"}},
		Origin:    catalog.Origin{File: "org/payments/catalog-info.yaml", Doc: 2, Line: 41},
	}
}

func TestCodec_RoundTrip(t *testing.T) {
	for _, e := range []*catalog.Entity{codecEntity(), {Kind: "Location", Metadata: catalog.Metadata{Name: "x"}}} {
		got, err := decodeEntity(appendEntity(nil, e))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Errorf("round trip:\ngot  %+v\nwant %+v", got, e)
		}
	}
}

func TestCodec_Corrupt(t *testing.T) {
	b := appendEntity(nil, codecEntity())
	for n := 0; n < len(b); n++ {
		if _, err := decodeEntity(b[:n]); !errors.Is(err, errCorrupt) {
			t.Fatalf("decodeEntity(first %d of %d bytes) = %v, want errCorrupt", n, len(b), err)
		}
	}
	if _, err := decodeEntity(append(b, 0)); !errors.Is(err, errCorrupt) {
		t.Errorf("trailing byte accepted: %v", err)
	}
}

// FuzzDecodeEntity: decoding any bytes never panics, and what decodes
// encodes back to the same bytes' meaning.
func FuzzDecodeEntity(f *testing.F) {
	b := appendEntity(nil, codecEntity())
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decodeEntity(data)
		if err != nil {
			return
		}
		e2, err := decodeEntity(appendEntity(nil, e))
		if err != nil || !reflect.DeepEqual(e, e2) {
			t.Fatalf("decode(encode(decode(x))) differs: %v", err)
		}
	})
}
