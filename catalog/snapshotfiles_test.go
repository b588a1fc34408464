package catalog

import (
	"slices"
	"testing"
)

// TestSnapshotFiles answers a load's questions about a snapshot: states
// of reusable files, entities by file (copies that lost a conflict and
// entities of files with no state included), problems to repeat, and
// which file kept a key.
func TestSnapshotFiles(t *testing.T) {
	ent := func(kind, name, file string) *Entity {
		e := &Entity{Kind: kind, Metadata: Metadata{Name: name, Namespace: DefaultNamespace}, Origin: Origin{File: file}}
		e.cacheKey()
		return e
	}
	a1, a2 := ent(KindComponent, "a1", "a.yaml"), ent(KindComponent, "a2", "a.yaml")
	b1 := ent(KindComponent, "b1", "b.yaml")
	lost := ent(KindComponent, "a1", "c.yaml")    // lost a1 to a.yaml
	gone := ent(KindComponent, "g1", "gone.yaml") // its file has no state
	snap := &Snapshot{
		Entities: []*Entity{a1, a2, b1, gone},
		shadowed: []*Entity{lost},
		Files: []FileState{
			{Path: "a.yaml", Size: 1}, {Path: "b.yaml", Size: 2}, {Path: "c.yaml", Size: 3},
		},
		Problems: Problems{
			{File: "b.yaml", Message: "a warning to repeat"},
			{File: "c.yaml", Code: CodeConflict, Message: "lost a1"},
		},
	}
	x := snap.files()
	for path, want := range map[string][]*Entity{"a.yaml": {a1, a2}, "b.yaml": {b1}, "c.yaml": {lost}, "gone.yaml": {gone}, "none.yaml": nil} {
		if got := x.entities(path); !slices.Equal(got, want) || cap(got) != len(got) {
			t.Errorf("entities(%s) = %v (cap %d), want %v, clipped", path, got, cap(got), want)
		}
	}
	if st, ok := x.state("b.yaml"); !ok || st.Size != 2 {
		t.Errorf("state(b.yaml) = %v, %v", st, ok)
	}
	// With the losing copies in memory, c.yaml can be reused whole.
	if _, ok := x.state("c.yaml"); !ok {
		t.Error("state(c.yaml) missing, though its losing copy is in the snapshot")
	}
	if _, ok := x.state("gone.yaml"); ok {
		t.Error("state(gone.yaml) found, but the snapshot records none")
	}
	if got := x.fileProblems("b.yaml"); len(got) != 1 {
		t.Errorf("fileProblems(b.yaml) = %v, want the warning", got)
	}
	if f, ok := x.owner(a1.Key()); !ok || f != "a.yaml" {
		t.Errorf("owner(%s) = %q, %v; want a.yaml", a1.Key(), f, ok)
	}
	if _, ok := x.owner("component:default/nobody"); ok {
		t.Error("owner of a key not in the snapshot found")
	}
	// A stored snapshot has no losing copies: their files are read again.
	stored := &Snapshot{Entities: snap.Entities, Files: snap.Files, Problems: snap.Problems}
	if _, ok := stored.files().state("c.yaml"); ok {
		t.Error("a stored snapshot offers c.yaml for reuse, but lacks its losing copy")
	}
	var none *snapshotFiles
	if _, ok := none.state("a.yaml"); ok || none.entities("a.yaml") != nil {
		t.Error("no snapshot answered as if it had files")
	}
}
