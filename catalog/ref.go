package catalog

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultNamespace is the namespace of entities that name none.
const DefaultNamespace = "default"

// Ref identifies an entity: kind, namespace and name. Identity is
// case-insensitive, so two Refs are the same entity when their Keys are
// equal; the fields keep the case they were written in for display.
type Ref struct {
	Kind      string
	Namespace string
	Name      string
}

// Key is the canonical lowercase form "kind:namespace/name" that Backstage
// uses for relation targets and lookups.
func (r Ref) Key() string {
	return strings.ToLower(r.Kind) + ":" + strings.ToLower(r.Namespace) + "/" + strings.ToLower(r.Name)
}

// appendKey appends Key() to b.
func (r Ref) appendKey(b []byte) []byte {
	b = appendLower(b, r.Kind)
	b = append(b, ':')
	b = appendLower(b, r.Namespace)
	b = append(b, '/')
	return appendLower(b, r.Name)
}

// appendLower appends strings.ToLower(s) to b, without a string between
// for ASCII.
func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return append(b, strings.ToLower(s[i:])...)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// String is the case-preserving form "kind:namespace/name".
func (r Ref) String() string {
	return r.Kind + ":" + r.Namespace + "/" + r.Name
}

// Short is the form a person would write: the namespace is left out when it
// is the default one.
func (r Ref) Short() string {
	if strings.EqualFold(r.Namespace, DefaultNamespace) {
		return strings.ToLower(r.Kind) + ":" + r.Name
	}
	return strings.ToLower(r.Kind) + ":" + r.Namespace + "/" + r.Name
}

// ErrBadRef is wrapped by ParseRef's errors.
var ErrBadRef = errors.New("bad entity reference")

// ParseRef reads "[kind:][namespace/]name" exactly as Backstage's
// parseEntityRef does. The first ':' ends the kind unless a '/' comes
// before it ("ns/na:me" has no kind); the first '/' ends the namespace and
// the name is everything after it ("a/b/c" is namespace a, name b/c). An
// empty kind, namespace or name is an error, as is a missing kind when
// defaultKind is empty; a missing namespace takes defaultNamespace, or
// "default" when that is empty too.
func ParseRef(s, defaultKind, defaultNamespace string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("%w: the reference is empty", ErrBadRef)
	}
	colon := strings.IndexByte(s, ':')
	slash := strings.IndexByte(s, '/')
	if slash >= 0 && slash < colon {
		colon = -1
	}
	kind, ns := defaultKind, defaultNamespace
	if colon >= 0 {
		kind = s[:colon]
		if kind == "" {
			return Ref{}, fmt.Errorf("%w: %q has an empty kind before ':'; write it as [kind:][namespace/]name", ErrBadRef, s)
		}
	}
	if slash >= 0 {
		ns = s[colon+1 : slash]
		if ns == "" {
			return Ref{}, fmt.Errorf("%w: %q has an empty namespace before '/'; write it as [kind:][namespace/]name", ErrBadRef, s)
		}
	}
	name := s[max(colon+1, slash+1):]
	if name == "" {
		return Ref{}, fmt.Errorf("%w: %q has an empty name; write it as [kind:][namespace/]name", ErrBadRef, s)
	}
	if kind == "" {
		return Ref{}, fmt.Errorf("%w: %q has no kind; write it as kind:name, e.g. component:%s or resource:%s", ErrBadRef, s, s, s)
	}
	if ns == "" {
		ns = DefaultNamespace
	}
	return Ref{Kind: kind, Namespace: ns, Name: name}, nil
}

// MustRef parses a full or short ref with the given default kind and the
// default namespace; it panics on error and is meant for tests and constants.
func MustRef(s, defaultKind string) Ref {
	r, err := ParseRef(s, defaultKind, DefaultNamespace)
	if err != nil {
		panic(err)
	}
	return r
}
