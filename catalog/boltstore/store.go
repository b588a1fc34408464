// Package boltstore keeps catalog snapshots in a bbolt file, so a restart
// answers at once without reading any source.
package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/s2"
	"go.etcd.io/bbolt"

	"github.com/callboard/callboard/catalog"
)

// SchemaVersion is the layout of the buckets below. A file with another
// version is treated as empty and rebuilt from the sources on the next sync.
const SchemaVersion = 9

// Layout: catalog.meta names the current generation; each generation is a
// bucket "catalog.snap.<n>" holding the buckets entities, problems and
// files. A save writes generation n+1 beside n over several transactions,
// then switches catalog.meta to it and drops n in one last transaction:
// readers and restarts see one whole snapshot or the other, and the
// encoded snapshot is never held in memory at once. A save cut short (a
// crash, a cancelled context) leaves a generation nobody names, which the
// next save removes.
var (
	bucketMeta     = []byte("catalog.meta")
	snapPrefix     = []byte("catalog.snap.")
	bucketEntities = []byte("entities")
	bucketProblems = []byte("problems")
	bucketFiles    = []byte("files")

	keySchema   = []byte("schema")
	keyCurrent  = []byte("current")
	keySources  = []byte("sources")
	keySyncedAt = []byte("synced_at")
)

// chunkEntities is how many entities one transaction of a save writes.
const chunkEntities = 8192

// Store is a catalog.Store over a bbolt database that main opens once and
// shares between the packages that keep state, each in its own buckets.
type Store struct {
	db    *bbolt.DB
	chunk int // entities per transaction; tests make it small
	// saving serializes saves: a save spans several transactions, and two
	// interleaved ones would write into one generation. bbolt's file lock
	// keeps other processes out.
	saving sync.Mutex
}

var _ catalog.Store = (*Store)(nil)

// New returns a Store using db.
func New(db *bbolt.DB) *Store { return &Store{db: db, chunk: chunkEntities} }

func snapBucket(gen uint64) []byte {
	return binary.BigEndian.AppendUint64(slices.Clip(snapPrefix), gen)
}

// current returns the generation catalog.meta names, if any.
func current(tx *bbolt.Tx) (uint64, bool) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, false
	}
	v := meta.Get(keyCurrent)
	if len(v) != 8 || string(meta.Get(keySchema)) != fmt.Sprint(SchemaVersion) {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

// Save replaces the stored snapshot: it writes a new generation (entities
// in key order into fresh buckets with a full fill percentage, which keeps
// bbolt appending pages instead of splitting them) and switches to it in
// one transaction.
func (s *Store) Save(ctx context.Context, snap *catalog.Snapshot) error {
	s.saving.Lock()
	defer s.saving.Unlock()
	if err := s.save(ctx, snap); err != nil {
		return fmt.Errorf("write %d entities: %w", len(snap.Entities), err)
	}
	return nil
}

func (s *Store) save(ctx context.Context, snap *catalog.Snapshot) error {
	ents := snap.Entities
	if !slices.IsSortedFunc(ents, compareKeys) {
		ents = slices.Clone(ents)
		slices.SortFunc(ents, compareKeys)
	}
	// Positions number relation targets: a key twice would make the
	// snapshot unreadable.
	for i := 1; i < len(ents); i++ {
		if ents[i-1].Key() == ents[i].Key() {
			return fmt.Errorf("entity %s is in the snapshot twice", ents[i].Key())
		}
	}
	fileBlocks, err := encodeFileStates(snap.Files)
	if err != nil {
		return err
	}
	sources, err := json.Marshal(snap.Sources)
	if err != nil {
		return fmt.Errorf("encode snapshot sources: %w", err)
	}
	var gen uint64
	var name []byte
	// 1. Drop generations a cut-short save left, start the new one.
	err = s.db.Update(func(tx *bbolt.Tx) error {
		cur, ok := current(tx)
		var stale [][]byte
		err := tx.ForEach(func(n []byte, _ *bbolt.Bucket) error {
			if g, isSnap := generationOf(n); isSnap && (!ok || g != cur) {
				stale = append(stale, slices.Clone(n))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, n := range stale {
			if err := tx.DeleteBucket(n); err != nil {
				return fmt.Errorf("drop unfinished snapshot %x: %w", n, err)
			}
		}
		if ok {
			gen = cur + 1
		}
		name = snapBucket(gen)
		b, err := tx.CreateBucket(name)
		if err != nil {
			return fmt.Errorf("create snapshot bucket: %w", err)
		}
		for _, sub := range [][]byte{bucketEntities, bucketProblems, bucketFiles} {
			if _, err := b.CreateBucket(sub); err != nil {
				return fmt.Errorf("create bucket %s: %w", sub, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("start snapshot: %w", err)
	}
	// 2. The entities, a chunk per transaction, encoded in parallel; the
	// next chunk is encoded while the current one is written. A chunk's
	// buffers go back to free once its transaction has committed, so a
	// save allocates about two chunks' worth however big the snapshot.
	next := make(chan encodedChunk, 1) // a send never blocks: no goroutine is left behind
	targets := newTargetIndex(ents)
	free := &bufferPool{}
	encode := func(lo int) { next <- encodeBlocks(ents[lo:min(lo+s.chunk, len(ents))], targets, free) }
	block := uint32(0) // the number of the next block written
	if len(ents) > 0 {
		go encode(0)
	}
	for lo := 0; lo < len(ents); lo += s.chunk {
		c := <-next
		if err := ctx.Err(); err != nil {
			return err
		}
		if c.err != nil {
			return c.err
		}
		if lo+s.chunk < len(ents) {
			go encode(lo + s.chunk)
		}
		err := s.db.Update(func(tx *bbolt.Tx) error {
			b := tx.Bucket(name).Bucket(bucketEntities)
			b.FillPercent = 1
			for _, kv := range c.kvs {
				binary.BigEndian.PutUint32(kv.key, block)
				block++
				if err := b.Put(kv.key, kv.value); err != nil {
					return fmt.Errorf("store block %d of entities: %w", binary.BigEndian.Uint32(kv.key), err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		// bbolt keeps the slices Put was given only until the commit.
		free.put(c.buffers)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// 3. Problems and files, then the switch.
	return s.db.Update(func(tx *bbolt.Tx) error {
		snapB := tx.Bucket(name)
		pb := snapB.Bucket(bucketProblems)
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
		fb := snapB.Bucket(bucketFiles)
		fb.FillPercent = 1
		for i, blk := range fileBlocks {
			if err := fb.Put(binary.BigEndian.AppendUint32(nil, uint32(i)), blk); err != nil {
				return fmt.Errorf("store block %d of file states: %w", i, err)
			}
		}
		if cur, ok := current(tx); ok && cur != gen {
			if err := tx.DeleteBucket(snapBucket(cur)); err != nil && !errors.Is(err, bbolt.ErrBucketNotFound) {
				return fmt.Errorf("drop previous snapshot: %w", err)
			}
		}
		// Buckets of the layout before generations, if the file has them.
		for _, old := range []string{"catalog.entities", "catalog.problems", "catalog.files"} {
			if tx.Bucket([]byte(old)) != nil {
				if err := tx.DeleteBucket([]byte(old)); err != nil {
					return fmt.Errorf("drop bucket %s: %w", old, err)
				}
			}
		}
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketMeta, err)
		}
		synced, _ := snap.SyncedAt.MarshalText()
		for k, v := range map[string][]byte{
			string(keySchema): []byte(fmt.Sprint(SchemaVersion)), string(keySources): sources, string(keySyncedAt): synced,
			string(keyCurrent): binary.BigEndian.AppendUint64(nil, gen),
		} {
			if err := meta.Put([]byte(k), v); err != nil {
				return fmt.Errorf("store %s: %w", k, err)
			}
		}
		return nil
	})
}

// generationOf tells a snapshot bucket's name from the others and returns
// its generation.
func generationOf(name []byte) (uint64, bool) {
	rest, ok := bytes.CutPrefix(name, snapPrefix)
	if !ok || len(rest) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(rest), true
}

func compareKeys(a, b *catalog.Entity) int { return strings.Compare(a.Key(), b.Key()) }

type kv struct{ key, value []byte }

// encodedChunk is a chunk's blocks and the buffers they are slices of,
// or why it could not be encoded.
type encodedChunk struct {
	kvs     []kv
	buffers [][]byte
	err     error
}

// encodeBufferSize is the size of the buffers blocks are copied into: a
// few large allocations instead of one per block.
const encodeBufferSize = 1 << 20

// bufferPool holds encoding buffers no uncommitted block refers to, and
// the encoding workers' scratch. A save encodes chunk after chunk: scratch
// made afresh for each was 90 MB of garbage on a 190,000-entity save, at
// the end of a sync, when the heap peaks.
type bufferPool struct {
	mu      sync.Mutex
	bufs    [][]byte
	scratch []*blockScratch
}

// blockScratch is a worker's space for encoding records (val), a block
// (raw) and its compressed form (packed).
type blockScratch struct{ raw, val, packed []byte }

func (p *bufferPool) getScratch() *blockScratch {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.scratch); n > 0 {
		s := p.scratch[n-1]
		p.scratch = p.scratch[:n-1]
		return s
	}
	return &blockScratch{}
}

func (p *bufferPool) putScratch(s *blockScratch) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.scratch = append(p.scratch, s)
}

func (p *bufferPool) get() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.bufs); n > 0 {
		b := p.bufs[n-1]
		p.bufs = p.bufs[:n-1]
		return b[:0]
	}
	return make([]byte, 0, encodeBufferSize)
}

func (p *bufferPool) put(bufs [][]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bufs = append(p.bufs, bufs...)
}

// A stored block holds at most blockRecords entities and, unless one
// entity is bigger, about blockBytes of values; maxBlockBytes bounds what
// a block may decompress to, so a corrupt length never makes a huge
// allocation.
const (
	blockRecords  = 256
	blockBytes    = 1 << 20
	maxBlockBytes = 64 << 20
)

// encodeBlocks encodes entities into compressed blocks (see the codec), in
// parallel, into buffers taken from free; targets numbers the snapshot's
// entities. Each block's key is left for the writer to number.
func encodeBlocks(es []*catalog.Entity, targets *targetIndex, free *bufferPool) encodedChunk {
	groups := (len(es) + blockRecords - 1) / blockRecords
	perGroup := make([][]kv, groups)
	workers := min(runtime.GOMAXPROCS(0), groups)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var buffers [][]byte
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine [][]byte
			var buf []byte
			sc := free.getScratch()
			defer free.putScratch(sc)
			raw, val, packed := sc.raw[:0], sc.val[:0], sc.packed
			defer func() { sc.raw, sc.val, sc.packed = raw, val, packed }()
			// flush compresses raw into a block and copies it, after its
			// key, into a pooled buffer: bbolt keeps both until the
			// commit, and only what the block takes is taken.
			flush := func(g int) {
				packed = s2.Encode(packed[:cap(packed)], raw)
				need := 4 + len(packed)
				if cap(buf)-len(buf) < need {
					if buf != nil {
						mine = append(mine, buf)
					}
					if buf = free.get(); cap(buf) < need {
						buf = make([]byte, 0, need)
					}
				}
				start := len(buf)
				buf = append(buf, 0, 0, 0, 0)
				buf = append(buf, packed...)
				perGroup[g] = append(perGroup[g], kv{key: buf[start : start+4 : start+4], value: buf[start+4 : len(buf) : len(buf)]})
				raw = raw[:0]
			}
			for g := w; g < groups; g += workers {
				for _, e := range es[g*blockRecords : min((g+1)*blockRecords, len(es))] {
					var err error
					if val, err = appendValue(val[:0], e, targets); err != nil {
						errs[w] = err
						return
					}
					if len(val) > maxBlockBytes-binary.MaxVarintLen64 {
						errs[w] = fmt.Errorf("entity %s is %d bytes stored, more than a stored block holds (%d)", e.Key(), len(val), maxBlockBytes)
						return
					}
					if len(raw) > 0 && len(raw)+len(val) > blockBytes {
						flush(g)
					}
					raw = binary.AppendUvarint(raw, uint64(len(val)))
					raw = append(raw, val...)
				}
				flush(g)
			}
			if buf != nil {
				mine = append(mine, buf)
			}
			mu.Lock()
			buffers = append(buffers, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	var out []kv
	for _, g := range perGroup {
		out = append(out, g...)
	}
	return encodedChunk{kvs: out, buffers: buffers, err: errors.Join(errs...)}
}

func seqKey(i int) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	return b[:]
}

// Load reads the stored snapshot, decoding entities in parallel.
func (s *Store) Load(ctx context.Context) (*catalog.Snapshot, error) {
	snap := &catalog.Snapshot{}
	var raw []kv
	err := s.db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return catalog.ErrNoSnapshot
		}
		if v := string(meta.Get(keySchema)); v != fmt.Sprint(SchemaVersion) {
			return fmt.Errorf("stored catalog has schema version %q, this build reads %d: %w", v, SchemaVersion, catalog.ErrNoSnapshot)
		}
		gen, _ := current(tx)
		snapB := tx.Bucket(snapBucket(gen))
		if snapB == nil {
			return fmt.Errorf("stored catalog names snapshot %d, which is missing: %w", gen, catalog.ErrNoSnapshot)
		}
		if err := json.Unmarshal(meta.Get(keySources), &snap.Sources); err != nil {
			return fmt.Errorf("decode snapshot sources: %w", err)
		}
		if err := snap.SyncedAt.UnmarshalText(meta.Get(keySyncedAt)); err != nil {
			snap.SyncedAt = time.Time{}
		}
		// Values are only valid inside the transaction; decoding reads
		// them in place and copies what it keeps.
		raw = make([]kv, 0, 1024)
		if err := snapB.Bucket(bucketEntities).ForEach(func(k, v []byte) error {
			raw = append(raw, kv{k, v})
			return nil
		}); err != nil {
			return err
		}
		ents, err := decodeEntities(ctx, raw)
		if err != nil {
			return err
		}
		snap.Entities = ents
		if err := snapB.Bucket(bucketProblems).ForEach(func(_, v []byte) error {
			var p catalog.Problem
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("decode stored problem: %w", err)
			}
			snap.Problems = append(snap.Problems, p)
			return nil
		}); err != nil {
			return err
		}
		var fileBlocks []kv
		if err := snapB.Bucket(bucketFiles).ForEach(func(k, v []byte) error {
			fileBlocks = append(fileBlocks, kv{k, v})
			return nil
		}); err != nil {
			return err
		}
		snap.Files, err = decodeFileStates(fileBlocks)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load catalog snapshot: %w", err)
	}
	return snap, nil
}

// decodeEntities decompresses and decodes blocks in parallel, checks that
// the entities are in key order, then points relations at their targets'
// keys.
func decodeEntities(ctx context.Context, blocks []kv) ([]*catalog.Entity, error) {
	workers := max(1, min(runtime.GOMAXPROCS(0), len(blocks)))
	// Each worker decodes a run of blocks into its part: a block's number
	// of entities is known only once it is decompressed.
	type part struct {
		ents    []*catalog.Entity
		targets []int32
		lo      int // where ents starts among all the entities
	}
	parts := make([]part, workers)
	errs := make([]error, workers)
	per := (len(blocks) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var d decoder
			var raw []byte
			for b := w * per; b < min((w+1)*per, len(blocks)); b++ {
				if ctx.Err() != nil {
					errs[w] = ctx.Err()
					return
				}
				// Relations name targets by position: blocks must be
				// numbered 0, 1, 2...
				if k := blocks[b].key; len(k) != 4 || binary.BigEndian.Uint32(k) != uint32(b) {
					errs[w] = fmt.Errorf("decode stored block %d: %w: stored under key %x", b, errCorrupt, k)
					return
				}
				var err error
				if raw, err = decompress(raw, blocks[b].value, maxBlockBytes); err != nil {
					errs[w] = fmt.Errorf("decode stored block %d: %w", b, err)
					return
				}
				for i, rest := 0, raw; len(rest) > 0; i++ {
					n, k := binary.Uvarint(rest)
					if k <= 0 || n > uint64(len(rest)-k) {
						errs[w] = fmt.Errorf("decode stored block %d: %w: its entity %d runs past its end", b, errCorrupt, i)
						return
					}
					e, err := d.decode(rest[k : k+int(n)])
					if err != nil {
						errs[w] = fmt.Errorf("decode stored block %d, its entity %d: %w", b, i, err)
						return
					}
					if es := parts[w].ents; len(es) > 0 && es[len(es)-1].Key() >= e.Key() {
						errs[w] = fmt.Errorf("decode stored block %d: %w: %q follows %q", b, errCorrupt, e.Key(), es[len(es)-1].Key())
						return
					}
					parts[w].ents = append(parts[w].ents, e)
					rest = rest[k+int(n):]
				}
			}
			parts[w].targets = d.targets
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	n := 0
	for w := range parts {
		parts[w].lo = n
		n += len(parts[w].ents)
	}
	out := make([]*catalog.Entity, 0, n)
	// keys are the entities' keys side by side: resolve looks up one per
	// relation, and reading them from the entities was a cache miss each.
	keys := make([]string, n)
	for _, p := range parts {
		out = append(out, p.ents...)
	}
	// Each worker checked the order within its part; the parts' ends meet
	// here.
	for _, p := range parts[1:] {
		if p.lo > 0 && p.lo < n && out[p.lo-1].Key() >= out[p.lo].Key() {
			return nil, fmt.Errorf("decode stored entity %d: %w: %q follows %q", p.lo, errCorrupt, out[p.lo].Key(), out[p.lo-1].Key())
		}
	}
	for w := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := parts[w]
			for i, e := range p.ents {
				keys[p.lo+i] = e.Key()
			}
		}()
	}
	wg.Wait()
	for w := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := parts[w]
			errs[w] = resolve(out[p.lo:p.lo+len(p.ents)], keys, p.targets)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// decompress decompresses a stored block into buf, grown if need be,
// refusing one that would be bigger than limit.
func decompress(buf, block []byte, limit int) ([]byte, error) {
	n, err := s2.DecodedLen(block)
	if err != nil || n > limit {
		return buf, fmt.Errorf("%w: block of %d bytes: %v", errCorrupt, n, err)
	}
	out, err := s2.Decode(buf[:cap(buf)], block)
	if err != nil {
		return buf, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	return out, nil
}
