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
	mu    sync.RWMutex
	ix    *catalog.Index
	m     map[answerKey]bot.Reply
	limit int
}

type answerKey struct {
	platform string
	text     string
	shared   bool
}

func newAnswerCache(limit int) *answerCache {
	return &answerCache{m: make(map[answerKey]bot.Reply), limit: limit}
}

func (c *answerCache) get(ix *catalog.Index, k answerKey) (bot.Reply, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ix != ix {
		return bot.Reply{}, false
	}
	r, ok := c.m[k]
	return r, ok
}

func (c *answerCache) put(ix *catalog.Index, k answerKey, r bot.Reply) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ix != ix || len(c.m) >= c.limit {
		// A new snapshot, or full: start over rather than track recency;
		// the hot names come back within a few requests.
		c.ix = ix
		clear(c.m)
	}
	c.m[k] = r
}
