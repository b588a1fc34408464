package catalog

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func specFixture() map[string]any {
	return map[string]any{
		"type": "service", "owner": "group:payments", "replicas": int64(-3), "ratio": 0.25,
		"public": true, "private": false, "nothing": nil,
		"dependsOn": []any{"resource:db", int64(7), []any{}, "component:b", map[string]any{"kind": "Component"}},
		"profile":   map[string]any{"email": "a@b.example", "displayName": "A"},
		"empty":     map[string]any{},
	}
}

func TestSpec_RoundTrip(t *testing.T) {
	m := specFixture()
	s, err := NewSpec(m)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Map(); !reflect.DeepEqual(got, m) {
		t.Errorf("Map() = %#v\nwant %#v", got, m)
	}
	again, err := SpecFromEncoded(s.Encoded())
	if err != nil || again != s {
		t.Errorf("SpecFromEncoded(Encoded()) = %v, %v; want the same spec", again, err)
	}
	// Key order in the source does not matter: encodings are canonical.
	other, _ := NewSpec(specFixture())
	if other != s {
		t.Error("two encodings of the same map differ")
	}
}

func TestSpec_Accessors(t *testing.T) {
	s := MustSpec(specFixture())
	for _, c := range []struct {
		key, want string
	}{{"type", "service"}, {"owner", "group:payments"}, {"replicas", ""}, {"missing", ""}, {"profile", ""}} {
		if got := s.StringField(c.key); got != c.want {
			t.Errorf("StringField(%q) = %q, want %q", c.key, got, c.want)
		}
	}
	if got, want := s.StringList("dependsOn"), []string{"resource:db", "component:b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("StringList(dependsOn) = %q, want %q", got, want)
	}
	if got := s.StringList("type"); got != nil {
		t.Errorf("StringList of a string = %q, want nil", got)
	}
	if got := s.Sub("profile").StringField("email"); got != "a@b.example" {
		t.Errorf("Sub(profile).StringField(email) = %q", got)
	}
	if !s.Sub("empty").IsZero() || !s.Sub("type").IsZero() || !s.Sub("missing").IsZero() {
		t.Error("Sub of an empty map, a string or a missing field is not empty")
	}
	if !s.Has("nothing") || s.Has("missing") {
		t.Error("Has: a null field must count, a missing one must not")
	}
	if got := s.Value("replicas"); got != int64(-3) {
		t.Errorf("Value(replicas) = %#v", got)
	}
	var seen []string
	s.eachString("dependsOn", func(i int, v string) { seen = append(seen, v+"@"+string(rune('0'+i))) })
	if want := []string{"resource:db@0", "component:b@3"}; !reflect.DeepEqual(seen, want) {
		t.Errorf("eachString(dependsOn) = %q, want %q (items keep their index)", seen, want)
	}
	seen = nil
	s.eachString("owner", func(i int, v string) { seen = append(seen, v) })
	if len(seen) != 1 || seen[0] != "group:payments" {
		t.Errorf("eachString(owner) = %q", seen)
	}
}

func TestSpec_Empty(t *testing.T) {
	s, err := NewSpec(map[string]any{})
	if err != nil || !s.IsZero() || s.Map() != nil {
		t.Errorf("NewSpec({}) = %#v, %v; want the zero Spec", s, err)
	}
	var zero Spec
	if zero.StringField("type") != "" || zero.Has("type") || zero.StringList("x") != nil {
		t.Error("the zero Spec has fields")
	}
	b, _ := json.Marshal(struct {
		Spec Spec `json:"spec,omitzero"`
	}{})
	if string(b) != "{}" {
		t.Errorf("zero spec marshals as %s, want it omitted", b)
	}
}

func TestSpec_JSON(t *testing.T) {
	s := MustSpec(map[string]any{"type": "service", "n": int64(3), "l": []any{"a", 1.5}})
	b, err := json.Marshal(s)
	if err != nil || string(b) != `{"l":["a",1.5],"n":3,"type":"service"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back Spec
	if err := json.Unmarshal(b, &back); err != nil || back != s {
		t.Errorf("Unmarshal(Marshal(s)) = %v, %v; want s", back.Map(), err)
	}
}

func TestSpec_Rejects(t *testing.T) {
	if _, err := NewSpec(map[string]any{"x": struct{}{}}); err == nil || !strings.Contains(err.Error(), "struct {}") {
		t.Errorf("NewSpec accepted a value YAML never produces: %v", err)
	}
	good := MustSpec(specFixture()).Encoded()
	for n := 1; n < len(good); n++ {
		if _, err := SpecFromEncoded(good[:n]); !errors.Is(err, errBadSpec) {
			t.Fatalf("SpecFromEncoded(first %d of %d bytes) = %v, want errBadSpec", n, len(good), err)
		}
	}
	for name, enc := range map[string]string{
		"not a map":       "\x01\x01a",
		"keys unsorted":   "\x06\x02\x01b\x00\x01a\x00",
		"key repeated":    "\x06\x02\x01a\x00\x01a\x00",
		"unknown tag":     "\x06\x01\x01a\x09",
		"trailing byte":   "\x06\x01\x01a\x00\x00",
		"count too large": "\x06\xff\x01",
		"empty map":       "\x06\x00",
		"whole float":     "\x06\x01\x01a\x03\x00\x00\x00\x00\x00\x00\x00\x40",
	} {
		if _, err := SpecFromEncoded(enc); !errors.Is(err, errBadSpec) {
			t.Errorf("%s: SpecFromEncoded = %v, want errBadSpec", name, err)
		}
	}
}

// FuzzSpecFromEncoded: whatever bytes it accepts, the accessors read
// without panicking, and decoding then encoding gives the same bytes:
// every encoding is canonical.
func FuzzSpecFromEncoded(f *testing.F) {
	f.Add(MustSpec(specFixture()).Encoded())
	f.Add("\x06\x01\x01a\x07\x02\x01\x01x\x06\x00")
	f.Fuzz(func(t *testing.T, enc string) {
		s, err := SpecFromEncoded(enc)
		if err != nil {
			return
		}
		for _, k := range []string{"a", "type", "dependsOn", ""} {
			s.StringField(k)
			s.StringList(k)
			s.Sub(k).Map()
			s.Value(k)
		}
		again, err := NewSpec(s.Map())
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if again != s {
			t.Fatalf("encode(decode(x)) = %q, want x = %q", again.Encoded(), enc)
		}
	})
}

func TestSpec_Fields(t *testing.T) {
	m := specFixture()
	s := MustSpec(m)
	var keys []string
	for key, v := range s.fields() {
		keys = append(keys, key)
		r := specReader{s: v}
		if got := r.value(); !reflect.DeepEqual(got, m[key]) {
			t.Errorf("field %s = %#v, want %#v", key, got, m[key])
		}
	}
	if want := slices.Sorted(maps.Keys(m)); !slices.Equal(keys, want) {
		t.Errorf("fields %q, want %q in name order", keys, want)
	}
	for range (Spec{}).fields() {
		t.Error("the empty spec has a field")
	}
}
