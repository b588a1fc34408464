package catalog

import (
	"context"
	"errors"
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
