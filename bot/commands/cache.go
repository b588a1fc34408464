package commands

import (
	"sync"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/catalog"
)

// answerCache memoizes answers computed from one catalog snapshot. An
// answer depends only on the snapshot and the key, so it stays right until
// the next snapshot is swapped in, which empties the cache. Replies are
// shared: callers must not modify them (renderers only read).
type answerCache struct {
	mu sync.RWMutex
	ix *catalog.Index
	// m holds the index in replies of each key's answer. A bot.Reply is
	// too large for a map to hold in place: as a map value it cost an
	// allocation per answer, where replies reuses its array.
	m       map[answerKey]int
	replies []bot.Reply
	limit   int
}

type answerKey struct {
	platform string
	text     string
	shared   bool
}

func newAnswerCache(limit int) *answerCache {
	return &answerCache{m: make(map[answerKey]int), limit: limit}
}

func (c *answerCache) get(ix *catalog.Index, k answerKey) (bot.Reply, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ix != ix {
		return bot.Reply{}, false
	}
	i, ok := c.m[k]
	if !ok {
		return bot.Reply{}, false
	}
	return c.replies[i], true
}

func (c *answerCache) put(ix *catalog.Index, k answerKey, r bot.Reply) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ix != ix || len(c.m) >= c.limit {
		// A new snapshot, or full: start over rather than track recency;
		// the hot names come back within a few requests.
		c.ix = ix
		clear(c.m)
		clear(c.replies) // let the old answers go
		c.replies = c.replies[:0]
	}
	if i, ok := c.m[k]; ok { // two requests answered the same question
		c.replies[i] = r
		return
	}
	c.m[k] = len(c.replies)
	c.replies = append(c.replies, r)
}

// snapshotMemo memoizes values derived from one catalog snapshot, like
// answerCache, for parts of answers shared by many questions (a team's
// contact block is part of the answer for every service it owns).
type snapshotMemo[K comparable, V any] struct {
	mu    sync.RWMutex
	ix    *catalog.Index
	m     map[K]V
	limit int
}

func newSnapshotMemo[K comparable, V any](limit int) *snapshotMemo[K, V] {
	return &snapshotMemo[K, V]{m: make(map[K]V), limit: limit}
}

// get returns the value for k in snapshot ix, computing it with f once.
func (c *snapshotMemo[K, V]) get(ix *catalog.Index, k K, f func() V) V {
	c.mu.RLock()
	if c.ix == ix {
		if v, ok := c.m[k]; ok {
			c.mu.RUnlock()
			return v
		}
	}
	c.mu.RUnlock()
	v := f()
	c.mu.Lock()
	if c.ix != ix || len(c.m) >= c.limit {
		c.ix = ix
		clear(c.m)
	}
	c.m[k] = v
	c.mu.Unlock()
	return v
}
