package catalog

import (
	"context"
	"errors"
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

// snapshotFiles indexes a snapshot by file for a load that reuses it.
type snapshotFiles struct {
	states   map[string]FileState
	entities map[string][]*Entity
	problems map[string]Problems
	owner    map[string]string // entity key -> file
}

// files returns the snapshot's index by file; s must not change after.
func (s *Snapshot) files() *snapshotFiles {
	s.byFileOnce.Do(func() {
		x := &snapshotFiles{
			states:   make(map[string]FileState, len(s.Files)),
			entities: make(map[string][]*Entity, len(s.Files)),
			problems: map[string]Problems{},
			owner:    make(map[string]string, len(s.Entities)),
		}
		for _, f := range s.Files {
			x.states[f.Path] = f
		}
		for _, e := range s.Entities {
			x.entities[e.Origin.File] = append(x.entities[e.Origin.File], e)
			x.owner[e.Key()] = e.Origin.File
		}
		for _, e := range s.shadowed {
			x.entities[e.Origin.File] = append(x.entities[e.Origin.File], e)
		}
		for _, p := range s.Problems {
			switch {
			case p.Code == "":
				x.problems[p.File] = append(x.problems[p.File], p)
			case p.Code == CodeConflict && s.shadowed == nil:
				// A stored snapshot lacks the copies that lost a
				// conflict, so their files cannot be reused whole.
				delete(x.states, p.File)
			}
		}
		s.byFile = x
	})
	return s.byFile
}

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
