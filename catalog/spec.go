package catalog

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
)

// Spec is an entity's spec block: every field the file had, with the values
// of its JSON form (objects, lists, strings, numbers, booleans, null).
//
// It is kept encoded, as one immutable string, rather than as a tree of
// maps, lists and boxed values: a catalog holds hundreds of thousands of
// specs, and the garbage collector scans every pointer of such a tree on
// every cycle, while a string is one object it never looks inside.
// Accessors read fields from the encoding; Map decodes the whole value.
//
// The zero Spec is an empty one. Keys are sorted, so two Specs with the
// same fields have the same encoding and compare equal with ==.
type Spec struct{ enc string }

// The encoding: a value is a one-byte tag and its payload. Strings are a
// uvarint length and bytes; ints zig-zag varints; floats 8 bytes little
// endian; a map is a uvarint count and that many (string key, value) pairs
// in ascending key order; a list a uvarint count and its values. A Spec is
// the encoding of a non-empty map, or "" for an empty one.
const (
	specNil byte = iota
	specString
	specInt
	specFloat
	specTrue
	specFalse
	specMap
	specList
)

// maxSpecDepth bounds nesting; the parser drops deeper values, and a
// stored spec deeper than this is corrupt.
const maxSpecDepth = 10001

// errBadSpec is wrapped by SpecFromEncoded's errors.
var errBadSpec = errors.New("malformed encoded spec")

// NewSpec encodes m, whose values are what JSON or YAML decoding gives:
// map[string]any, []any, string, int, int64, float64, bool and nil.
func NewSpec(m map[string]any) (Spec, error) {
	if len(m) == 0 {
		return Spec{}, nil
	}
	b, err := appendSpecValue(nil, m, 0)
	if err != nil {
		return Spec{}, err
	}
	return Spec{string(b)}, nil
}

// SpecFromEncoded returns the Spec whose Encoded form is enc, after checking
// that enc is well formed.
func SpecFromEncoded(enc string) (Spec, error) {
	if enc == "" {
		return Spec{}, nil
	}
	r := specReader{s: enc, strict: true}
	if r.byte() != specMap {
		return Spec{}, fmt.Errorf("%w: not a map", errBadSpec)
	}
	if enc == "\x06\x00" {
		return Spec{}, fmt.Errorf("%w: an empty spec is encoded as nothing", errBadSpec)
	}
	r.pos = 0
	if !r.check(0) {
		return Spec{}, fmt.Errorf("%w at byte %d", errBadSpec, r.pos)
	}
	if r.pos != len(enc) {
		return Spec{}, fmt.Errorf("%w: %d trailing bytes", errBadSpec, len(enc)-r.pos)
	}
	return Spec{enc}, nil
}

// Encoded returns the spec's encoding, for stores.
func (s Spec) Encoded() string { return s.enc }

// IsZero reports whether the spec has no fields.
func (s Spec) IsZero() bool { return s.enc == "" }

// Map decodes the spec; nil when it is empty.
func (s Spec) Map() map[string]any {
	if s.enc == "" {
		return nil
	}
	r := specReader{s: s.enc}
	m, _ := r.value().(map[string]any)
	return m
}

// Value decodes the field key; nil when there is none.
func (s Spec) Value(key string) any {
	v, ok := s.field(key)
	if !ok {
		return nil
	}
	r := specReader{s: v}
	return r.value()
}

// Has reports whether the spec has the field key, whatever its value.
func (s Spec) Has(key string) bool {
	_, ok := s.field(key)
	return ok
}

// StringField returns the field key when it is a string, else "".
func (s Spec) StringField(key string) string {
	v, ok := s.field(key)
	if !ok {
		return ""
	}
	r := specReader{s: v}
	if r.byte() != specString {
		return ""
	}
	return r.str()
}

// StringList returns the string items of the field key when it is a list.
func (s Spec) StringList(key string) []string {
	var out []string
	s.eachString(key, func(i int, v string) {
		if i >= 0 {
			out = append(out, v)
		}
	})
	return out
}

// Sub returns the field key when it is a map, else an empty Spec.
func (s Spec) Sub(key string) Spec {
	v, ok := s.field(key)
	if !ok || v[0] != specMap || v == "\x06\x00" {
		return Spec{}
	}
	return Spec{v}
}

// eachString calls fn with the field key's value when it is a string
// (index -1) and with each string item, and its index, when it is a list.
func (s Spec) eachString(key string, fn func(index int, v string)) {
	if v, ok := s.field(key); ok {
		eachStringOf(v, fn)
	}
}

// eachStringOf is eachString over one encoded value.
func eachStringOf(v string, fn func(index int, v string)) {
	r := specReader{s: v}
	switch r.byte() {
	case specString:
		fn(-1, r.str())
	case specList:
		n := r.uvarint()
		for i := 0; i < int(n) && r.ok(); i++ {
			if r.peek() == specString {
				r.pos++
				fn(i, r.str())
			} else {
				r.skip()
			}
		}
	}
}

// fields yields each top-level field's name and encoded value, in name
// order.
func (s Spec) fields() iter.Seq2[string, string] {
	return func(yield func(key, v string) bool) {
		if s.enc == "" {
			return
		}
		r := specReader{s: s.enc}
		if r.byte() != specMap {
			return
		}
		n := r.uvarint()
		for i := 0; i < int(n) && r.ok(); i++ {
			k := r.str()
			start := r.pos
			r.skip()
			if !r.ok() || !yield(k, s.enc[start:r.pos]) {
				return
			}
		}
	}
}

// field returns the encoding of the field key's value.
func (s Spec) field(key string) (string, bool) {
	for k, v := range s.fields() {
		if k == key {
			return v, true
		}
		if k > key {
			break // names are sorted
		}
	}
	return "", false
}

// MarshalJSON writes the spec as a JSON object.
func (s Spec) MarshalJSON() ([]byte, error) {
	m := s.Map()
	if m == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads a JSON object.
func (s *Spec) UnmarshalJSON(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("decode spec: %w", err)
	}
	spec, err := NewSpec(m)
	if err != nil {
		return err
	}
	*s = spec
	return nil
}

func appendSpecString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendSpecValue(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxSpecDepth {
		return nil, fmt.Errorf("spec nested deeper than %d levels", maxSpecDepth)
	}
	var err error
	switch v := v.(type) {
	case nil:
		return append(b, specNil), nil
	case string:
		return appendSpecString(append(b, specString), v), nil
	case int64:
		return binary.AppendVarint(append(b, specInt), v), nil
	case int:
		return binary.AppendVarint(append(b, specInt), int64(v)), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("a spec cannot hold %v", v)
		}
		if v == math.Trunc(v) && v >= -(1<<53) && v <= 1<<53 {
			// JSON does not tell 2.0 from 2; neither does the catalog.
			return binary.AppendVarint(append(b, specInt), int64(v)), nil
		}
		return binary.LittleEndian.AppendUint64(append(b, specFloat), math.Float64bits(v)), nil
	case bool:
		if v {
			return append(b, specTrue), nil
		}
		return append(b, specFalse), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = binary.AppendUvarint(append(b, specMap), uint64(len(keys)))
		for _, k := range keys {
			b = appendSpecString(b, k)
			if b, err = appendSpecValue(b, v[k], depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	case []any:
		b = binary.AppendUvarint(append(b, specList), uint64(len(v)))
		for _, x := range v {
			if b, err = appendSpecValue(b, x, depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	case []string:
		b = binary.AppendUvarint(append(b, specList), uint64(len(v)))
		for _, x := range v {
			b = appendSpecString(append(b, specString), x)
		}
		return b, nil
	}
	return nil, fmt.Errorf("a spec cannot hold a value of type %T", v)
}

// specReader reads the encoding. Accessors only read encodings that were
// built or checked, but it never reads out of bounds whatever it is given:
// past a malformed byte it stops and returns zero values.
type specReader struct {
	s   string
	pos int
	bad bool
	// strict makes varints in other than their shortest form malformed,
	// for check: every encoding is canonical.
	strict bool
}

func (r *specReader) ok() bool { return !r.bad }

func (r *specReader) fail() { r.bad, r.pos = true, len(r.s) }

func (r *specReader) peek() byte {
	if r.pos >= len(r.s) {
		return 0xff
	}
	return r.s[r.pos]
}

func (r *specReader) byte() byte {
	if r.pos >= len(r.s) {
		r.fail()
		return 0xff
	}
	c := r.s[r.pos]
	r.pos++
	return c
}

func (r *specReader) uvarint() uint64 {
	var x uint64
	var shift uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if r.pos >= len(r.s) {
			break
		}
		c := r.s[r.pos]
		r.pos++
		if c < 0x80 {
			if r.strict && ((i > 0 && c == 0) || (i == binary.MaxVarintLen64-1 && c > 1)) {
				break // not the shortest form, or more than 64 bits
			}
			return x | uint64(c)<<shift
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	r.fail()
	return 0
}

// count reads a length that cannot exceed what is left.
func (r *specReader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.s)-r.pos) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *specReader) str() string {
	n := r.count()
	if r.bad {
		return ""
	}
	s := r.s[r.pos : r.pos+n]
	r.pos += n
	return s
}

func (r *specReader) varint() int64 {
	ux := r.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

// float reads the 8 bytes of a float.
func (r *specReader) float() float64 {
	if r.pos+8 > len(r.s) {
		r.fail()
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64([]byte(r.s[r.pos : r.pos+8])))
	r.pos += 8
	return f
}

// skip moves past one value.
func (r *specReader) skip() { r.walk(0, false) }

// check walks one value like skip and reports whether it is well formed:
// known tags, map keys strictly ascending, floats canonical, depth bounded.
func (r *specReader) check(depth int) bool { return r.walk(depth, true) }

func (r *specReader) walk(depth int, validate bool) bool {
	if validate && depth > maxSpecDepth {
		return false
	}
	switch r.byte() {
	case specNil, specTrue, specFalse:
	case specString:
		r.str()
	case specInt:
		r.uvarint()
	case specFloat:
		f := r.float()
		// Floats are canonical: finite, and not whole numbers that an
		// int holds exactly.
		if validate && (math.IsNaN(f) || math.IsInf(f, 0) || (f == math.Trunc(f) && f >= -(1<<53) && f <= 1<<53)) {
			return false
		}
	case specMap:
		n := r.count()
		prev := ""
		for i := 0; i < n && !r.bad; i++ {
			k := r.str()
			if validate && i > 0 && k <= prev {
				return false
			}
			prev = k
			if !r.walk(depth+1, validate) {
				return false
			}
		}
	case specList:
		n := r.count()
		for i := 0; i < n && !r.bad; i++ {
			if !r.walk(depth+1, validate) {
				return false
			}
		}
	default:
		r.fail()
		return false
	}
	return !r.bad
}

// value decodes one value.
func (r *specReader) value() any {
	switch r.byte() {
	case specString:
		return r.str()
	case specInt:
		return r.varint()
	case specFloat:
		if f := r.float(); !r.bad {
			return f
		}
		return nil
	case specTrue:
		return true
	case specFalse:
		return false
	case specMap:
		n := r.count()
		m := make(map[string]any, min(n, 64))
		for i := 0; i < n && !r.bad; i++ {
			k := r.str()
			m[k] = r.value()
		}
		return m
	case specList:
		n := r.count()
		l := make([]any, 0, min(n, 64))
		for i := 0; i < n && !r.bad; i++ {
			l = append(l, r.value())
		}
		return l
	}
	return nil
}

// MustSpec is NewSpec for values known to be valid, such as literals; it
// panics on a value a spec cannot hold.
func MustSpec(m map[string]any) Spec {
	s, err := NewSpec(m)
	if err != nil {
		panic(err)
	}
	return s
}
