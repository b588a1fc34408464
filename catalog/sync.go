package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// ErrSourceUnreadable is returned by Sync when a catalog root cannot be
// read at all; the catalog keeps its last snapshot.
var ErrSourceUnreadable = errors.New("catalog source unreadable")

// Syncer keeps a Catalog in step with its sources: it serves the stored
// snapshot at start, then reads the sources, and when anything changed
// relates, indexes, swaps in and stores the new snapshot.
type Syncer struct {
	loader  *Loader
	store   Store
	catalog *Catalog
	log     *slog.Logger
	now     func() time.Time

	mu   sync.Mutex
	last *Snapshot
}

// SyncerOptions are the Syncer's optional collaborators.
type SyncerOptions struct {
	Store  Store // nil keeps the catalog in memory only
	Logger *slog.Logger
	Now    func() time.Time
}

// NewSyncer returns a Syncer that loads with l into c.
func NewSyncer(l *Loader, c *Catalog, opts SyncerOptions) *Syncer {
	s := &Syncer{loader: l, store: opts.Store, catalog: c, log: opts.Logger, now: opts.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// SyncReport describes one Sync.
type SyncReport struct {
	Entities  int
	Errors    int
	Warnings  int
	Parsed    int
	Reused    int
	Unchanged bool
	Took      time.Duration
}

// Open serves the stored snapshot, if there is one, without reading any
// source. It reports whether a snapshot was found.
func (s *Syncer) Open(ctx context.Context) (bool, error) {
	if s.store == nil {
		return false, nil
	}
	snap, err := s.store.Load(ctx)
	if errors.Is(err, ErrNoSnapshot) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("open stored catalog: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Equal(snap.Sources, s.loader.Roots) {
		// Another organisation's snapshot: serve it until the first sync,
		// but do not reuse its files.
		s.catalog.Swap(NewIndex(snap.Entities, snap.Problems, snap.SyncedAt))
		return true, nil
	}
	s.last = snap
	s.catalog.Swap(NewIndex(slices.Clone(snap.Entities), snap.Problems, snap.SyncedAt))
	return true, nil
}

// Sync reads the sources once. The new snapshot is served before it is
// stored; a failure to store is returned but the catalog stays updated.
func (s *Syncer) Sync(ctx context.Context) (SyncReport, error) {
	start := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.loader.load(ctx, s.last, false) // an Unchanged result is served from s.last
	if err != nil {
		return SyncReport{}, err
	}
	rep := SyncReport{Parsed: res.Parsed, Reused: res.Reused, Unchanged: res.Unchanged}
	if len(res.UnreadableRoots) > 0 && s.catalog.Index().Len() > 0 {
		// Serving nothing because a mount went away would be worse than
		// serving the last good snapshot; the store keeps it too.
		return rep, fmt.Errorf("sync catalog: %w: cannot read %s; keeping the last snapshot", ErrSourceUnreadable, strings.Join(res.UnreadableRoots, ", "))
	}
	if res.Unchanged && s.last != nil {
		rep.Entities = len(s.last.Entities)
		rep.Errors, rep.Warnings = countSeverities(s.last.Problems)
		rep.Took = s.now().Sub(start)
		return rep, nil
	}
	// Entities reused from the served snapshot are shared with readers:
	// relate copies so their relations are never written under a reader.
	// Entities parsed by this load are the loader's own.
	entities := make([]*Entity, len(res.Entities))
	for i, e := range res.Entities {
		if !res.shared[i] {
			entities[i] = e
			continue
		}
		c := *e
		c.Relations, c.relTargets = nil, nil
		entities[i] = &c
	}
	// Key order lets the store write without sorting a copy, and relating
	// in that order gives target positions the store can use.
	for _, e := range entities {
		e.cacheKey()
	}
	sortByKey(entities)
	problems := append(res.Problems, Relate(entities)...)
	problems.Sort()
	snap := &Snapshot{
		Entities: entities,
		Problems: problems,
		Files:    res.Files,
		Sources:  slices.Clone(s.loader.Roots),
		SyncedAt: start,
		shadowed: res.shadowed,
	}
	// The store writes while the index is built: both only read the
	// entities, and on a large catalog each takes seconds. They only read
	// because Relate has cached every key and sorted every relation list,
	// which NewIndex would otherwise do in place.
	saved := make(chan error, 1)
	if s.store != nil {
		go func() { saved <- s.store.Save(ctx, snap) }()
	} else {
		saved <- nil
	}
	s.catalog.Swap(newIndex(slices.Clone(entities), problems, start, s.store == nil))
	s.last = snap
	rep.Entities = len(entities)
	rep.Errors, rep.Warnings = countSeverities(problems)
	err = <-saved
	rep.Took = s.now().Sub(start)
	if err != nil {
		return rep, fmt.Errorf("store catalog snapshot: %w", err)
	}
	return rep, nil
}

// Run syncs every interval until ctx ends. Each outcome is logged (changes
// and errors; an unchanged sync only at debug level) and, when observe is
// not nil, handed to it, for metrics.
func (s *Syncer) Run(ctx context.Context, every time.Duration, observe func(SyncReport, error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rep, err := s.Sync(ctx)
			if ctx.Err() != nil {
				return
			}
			if observe != nil {
				observe(rep, err)
			}
			switch {
			case err != nil:
				s.log.ErrorContext(ctx, "catalog sync", "err", err)
			case rep.Unchanged:
				s.log.DebugContext(ctx, "catalog sync", "unchanged", true, "took", rep.Took)
			default:
				s.log.InfoContext(ctx, "catalog sync", "entities", rep.Entities, "errors", rep.Errors,
					"warnings", rep.Warnings, "parsed", rep.Parsed, "took", rep.Took)
			}
		}
	}
}

func countSeverities(ps Problems) (errs, warns int) {
	for _, p := range ps {
		if p.IsError() {
			errs++
		} else {
			warns++
		}
	}
	return errs, warns
}
