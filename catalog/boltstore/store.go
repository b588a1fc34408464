// Package boltstore keeps catalog snapshots in a bbolt file, so a restart
// answers at once without reading any source.
package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/callboard/callboard/catalog"
)

// SchemaVersion is the layout of the buckets below. A file with another
// version is treated as empty and rebuilt from the sources on the next sync.
const SchemaVersion = 3

var (
	bucketMeta     = []byte("catalog.meta")
	bucketEntities = []byte("catalog.entities")
	bucketProblems = []byte("catalog.problems")
	bucketFiles    = []byte("catalog.files")

	keySchema   = []byte("schema")
	keySources  = []byte("sources")
	keySyncedAt = []byte("synced_at")
)

// Store is a catalog.Store over a bbolt database that main opens once and
// shares between the packages that keep state, each in its own buckets.
type Store struct {
	db *bbolt.DB
}

var _ catalog.Store = (*Store)(nil)

// New returns a Store using db.
func New(db *bbolt.DB) *Store { return &Store{db: db} }

// Save replaces the stored snapshot in one transaction. Keys are written in
// sorted order into freshly created buckets with a full fill percentage,
// which keeps bbolt appending pages instead of splitting them.
func (s *Store) Save(ctx context.Context, snap *catalog.Snapshot) error {
	ents := snap.Entities
	if !slices.IsSortedFunc(ents, compareKeys) {
		ents = slices.Clone(ents)
		slices.SortFunc(ents, compareKeys)
	}
	sources, err := json.Marshal(snap.Sources)
	if err != nil {
		return fmt.Errorf("encode snapshot sources: %w", err)
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, name := range [][]byte{bucketEntities, bucketProblems, bucketFiles} {
			if tx.Bucket(name) != nil {
				if err := tx.DeleteBucket(name); err != nil {
					return fmt.Errorf("clear bucket %s: %w", name, err)
				}
			}
		}
		b, err := tx.CreateBucket(bucketEntities)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketEntities, err)
		}
		b.FillPercent = 1
		// Encode a chunk at a time (in parallel) and put it: the encoded
		// snapshot is never held whole in memory besides bbolt's pages.
		const chunk = 8192
		for lo := 0; lo < len(ents); lo += chunk {
			if err := ctx.Err(); err != nil {
				return err
			}
			kvs, err := encodeEntities(ents[lo:min(lo+chunk, len(ents))])
			if err != nil {
				return err
			}
			for _, kv := range kvs {
				if err := b.Put(kv.key, kv.value); err != nil {
					return fmt.Errorf("store entity %s: %w", kv.key, err)
				}
			}
		}
		pb, err := tx.CreateBucket(bucketProblems)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketProblems, err)
		}
		pb.FillPercent = 1
		for i, p := range snap.Problems {
			v, err := json.Marshal(p)
			if err != nil {
				return fmt.Errorf("encode problem in %s: %w", p.File, err)
			}
			if err := pb.Put(seqKey(i), v); err != nil {
				return fmt.Errorf("store problem: %w", err)
			}
		}
		fb, err := tx.CreateBucket(bucketFiles)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketFiles, err)
		}
		fb.FillPercent = 1
		files := append([]catalog.FileState(nil), snap.Files...)
		sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
		for _, f := range files {
			v := binary.AppendVarint(binary.AppendVarint(nil, f.Size), f.ModTime)
			if err := fb.Put([]byte(f.Path), v); err != nil {
				return fmt.Errorf("store file state %s: %w", f.Path, err)
			}
		}
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketMeta, err)
		}
		synced, _ := snap.SyncedAt.MarshalText()
		for k, v := range map[string][]byte{
			string(keySchema): []byte(fmt.Sprint(SchemaVersion)), string(keySources): sources, string(keySyncedAt): synced,
		} {
			if err := meta.Put([]byte(k), v); err != nil {
				return fmt.Errorf("store %s: %w", k, err)
			}
		}
		return nil
	})
}

func compareKeys(a, b *catalog.Entity) int { return strings.Compare(a.Key(), b.Key()) }

type kv struct{ key, value []byte }

// encodeEntities marshals entities in parallel and sorts them by key.
func encodeEntities(es []*catalog.Entity) ([]kv, error) {
	out := make([]kv, len(es))
	errs := make([]error, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	chunk := (len(es) + len(errs) - 1) / len(errs)
	for w := range errs {
		lo, hi := w*chunk, min((w+1)*chunk, len(es))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Keys and values go into one buffer per worker, appended
			// to until full: a few large allocations instead of two per
			// entity. bbolt keeps the slices until the commit.
			var buf []byte
			for i := lo; i < hi; i++ {
				if cap(buf)-len(buf) < 4096 {
					buf = make([]byte, 0, 1<<20)
				}
				start := len(buf)
				buf = append(buf, es[i].Key()...)
				mid := len(buf)
				var err error
				if buf, err = appendEntity(buf, es[i]); err != nil {
					errs[w] = err
					return
				}
				out[i] = kv{key: buf[start:mid:mid], value: buf[mid:len(buf):len(buf)]}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func seqKey(i int) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	return b[:]
}

// Load reads the stored snapshot, decoding entities in parallel.
func (s *Store) Load(ctx context.Context) (*catalog.Snapshot, error) {
	snap := &catalog.Snapshot{}
	var raw [][]byte
	err := s.db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil || tx.Bucket(bucketEntities) == nil {
			return catalog.ErrNoSnapshot
		}
		if v := string(meta.Get(keySchema)); v != fmt.Sprint(SchemaVersion) {
			return fmt.Errorf("stored catalog has schema version %q, this build reads %d: %w", v, SchemaVersion, catalog.ErrNoSnapshot)
		}
		if err := json.Unmarshal(meta.Get(keySources), &snap.Sources); err != nil {
			return fmt.Errorf("decode snapshot sources: %w", err)
		}
		if err := snap.SyncedAt.UnmarshalText(meta.Get(keySyncedAt)); err != nil {
			snap.SyncedAt = time.Time{}
		}
		// Values are only valid inside the transaction; decoding reads
		// them in place and copies what it keeps.
		raw = make([][]byte, 0, 1024)
		if err := tx.Bucket(bucketEntities).ForEach(func(_, v []byte) error {
			raw = append(raw, v)
			return nil
		}); err != nil {
			return err
		}
		ents, err := decodeEntities(ctx, raw)
		if err != nil {
			return err
		}
		snap.Entities = ents
		if err := tx.Bucket(bucketProblems).ForEach(func(_, v []byte) error {
			var p catalog.Problem
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("decode stored problem: %w", err)
			}
			snap.Problems = append(snap.Problems, p)
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketFiles).ForEach(func(k, v []byte) error {
			size, n := binary.Varint(v)
			mtime, m := binary.Varint(v[max(n, 0):])
			if n <= 0 || m <= 0 || n+m != len(v) {
				return fmt.Errorf("decode stored file state of %s: %w", k, errCorrupt)
			}
			snap.Files = append(snap.Files, catalog.FileState{Path: string(k), Size: size, ModTime: mtime})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load catalog snapshot: %w", err)
	}
	return snap, nil
}

func decodeEntities(ctx context.Context, raw [][]byte) ([]*catalog.Entity, error) {
	out := make([]*catalog.Entity, len(raw))
	workers := runtime.GOMAXPROCS(0)
	errs := make([]error, workers)
	chunk := (len(raw) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, len(raw))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				if i%4096 == 0 && ctx.Err() != nil {
					errs[w] = ctx.Err()
					return
				}
				e, err := decodeEntity(raw[i])
				if err != nil {
					errs[w] = fmt.Errorf("decode stored entity %d: %w", i, err)
					return
				}
				out[i] = e
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
