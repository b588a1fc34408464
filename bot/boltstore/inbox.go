package boltstore

import (
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Inbox keeps the inputs a chat adapter has acknowledged and not yet
// answered, so that a process killed while working on them can answer them
// when it starts again: a platform never sends an acknowledged input
// twice. Entries are the adapter's own encoding; each Put and Done is
// committed (and synced) before it returns. It is safe for concurrent use.
type Inbox struct {
	db     *bbolt.DB
	bucket []byte
	seen   *Dedup
}

// NewInbox returns the inbox named name ("slack") in db, creating its
// bucket. seen is the seen-set Accept records keys in, in the same db.
func NewInbox(db *bbolt.DB, name string, seen *Dedup) (*Inbox, error) {
	switch {
	case db == nil:
		return nil, errors.New("boltstore: nil *bbolt.DB")
	case name == "":
		return nil, errors.New("boltstore: empty inbox name")
	case seen == nil || seen.db != db:
		return nil, errors.New("boltstore: an inbox needs a seen-set in its own bbolt file")
	}
	in := &Inbox{db: db, bucket: []byte("bot.inbox." + name), seen: seen}
	err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(in.bucket)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", in.bucket, err)
	}
	return in, nil
}

// Put records entry under id, replacing what id had.
func (in *Inbox) Put(id string, entry []byte) error {
	if id == "" {
		return errors.New("boltstore: empty inbox id")
	}
	err := in.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(in.bucket).Put([]byte(id), entry)
	})
	if err != nil {
		return fmt.Errorf("record inbox entry %q: %w", id, err)
	}
	return nil
}

// Accept records key as seen at now (see Dedup.FirstSeen) and, when it
// had not been seen, entry under id, in one transaction: a process killed
// in between cannot have marked an input seen, so that its redelivery is
// dropped, without keeping it to answer. It reports whether key was new.
func (in *Inbox) Accept(key string, now time.Time, id string, entry []byte) (bool, error) {
	if key == "" || id == "" {
		return false, errors.New("boltstore: empty dedup key or inbox id")
	}
	first := false
	err := in.db.Update(func(tx *bbolt.Tx) error {
		var err error
		if first, err = in.seen.see(tx, key, now); err != nil || !first {
			return err
		}
		return tx.Bucket(in.bucket).Put([]byte(id), entry)
	})
	if err != nil {
		return false, fmt.Errorf("accept inbox entry %q: %w", id, err)
	}
	return first, nil
}

// Done forgets id; forgetting an id the inbox does not have is no error.
func (in *Inbox) Done(id string) error {
	err := in.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(in.bucket).Delete([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("forget inbox entry %q: %w", id, err)
	}
	return nil
}

// Pending calls f with every entry, in id order, within one read
// transaction: entry is valid only until f returns.
func (in *Inbox) Pending(f func(id string, entry []byte)) error {
	err := in.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(in.bucket).ForEach(func(k, v []byte) error {
			f(string(k), v)
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("read inbox %s: %w", in.bucket, err)
	}
	return nil
}
