package catalog

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
)

// ErrNoSnapshot is returned by Store.Load when nothing has been stored yet.
var ErrNoSnapshot = errors.New("no stored catalog snapshot")

// Snapshot is one complete, consistent catalog: what a refresh produced.
type Snapshot struct {
	Entities []*Entity // related, unique keys
	Problems Problems
	Files    []FileState
	// Sources are the roots the snapshot was read from; a snapshot of other
	// roots is not reused file by file.
	Sources  []string
	SyncedAt time.Time

	// shadowed are the copies of entities that lost a conflict to a copy
	// in another file, kept in memory so that their unchanged files can
	// be reused whole. A Store does not keep them: after a restart those
	// files are read again.
	shadowed []*Entity

	// byFile is what a load reusing this snapshot looks up, built on the
	// first such load: a catalog re-read every few minutes keeps the same
	// snapshot until something changes.
	byFileOnce sync.Once
	byFile     *snapshotFiles
}

// snapshotFiles indexes a snapshot by file for a load that reuses it. It
// lives as long as its snapshot, so it is kept small: a map from path to
// a file's number, the entities grouped by file in one array, and a map
// of the few problems a reuse repeats (a map per question, one of them
// keyed by entity, was 20 MB on a 100,000-file catalog).
type snapshotFiles struct {
	at       map[string]int32 // path -> file number
	states   []FileState      // states[i] is file i's; files past its end have none
	reusable []bool           // file i may be taken unread if unchanged
	ents     []*Entity        // ents[first[i]:first[i+1]] are file i's
	first    []int32
	problems map[string]Problems
	byKey    []*Entity // the kept entities in key order, for owner
}

// files returns the snapshot's index by file; s must not change after.
func (s *Snapshot) files() *snapshotFiles {
	s.byFileOnce.Do(func() {
		x := &snapshotFiles{
			at:       make(map[string]int32, len(s.Files)),
			states:   s.Files,
			reusable: make([]bool, len(s.Files)),
			problems: map[string]Problems{},
			byKey:    s.Entities,
		}
		for i, f := range s.Files {
			x.at[f.Path] = int32(i)
			x.reusable[i] = true
		}
		// Entities of files without a state (unreadable since, their
		// last good versions kept) get numbers past the states.
		extra := int32(len(s.Files))
		fileOf := func(e *Entity) int32 {
			i, ok := x.at[e.Origin.File]
			if !ok {
				i, extra = extra, extra+1
				x.at[e.Origin.File] = i
			}
			return i
		}
		counts := make([]int32, len(s.Files), len(s.Files)+1)
		count := func(es []*Entity) {
			for _, e := range es {
				i := fileOf(e)
				for int(i) >= len(counts) {
					counts = append(counts, 0)
				}
				counts[i]++
			}
		}
		count(s.Entities)
		count(s.shadowed)
		x.first = make([]int32, len(counts)+1)
		for i, c := range counts {
			x.first[i+1] = x.first[i] + c
		}
		x.ents = make([]*Entity, x.first[len(counts)])
		next := slices.Clone(x.first[:len(counts)])
		for _, es := range [][]*Entity{s.Entities, s.shadowed} {
			for _, e := range es {
				i := x.at[e.Origin.File]
				x.ents[next[i]] = e
				next[i]++
			}
		}
		for _, p := range s.Problems {
			switch {
			case p.Code == "":
				x.problems[p.File] = append(x.problems[p.File], p)
			case p.Code == CodeConflict && s.shadowed == nil:
				// A stored snapshot lacks the copies that lost a
				// conflict, so their files cannot be reused whole.
				if i, ok := x.at[p.File]; ok && int(i) < len(x.reusable) {
					x.reusable[i] = false
				}
			}
		}
		if !slices.IsSortedFunc(x.byKey, compareEntityKeys) {
			x.byKey = slices.Clone(x.byKey)
			slices.SortFunc(x.byKey, compareEntityKeys)
		}
		s.byFile = x
	})
	return s.byFile
}

// state is the recorded state of the file at path, if it may be reused.
func (x *snapshotFiles) state(path string) (FileState, bool) {
	if x == nil {
		return FileState{}, false
	}
	i, ok := x.at[path]
	if !ok || int(i) >= len(x.states) || !x.reusable[i] {
		return FileState{}, false
	}
	return x.states[i], true
}

// entities are the entities the snapshot has from the file at path, the
// copies that lost a conflict included. The slice is clipped: appending
// copies it.
func (x *snapshotFiles) entities(path string) []*Entity {
	if x == nil {
		return nil
	}
	i, ok := x.at[path]
	if !ok {
		return nil
	}
	return x.ents[x.first[i]:x.first[i+1]:x.first[i+1]]
}

// fileProblems are the snapshot's problems in the file at path that a
// reuse of the file repeats (those without a code).
func (x *snapshotFiles) fileProblems(path string) Problems {
	if x == nil {
		return nil
	}
	return slices.Clip(x.problems[path])
}

// owner is the file whose entity kept key in the snapshot.
func (x *snapshotFiles) owner(key string) (string, bool) {
	if x == nil {
		return "", false
	}
	i, ok := slices.BinarySearchFunc(x.byKey, key, func(e *Entity, k string) int { return strings.Compare(e.Key(), k) })
	if !ok {
		return "", false
	}
	return x.byKey[i].Origin.File, true
}

func compareEntityKeys(a, b *Entity) int { return strings.Compare(a.Key(), b.Key()) }

// Store keeps the last good snapshot so a restart answers at once.
//
// Load returns ErrNoSnapshot when there is none. Save replaces the stored
// snapshot atomically: a concurrent or later Load sees either the old
// snapshot or the new one, never a mix, even if the process dies midway.
// Implementations are safe for concurrent use.
type Store interface {
	Load(ctx context.Context) (*Snapshot, error)
	Save(ctx context.Context, s *Snapshot) error
}
