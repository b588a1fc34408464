package bot_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/bot/boltstore"
)

type note struct {
	Text string `json:"text"`
}

func openInbox(t *testing.T) *boltstore.Inbox {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "callboard.db"), 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	seen, err := boltstore.NewDedup(db, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	in, err := boltstore.NewInbox(db, "test", seen)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestLedger_LeftIsWhatOtherProcessesLeft(t *testing.T) {
	ctx := context.Background()
	inbox := openInbox(t)
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	before := bot.NewLedger[note](inbox, nil, now)
	b := before.Record(ctx, "b", note{"second"})
	clock = clock.Add(-time.Minute) // recorded earlier, listed first
	a := before.Record(ctx, "a", note{"first"})
	clock = clock.Add(time.Hour)
	done := before.Record(ctx, "done", note{"answered"})
	before.Done(ctx, done)
	if a == nil || b == nil || a.Runs != 1 || a.Process == "" {
		t.Fatalf("Record = %+v, %+v", a, b)
	}
	if err := inbox.Put("garbled", []byte("{")); err != nil {
		t.Fatal(err)
	}
	if err := inbox.Put("unknown", []byte(`{"received":"2026-03-01T12:00:00Z","runs":1,"input":{"text":""}}`)); err != nil {
		t.Fatal(err)
	}

	after := bot.NewLedger[note](inbox, nil, now)
	after.Record(ctx, "own", note{"this process's"})
	valid := func(o *bot.Owed[note]) bool { return o.Input.Text != "" }
	left, err := after.Left(ctx, valid)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 2 || left[0].ID != "a" || left[0].Input.Text != "first" || left[1].ID != "b" {
		t.Fatalf("Left = %+v; want a then b (oldest first), without this process's, answered or unusable entries", left)
	}
	if !after.Take(ctx, left[0]) || left[0].Runs != 2 {
		t.Errorf("Take: runs %d, want 2", left[0].Runs)
	}
	// Taken, a is this process's now; the unusable entries are gone.
	again, err := after.Left(ctx, valid)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 1 || again[0].ID != "b" {
		t.Errorf("Left after Take = %+v, want only b", again)
	}
	seen := map[string]bool{}
	if err := inbox.Pending(func(id string, _ []byte) { seen[id] = true }); err != nil {
		t.Fatal(err)
	}
	if seen["garbled"] || seen["unknown"] || !seen["own"] {
		t.Errorf("inbox holds %v; want the unusable entries dropped and this process's own kept", seen)
	}
}

func TestLedger_AcceptOnce(t *testing.T) {
	ctx := context.Background()
	l := bot.NewLedger[note](openInbox(t), nil, nil)
	first, o := l.Accept(ctx, "event:1", "event:1", note{"hi"})
	if !first || o == nil || o.Input.Text != "hi" {
		t.Fatalf("Accept = %v, %+v; want a kept first delivery", first, o)
	}
	if first, o := l.Accept(ctx, "event:1", "event:1", note{"hi"}); first || o != nil {
		t.Errorf("a second delivery: Accept = %v, %+v; want seen, nothing kept", first, o)
	}
}

func TestLedger_WithoutInboxKeepsNothing(t *testing.T) {
	ctx := context.Background()
	l := bot.NewLedger[note](nil, nil, nil)
	if l.Keeps() {
		t.Error("Keeps() with no inbox")
	}
	o := l.Record(ctx, "x", note{"x"})
	if o != nil {
		t.Errorf("Record = %+v, want nil", o)
	}
	l.Sending(ctx, o)
	l.Done(ctx, o)
	if first, o := l.Accept(ctx, "k", "k", note{"x"}); !first || o != nil {
		t.Errorf("Accept = %v, %+v; want new, nothing kept", first, o)
	}
	if left, err := l.Left(ctx, func(*bot.Owed[note]) bool { return true }); err != nil || len(left) != 0 {
		t.Errorf("Left = %v, %v", left, err)
	}
}
