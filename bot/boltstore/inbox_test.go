package boltstore_test

import (
	"path/filepath"
	"reflect"
	"testing"

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
	in, err := boltstore.NewInbox(db, "slack")
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
	other, err := boltstore.NewInbox(db, "discord")
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Put("event:Ev1", []byte("discord's")); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = openDB(t, path)
	defer db.Close()
	in, err = boltstore.NewInbox(db, "slack")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"event:Ev1": "one, sending", "command:3": "three"}
	if got := pending(t, in); !reflect.DeepEqual(got, want) {
		t.Errorf("after reopening, Pending = %v, want %v", got, want)
	}
}

func TestInbox_BadArguments(t *testing.T) {
	if _, err := boltstore.NewInbox(nil, "slack"); err == nil {
		t.Error("NewInbox(nil) succeeded")
	}
	db := openDB(t, filepath.Join(t.TempDir(), "callboard.db"))
	defer db.Close()
	if _, err := boltstore.NewInbox(db, ""); err == nil {
		t.Error("NewInbox with no name succeeded")
	}
	in, err := boltstore.NewInbox(db, "slack")
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
