package commands

import (
	"fmt"
	"testing"
	"time"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/catalog"
)

func TestAnswerCache(t *testing.T) {
	ix1, ix2 := catalog.NewIndex(nil, nil, time.Now()), catalog.NewIndex(nil, nil, time.Now())
	key := func(i int) answerKey { return answerKey{platform: "slack", text: fmt.Sprint("service-", i)} }
	reply := func(i int) bot.Reply { return bot.Reply{Title: fmt.Sprint("answer ", i)} }
	c := newAnswerCache(3)

	c.put(ix1, key(1), reply(1))
	c.put(ix1, key(2), reply(2))
	c.put(ix1, key(2), reply(22)) // a second answer to one question replaces the first
	for i, want := range map[int]string{1: "answer 1", 2: "answer 22"} {
		if r, ok := c.get(ix1, key(i)); !ok || r.Title != want {
			t.Errorf("get(%v) = %q, %v, want %q", key(i), r.Title, ok, want)
		}
	}
	if len(c.replies) != 2 {
		t.Errorf("cache keeps %d replies for 2 keys", len(c.replies))
	}
	if _, ok := c.get(ix2, key(1)); ok {
		t.Errorf("get from another snapshot hit, want a miss")
	}

	c.put(ix2, key(3), reply(3)) // a new snapshot empties the cache
	if _, ok := c.get(ix2, key(1)); ok {
		t.Errorf("answer from the old snapshot kept")
	}
	if r, ok := c.get(ix2, key(3)); !ok || r.Title != "answer 3" {
		t.Errorf("get(%v) = %q, %v, want answer 3", key(3), r.Title, ok)
	}

	for i := range 10 {
		c.put(ix2, key(i), reply(i))
		if len(c.m) > 3 || len(c.replies) != len(c.m) {
			t.Fatalf("after %d puts the cache holds %d keys and %d replies, want at most 3 of each", i+1, len(c.m), len(c.replies))
		}
		if r, ok := c.get(ix2, key(i)); !ok || r.Title != reply(i).Title {
			t.Errorf("get(%v) right after put = %q, %v", key(i), r.Title, ok)
		}
	}
}
