package bot

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"time"
)

// Inbox durably keeps the inputs a chat adapter has acknowledged and not
// yet answered, so that a process killed while working on one answers it
// when it starts again: chat platforms never send an acknowledged input
// twice. Accept records a delivery key in the adapter's seen-set and, if
// the key is new, the entry, in one step, and reports whether the key was
// new; Put and Done write one entry. Each returns once the change is on
// disk. Pending calls f with every entry, whose bytes are valid only
// during the call. bot/boltstore.Inbox implements it.
type Inbox interface {
	Accept(key string, now time.Time, id string, entry []byte) (bool, error)
	Put(id string, entry []byte) error
	Done(id string) error
	Pending(f func(id string, entry []byte)) error
}

// Owed is an input an adapter owes an answer, as its Ledger keeps it. T is
// the adapter's own record of the input and of where the answer goes.
type Owed[T any] struct {
	ID       string    `json:"-"`
	Received time.Time `json:"received"`
	// Process is the Ledger working on it: a Ledger leaves the inputs of
	// its own process alone when it reads what others left.
	Process string `json:"process"`
	// Runs is how many times its work has started.
	Runs int `json:"runs"`
	// Sending is set when delivery of the answer starts: after a crash
	// the answer may already be in the conversation.
	Sending bool `json:"sending,omitempty"`
	Input   T    `json:"input"`
}

// Ledger keeps an adapter's owed inputs in an Inbox, as JSON. With a nil
// Inbox it keeps nothing: Record and Accept return no Owed, and the other
// methods do nothing. Failures are logged, never returned to the caller's
// user: an input whose entry cannot be written is answered all the same,
// only not after a crash.
type Ledger[T any] struct {
	inbox   Inbox
	log     *slog.Logger
	now     func() time.Time
	process string
}

// NewLedger returns a ledger over inbox (which may be nil) for one
// adapter's process.
func NewLedger[T any](inbox Inbox, log *slog.Logger, now func() time.Time) *Ledger[T] {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Ledger[T]{inbox: inbox, log: log, now: now, process: rand.Text()}
}

// Keeps reports whether the ledger has an inbox.
func (l *Ledger[T]) Keeps() bool { return l.inbox != nil }

// Record keeps in under id before its input is acknowledged.
func (l *Ledger[T]) Record(ctx context.Context, id string, in T) *Owed[T] {
	if l.inbox == nil {
		return nil
	}
	o := l.owed(id, in)
	if err := l.Put(o); err != nil {
		l.log.ErrorContext(ctx, "inbox unavailable: this input is not answered after a crash", "input", id, "err", err)
		return nil
	}
	return o
}

// Accept marks key seen and keeps in under id in one step, so that a crash
// between the two cannot drop the input's redelivery unanswered. first is
// false for a delivery seen before. On a failed write the input counts as
// new and is not kept: as with a failing seen-set, a rare double answer
// beats a lost one. Without an inbox every delivery counts as new: callers
// then use their seen-set alone.
func (l *Ledger[T]) Accept(ctx context.Context, key, id string, in T) (first bool, owed *Owed[T]) {
	if l.inbox == nil {
		return true, nil
	}
	o := l.owed(id, in)
	b, err := json.Marshal(o)
	if err == nil {
		first, err = l.inbox.Accept(key, o.Received, id, b)
	}
	if err != nil {
		l.log.ErrorContext(ctx, "inbox unavailable, processing anyway: this input is not answered after a crash", "input", id, "err", err)
		return true, nil
	}
	if !first {
		return false, nil
	}
	return true, o
}

func (l *Ledger[T]) owed(id string, in T) *Owed[T] {
	return &Owed[T]{ID: id, Received: l.now(), Process: l.process, Runs: 1, Input: in}
}

// Put writes o as it is now.
func (l *Ledger[T]) Put(o *Owed[T]) error {
	if l.inbox == nil {
		return errors.New("no inbox")
	}
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return l.inbox.Put(o.ID, b)
}

// Sending marks o's delivery as started.
func (l *Ledger[T]) Sending(ctx context.Context, o *Owed[T]) {
	if o == nil || o.Sending {
		return
	}
	o.Sending = true
	if err := l.Put(o); err != nil {
		l.log.ErrorContext(ctx, "inbox: delivery not marked; after a crash this answer may be sent twice", "input", o.ID, "err", err)
	}
}

// Done forgets o: its answer has been delivered, or never will be.
func (l *Ledger[T]) Done(ctx context.Context, o *Owed[T]) {
	if o == nil || l.inbox == nil {
		return
	}
	if err := l.inbox.Done(o.ID); err != nil {
		l.log.ErrorContext(ctx, "inbox: answered input not forgotten; it may be answered again after a restart", "input", o.ID, "err", err)
	}
}

// Left returns what other processes left in the inbox, oldest first.
// Entries valid reports unusable (unreadable or of a kind this version does
// not know) are forgotten, with a log line.
func (l *Ledger[T]) Left(ctx context.Context, valid func(*Owed[T]) bool) ([]*Owed[T], error) {
	if l.inbox == nil {
		return nil, nil
	}
	var left []*Owed[T]
	var unusable []string
	err := l.inbox.Pending(func(id string, entry []byte) {
		o := &Owed[T]{}
		if err := json.Unmarshal(entry, o); err != nil || !valid(o) {
			unusable = append(unusable, id)
			return
		}
		if o.Process == l.process {
			return // this process's own, acknowledged since it started
		}
		o.ID = id
		left = append(left, o)
	})
	if err != nil {
		return nil, err
	}
	for _, id := range unusable {
		l.log.ErrorContext(ctx, "inbox: unusable entry dropped", "input", id)
		l.Done(ctx, &Owed[T]{ID: id})
	}
	slices.SortFunc(left, func(x, y *Owed[T]) int { return cmp.Or(x.Received.Compare(y.Received), cmp.Compare(x.ID, y.ID)) })
	return left, nil
}

// Take claims o, left by another process, for this one and counts a run.
// It reports false when the claim could not be written: o is then left
// for the next start.
func (l *Ledger[T]) Take(ctx context.Context, o *Owed[T]) bool {
	o.Runs, o.Process = o.Runs+1, l.process
	if err := l.Put(o); err != nil {
		l.log.ErrorContext(ctx, "inbox: input from before a restart left for the next start", "input", o.ID, "err", err)
		return false
	}
	return true
}
