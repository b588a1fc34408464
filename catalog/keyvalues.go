package catalog

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// KeyValues is a string-to-string map kept as a slice sorted by key, with
// no key twice: metadata.labels and metadata.annotations. They hold a
// handful of entries, for which a Go map costs several times the memory
// and is several objects for the garbage collector to scan.
//
// The zero value is empty. Methods that change it return a new slice and
// leave the receiver's elements as they were, so a KeyValues shared with
// a snapshot's readers may be the receiver.
type KeyValues []KeyValue

// KeyValue is one entry of a KeyValues.
type KeyValue struct {
	Key, Value string
}

// KeyValuesOf returns m's entries as a KeyValues.
func KeyValuesOf(m map[string]string) KeyValues {
	if len(m) == 0 {
		return nil
	}
	kv := make(KeyValues, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		kv = append(kv, KeyValue{k, m[k]})
	}
	return kv
}

// Lookup returns the value of key and whether there is one.
func (kv KeyValues) Lookup(key string) (string, bool) {
	i, ok := kv.search(key)
	if !ok {
		return "", false
	}
	return kv[i].Value, true
}

// Get returns the value of key, or "".
func (kv KeyValues) Get(key string) string {
	v, _ := kv.Lookup(key)
	return v
}

// With returns a copy of kv with key set to value.
func (kv KeyValues) With(key, value string) KeyValues {
	out := make(KeyValues, len(kv), len(kv)+1)
	copy(out, kv)
	return out.set(key, value)
}

// set sets key in place, inserting it in order when it is new. Callers own
// kv's array; it grows when full.
func (kv KeyValues) set(key, value string) KeyValues {
	i, ok := kv.search(key)
	if ok {
		kv[i].Value = value
		return kv
	}
	return slices.Insert(kv, i, KeyValue{key, value})
}

func (kv KeyValues) search(key string) (int, bool) {
	return slices.BinarySearchFunc(kv, key, func(e KeyValue, k string) int { return strings.Compare(e.Key, k) })
}

// Map returns the entries as a map; nil when there are none.
func (kv KeyValues) Map() map[string]string {
	if len(kv) == 0 {
		return nil
	}
	m := make(map[string]string, len(kv))
	for _, e := range kv {
		m[e.Key] = e.Value
	}
	return m
}

// sorted reports whether keys are strictly ascending, as a KeyValues must
// have them.
func (kv KeyValues) sorted() bool {
	for i := 1; i < len(kv); i++ {
		if kv[i-1].Key >= kv[i].Key {
			return false
		}
	}
	return true
}

// Check reports an error unless the keys are strictly ascending, for
// values that did not come from this package, such as a store's.
func (kv KeyValues) Check() error {
	if !kv.sorted() {
		return fmt.Errorf("keys not in strictly ascending order")
	}
	return nil
}

// MarshalJSON writes the entries as a JSON object.
func (kv KeyValues) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, e := range kv {
		if i > 0 {
			b = append(b, ',')
		}
		k, err := json.Marshal(e.Key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(e.Value)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads a JSON object of strings.
func (kv *KeyValues) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*kv = KeyValuesOf(m)
	return nil
}
