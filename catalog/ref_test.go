package catalog

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		ref, defaultKind, defaultNamespace string
		want                               Ref
		wantErr                            bool
	}{
		{ref: "group:ns/team", want: Ref{"group", "ns", "team"}},
		{ref: "team", defaultKind: "Group", defaultNamespace: "ns", want: Ref{"Group", "ns", "team"}},
		{ref: "team", defaultKind: "Group", want: Ref{"Group", "default", "team"}},
		{ref: "Team A", defaultKind: "Group", want: Ref{"Group", "default", "Team A"}},
		{ref: "a/b/c", defaultKind: "Group", want: Ref{"Group", "a", "b/c"}},
		{ref: "a:b:c", want: Ref{"a", "default", "b:c"}},
		{ref: "ns/na:me", defaultKind: "Group", want: Ref{"Group", "ns", "na:me"}},
		{ref: "a/b:c/d", defaultKind: "Group", want: Ref{"Group", "a", "b:c/d"}},
		{ref: "Resource:DB", want: Ref{"Resource", "default", "DB"}},
		{ref: "component:default/x", defaultKind: "", want: Ref{"component", "default", "x"}},
		{ref: "", defaultKind: "Group", wantErr: true},
		{ref: "group:", defaultKind: "Group", wantErr: true},
		{ref: "ns/", defaultKind: "Group", wantErr: true},
		{ref: ":x", defaultKind: "Group", wantErr: true},
		{ref: "/x", defaultKind: "Group", wantErr: true},
		{ref: "a:/x", defaultKind: "Group", wantErr: true},
		{ref: "a:b/", defaultKind: "Group", wantErr: true},
		{ref: "db", wantErr: true},
		{ref: "default/db", wantErr: true},
		{ref: "ns/na:me", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseRef(tt.ref, tt.defaultKind, tt.defaultNamespace)
		if tt.wantErr {
			if err == nil || !errors.Is(err, ErrBadRef) {
				t.Errorf("ParseRef(%q, %q, %q) = %v, %v; want an ErrBadRef", tt.ref, tt.defaultKind, tt.defaultNamespace, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseRef(%q, %q, %q) = %v, %v; want %v", tt.ref, tt.defaultKind, tt.defaultNamespace, got, err, tt.want)
		}
	}
}

func TestRef_Key(t *testing.T) {
	r := Ref{Kind: "Component", Namespace: "Default", Name: "Payments-API"}
	if got, want := r.Key(), "component:default/payments-api"; got != want {
		t.Errorf("Key() = %q, want %q", got, want)
	}
	if got, want := r.Short(), "component:Payments-API"; got != want {
		t.Errorf("Short() = %q, want %q", got, want)
	}
}

func TestRef_AppendKey(t *testing.T) {
	for _, r := range []Ref{
		{"Component", "default", "payments-api"},
		{"API", "Team-A", "Payments_API.v2"},
		{"Group", "default", "Équipe-Paiements"},
		{"User", "ÄÖ", "jane.DOE"},
	} {
		if got := string(r.appendKey([]byte("x"))); got != "x"+r.Key() {
			t.Errorf("appendKey(%v) = %q, want %q", r, got, "x"+r.Key())
		}
	}
}

// Every ref field of every kind, and a Location's targets, can be named by
// a refPos.
func TestRefFieldNames(t *testing.T) {
	if len(refFieldNames) >= 256 {
		t.Fatalf("%d ref field names do not fit a byte", len(refFieldNames))
	}
	for kind, ks := range kindSpecs {
		for _, f := range ks.refs {
			if i, ok := refField(f.name); !ok || refFieldNames[i] != f.name {
				t.Errorf("%s spec.%s has no refPos name", kind, f.name)
			}
		}
	}
	for _, name := range []string{"target", "targets"} {
		if _, ok := refField(name); !ok {
			t.Errorf("Location spec.%s has no refPos name", name)
		}
	}
	if _, ok := refField("description"); ok {
		t.Error("refField accepted a field that holds no ref")
	}
}

func TestRefPositions_Packed(t *testing.T) {
	want := []refPos{
		{field: 0, index: -1, line: 1, col: 1},
		{field: 3, index: 0, line: 127, col: 128},
		{field: 7, index: 300, line: 1 << 20, col: 9},
		{field: 255, index: math.MaxInt32 - 1, line: math.MaxInt32, col: math.MaxInt32},
	}
	e := &Entity{refPos: string(packRefPositions(nil, want))}
	if n := e.refPositionCount(); n != len(want) {
		t.Errorf("refPositionCount() = %d, want %d", n, len(want))
	}
	if got := slices.Collect(e.refPositions()); !slices.Equal(got, want) {
		t.Errorf("refPositions() = %v, want %v", got, want)
	}
	if p, ok := e.refPosition(specRef{refFieldNames[3], 0}); !ok || p != (position{127, 128}) {
		t.Errorf("refPosition(%s[0]) = %v, %v; want 127:128", refFieldNames[3], p, ok)
	}
	// Cut short, the positions end early instead of reading past the end.
	packed := e.refPos
	for n := range len(packed) {
		cut := &Entity{refPos: packed[:n]}
		if got := slices.Collect(cut.refPositions()); len(got) > len(want) || !slices.Equal(got, want[:len(got)]) {
			t.Fatalf("refPositions() of %d of %d bytes = %v", n, len(packed), got)
		}
	}
	if got := slices.Collect((&Entity{}).refPositions()); len(got) != 0 {
		t.Errorf("refPositions() of an entity without any = %v", got)
	}
}
