package boltstore_test

import (
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/callboard/callboard/bot/boltstore"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func openDB(t *testing.T, path string) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return db
}

func newDedup(t *testing.T, ttl time.Duration) (*boltstore.Dedup, *bbolt.DB) {
	t.Helper()
	db := openDB(t, filepath.Join(t.TempDir(), "callboard.db"))
	t.Cleanup(func() { db.Close() })
	d, err := boltstore.NewDedup(db, ttl)
	if err != nil {
		t.Fatalf("NewDedup: %v", err)
	}
	return d, db
}

func firstSeen(t *testing.T, d *boltstore.Dedup, key string, now time.Time) bool {
	t.Helper()
	first, err := d.FirstSeen(key, now)
	if err != nil {
		t.Fatalf("FirstSeen(%q): %v", key, err)
	}
	return first
}

func TestDedup_FirstSeen(t *testing.T) {
	d, _ := newDedup(t, time.Hour)

	t.Run("first sighting", func(t *testing.T) {
		if !firstSeen(t, d, "event:Ev1", t0) {
			t.Errorf("FirstSeen(event:Ev1) = false on first sighting, want true")
		}
	})
	t.Run("repeat within ttl", func(t *testing.T) {
		if firstSeen(t, d, "event:Ev1", t0.Add(59*time.Minute)) {
			t.Errorf("FirstSeen(event:Ev1) after 59m = true, want false")
		}
	})
	t.Run("other key", func(t *testing.T) {
		if !firstSeen(t, d, "event:Ev2", t0) {
			t.Errorf("FirstSeen(event:Ev2) = false, want true")
		}
	})
	t.Run("after expiry", func(t *testing.T) {
		if !firstSeen(t, d, "event:Ev1", t0.Add(61*time.Minute)) {
			t.Errorf("FirstSeen(event:Ev1) after expiry = false, want true")
		}
	})
	t.Run("empty key", func(t *testing.T) {
		if _, err := d.FirstSeen("", t0); err == nil {
			t.Errorf("FirstSeen(\"\") error = nil, want an error")
		}
	})
}

func TestDedup_SurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callboard.db")
	db := openDB(t, path)
	d, err := boltstore.NewDedup(db, 0)
	if err != nil {
		t.Fatalf("NewDedup: %v", err)
	}
	if !firstSeen(t, d, "msg:C1:1700000000.000100", t0) {
		t.Fatalf("FirstSeen on a fresh store = false, want true")
	}
	if err := db.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	db = openDB(t, path)
	defer db.Close()
	d, err = boltstore.NewDedup(db, 0)
	if err != nil {
		t.Fatalf("NewDedup after reopen: %v", err)
	}
	if firstSeen(t, d, "msg:C1:1700000000.000100", t0.Add(time.Minute)) {
		t.Errorf("FirstSeen after reopening the file = true, want false (key was recorded before)")
	}
}

func TestDedup_ConcurrentCallersAgree(t *testing.T) {
	d, _ := newDedup(t, time.Hour)
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			first, err := d.FirstSeen("envelope:abc", t0)
			if err != nil {
				t.Errorf("FirstSeen: %v", err)
			}
			if first {
				firsts.Add(1)
			}
		})
	}
	wg.Wait()
	if got := firsts.Load(); got != 1 {
		t.Errorf("%d of 20 concurrent callers saw the key first, want exactly 1", got)
	}
}

func TestDedup_Prune(t *testing.T) {
	d, db := newDedup(t, time.Hour)
	firstSeen(t, d, "old", t0)
	firstSeen(t, d, "new", t0.Add(30*time.Minute))

	n, err := d.Prune(t0.Add(61 * time.Minute))
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	if n != 1 {
		t.Errorf("Prune removed %d keys, want 1", n)
	}
	var keys []string
	err = db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("bot.dedup")).ForEach(func(k, _ []byte) error {
			keys = append(keys, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatalf("read bucket: %v", err)
	}
	if len(keys) != 1 || keys[0] != "new" {
		t.Errorf("keys after Prune = %q, want [new]", keys)
	}
}

func TestDedup_FirstSeenSweepsExpiredKeys(t *testing.T) {
	d, db := newDedup(t, time.Minute)
	for _, k := range []string{"a", "b", "c"} {
		firstSeen(t, d, k, t0)
	}
	firstSeen(t, d, "d", t0.Add(time.Hour))
	count := 0
	err := db.View(func(tx *bbolt.Tx) error {
		count = tx.Bucket([]byte("bot.dedup")).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatalf("read bucket: %v", err)
	}
	if count != 1 {
		t.Errorf("bucket holds %d keys after an hour, want 1 (expired keys swept)", count)
	}
}

func TestNewDedup_NilDB(t *testing.T) {
	if _, err := boltstore.NewDedup(nil, 0); err == nil {
		t.Errorf("NewDedup(nil) error = nil, want an error")
	}
}
