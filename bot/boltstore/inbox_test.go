package boltstore_test

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/callboard/callboard/bot/boltstore"
)

func pending(t *testing.T, in *boltstore.Inbox) map[string]string {
	t.Helper()
	got := map[string]string{}
	if err := in.Pending(func(id string, entry []byte) { got[id] = string(entry) }); err != nil {
		t.Fatalf("Pending: %v", err)
	}
	return got
}

func TestInbox_SurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callboard.db")
	db := openDB(t, path)
	in, err := boltstore.NewInbox(db, "slack", seenSet(t, db))
	if err != nil {
		t.Fatal(err)
	}
	for id, e := range map[string]string{"event:Ev1": "one", "event:Ev2": "two", "command:3": "three"} {
		if err := in.Put(id, []byte(e)); err != nil {
			t.Fatal(err)
		}
	}
	if err := in.Put("event:Ev1", []byte("one, sending")); err != nil {
		t.Fatal(err)
	}
	if err := in.Done("event:Ev2"); err != nil {
		t.Fatal(err)
	}
	if err := in.Done("never-there"); err != nil {
		t.Errorf("Done of an unknown id: %v", err)
	}
	other, err := boltstore.NewInbox(db, "discord", seenSet(t, db))
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Put("event:Ev1", []byte("discord's")); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = openDB(t, path)
	defer db.Close()
	in, err = boltstore.NewInbox(db, "slack", seenSet(t, db))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"event:Ev1": "one, sending", "command:3": "three"}
	if got := pending(t, in); !reflect.DeepEqual(got, want) {
		t.Errorf("after reopening, Pending = %v, want %v", got, want)
	}
}

func seenSet(t *testing.T, db *bbolt.DB) *boltstore.Dedup {
	t.Helper()
	d, err := boltstore.NewDedup(db, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestInbox_AcceptRecordsOnlyTheFirstDelivery(t *testing.T) {
	_, db := newDedup(t, time.Hour)
	inbox, err := boltstore.NewInbox(db, "slack", seenSet(t, db))
	if err != nil {
		t.Fatal(err)
	}
	accept := func(key, id, entry string, now time.Time) bool {
		t.Helper()
		first, err := inbox.Accept(key, now, id, []byte(entry))
		if err != nil {
			t.Fatalf("Accept(%q): %v", key, err)
		}
		return first
	}
	if !accept("event:Ev1", "event:Ev1", "first", t0) {
		t.Fatal("first delivery not accepted")
	}
	if accept("event:Ev1", "event:Ev1", "retry", t0.Add(time.Minute)) {
		t.Error("a retry within the hour was accepted")
	}
	if got := pending(t, inbox); got["event:Ev1"] != "first" {
		t.Errorf("after a retry, the entry is %q, want the first delivery's", got["event:Ev1"])
	}
	// The key is in the seen-set FirstSeen reads.
	if firstSeen(t, seenSet(t, db), "event:Ev1", t0.Add(2*time.Minute)) {
		t.Error("FirstSeen did not see the key Accept recorded")
	}
	if !accept("event:Ev1", "event:Ev1", "much later", t0.Add(2*time.Hour)) {
		t.Error("a delivery after the key expired was not accepted")
	}
	if _, err := inbox.Accept("", t0, "x", nil); err == nil {
		t.Error("Accept with no key succeeded")
	}
}

func TestInbox_BadArguments(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "callboard.db"))
	defer db.Close()
	if _, err := boltstore.NewInbox(nil, "slack", seenSet(t, db)); err == nil {
		t.Error("NewInbox(nil) succeeded")
	}
	if _, err := boltstore.NewInbox(db, "", seenSet(t, db)); err == nil {
		t.Error("NewInbox with no name succeeded")
	}
	if _, err := boltstore.NewInbox(db, "slack", nil); err == nil {
		t.Error("NewInbox without a seen-set succeeded")
	}
	other := openDB(t, filepath.Join(t.TempDir(), "other.db"))
	defer other.Close()
	if _, err := boltstore.NewInbox(db, "slack", seenSet(t, other)); err == nil {
		t.Error("NewInbox with another file's seen-set succeeded")
	}
	in, err := boltstore.NewInbox(db, "slack", seenSet(t, db))
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Put("", []byte("x")); err == nil {
		t.Error("Put with an empty id succeeded")
	}
	if got := pending(t, in); len(got) != 0 {
		t.Errorf("Pending = %v after a refused Put", got)
	}
}
