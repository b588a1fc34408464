package catalog

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestKeyValues(t *testing.T) {
	kv := KeyValuesOf(map[string]string{"b": "2", "a": "1", "c": ""})
	if want := (KeyValues{{"a", "1"}, {"b", "2"}, {"c", ""}}); !reflect.DeepEqual(kv, want) {
		t.Fatalf("KeyValuesOf = %v, want %v", kv, want)
	}
	if v, ok := kv.Lookup("c"); !ok || v != "" {
		t.Errorf(`Lookup("c") = %q, %v; want "", true`, v, ok)
	}
	if v, ok := kv.Lookup("d"); ok || v != "" {
		t.Errorf(`Lookup("d") = %q, %v; want "", false`, v, ok)
	}
	with := kv.With("ab", "x").With("b", "3")
	if want := (KeyValues{{"a", "1"}, {"ab", "x"}, {"b", "3"}, {"c", ""}}); !reflect.DeepEqual(with, want) {
		t.Errorf("With = %v, want %v", with, want)
	}
	if kv.Get("b") != "2" || len(kv) != 3 {
		t.Errorf("With changed its receiver: %v", kv)
	}
	if err := with.Check(); err != nil {
		t.Errorf("Check(sorted) = %v", err)
	}
	if err := (KeyValues{{"b", ""}, {"a", ""}}).Check(); err == nil {
		t.Error("Check accepted unsorted keys")
	}
	if err := (KeyValues{{"a", ""}, {"a", ""}}).Check(); err == nil {
		t.Error("Check accepted a repeated key")
	}
	if !reflect.DeepEqual(kv.Map(), map[string]string{"a": "1", "b": "2", "c": ""}) || KeyValues(nil).Map() != nil {
		t.Errorf("Map = %v", kv.Map())
	}
}

func TestKeyValues_JSON(t *testing.T) {
	kv := KeyValuesOf(map[string]string{"z": `q"uote`, "a": "ü"})
	b, err := json.Marshal(kv)
	if err != nil || string(b) != `{"a":"ü","z":"q\"uote"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back KeyValues
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, kv) {
		t.Errorf("Unmarshal = %v, %v; want %v", back, err, kv)
	}
	md, _ := json.Marshal(Metadata{Name: "x"})
	if string(md) != `{"name":"x"}` {
		t.Errorf("empty labels and annotations marshal as %s, want them omitted", md)
	}
}
