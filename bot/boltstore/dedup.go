// Package boltstore keeps the chat adapters' state in bbolt: the seen-set that
// lets an adapter process a retried or doubly delivered event once. main opens
// the one bbolt file and hands the *bbolt.DB in; this package owns its bucket.
package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/bbolt"
)

// DefaultTTL is how long a key counts as seen when NewDedup is given zero.
// Slack retries within minutes; an hour covers every retry and redelivery.
const DefaultTTL = time.Hour

// pruneEvery bounds how often FirstSeen sweeps expired keys.
const pruneEvery = 10 * time.Minute

// dedupBucket holds key → expiry (Unix nanoseconds, big-endian).
const dedupBucket = "bot.dedup"

// Dedup is a seen-set of delivery keys (event ids, message timestamps,
// envelope ids) that expire after a TTL. It is safe for concurrent use, and
// the set survives a restart because it lives in bbolt.
type Dedup struct {
	db  *bbolt.DB
	ttl time.Duration

	mu        sync.Mutex
	lastPrune time.Time
}

// NewDedup returns a seen-set stored in db, creating its bucket. Keys count
// as seen for ttl; zero means DefaultTTL.
func NewDedup(db *bbolt.DB, ttl time.Duration) (*Dedup, error) {
	if db == nil {
		return nil, errors.New("boltstore: nil *bbolt.DB")
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte(dedupBucket))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", dedupBucket, err)
	}
	return &Dedup{db: db, ttl: ttl}, nil
}

// FirstSeen records key as seen at now and reports whether it was unseen (or
// its earlier sighting has expired). Checking and recording happen in one
// transaction, so of several concurrent callers with the same key exactly one
// gets true. An error means nothing was recorded. Expired keys are swept from
// time to time as a side effect.
func (d *Dedup) FirstSeen(key string, now time.Time) (bool, error) {
	if key == "" {
		return false, errors.New("boltstore: empty dedup key")
	}
	first := false
	err := d.db.Update(func(tx *bbolt.Tx) (err error) {
		first, err = d.see(tx, key, now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record dedup key %q: %w", key, err)
	}
	return first, nil
}

// see is FirstSeen within tx, which the caller commits.
func (d *Dedup) see(tx *bbolt.Tx, key string, now time.Time) (bool, error) {
	b := tx.Bucket([]byte(dedupBucket))
	if d.duePrune(now) {
		if _, err := deleteExpired(b, now); err != nil {
			return false, err
		}
	}
	if v := b.Get([]byte(key)); v != nil && now.Before(decodeTime(v)) {
		return false, nil
	}
	return true, b.Put([]byte(key), encodeTime(now.Add(d.ttl)))
}

// Prune deletes the keys that have expired at now and returns how many.
func (d *Dedup) Prune(now time.Time) (int, error) {
	n := 0
	err := d.db.Update(func(tx *bbolt.Tx) error {
		var err error
		n, err = deleteExpired(tx.Bucket([]byte(dedupBucket)), now)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune dedup keys: %w", err)
	}
	return n, nil
}

func (d *Dedup) duePrune(now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if now.Sub(d.lastPrune) < pruneEvery {
		return false
	}
	d.lastPrune = now
	return true
}

func deleteExpired(b *bbolt.Bucket, now time.Time) (int, error) {
	var expired [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if !now.Before(decodeTime(v)) {
			expired = append(expired, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range expired {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(expired), nil
}

func encodeTime(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano()))
}

// decodeTime reads an expiry; a malformed value reads as long expired.
func decodeTime(v []byte) time.Time {
	if len(v) != 8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(v)))
}
