package slack

import (
	"hash/maphash"
	"slices"
	"sync"

	"github.com/callboard/callboard/bot"
)

// sectionMemo remembers the text of sections rendered lately. Many answers
// share a section (a team's contact list is part of the answer about every
// service the team owns), and rendering a list is a good part of rendering
// an answer. A section is looked up by a hash of what its text depends on
// and compared in full with the copy kept beside its text, so a hit is
// exactly what rendering the section would give, whoever asks and whatever
// catalog snapshot it came from. The zero value is ready to use; a nil
// *sectionMemo renders every time. It is safe for concurrent use.
type sectionMemo struct {
	once sync.Once
	seed maphash.Seed

	mu sync.RWMutex
	m  map[uint64]memoEntry
}

type memoEntry struct {
	// section holds what the text depends on: Title, Text, Total and a
	// copy of Items, which the caller may change after rendering.
	section bot.Section
	text    sectionText
}

const (
	// maxMemoSections bounds the memo, at a few kilobytes a section, and
	// holds the contact lists of more teams than large organisations have;
	// a full memo starts over rather than track recency.
	maxMemoSections = 16384
	// minMemoItems leaves short lists, cheap to render, out of the memo.
	minMemoItems = 3
)

// text returns renderSectionText(s), from the memo when it holds s.
func (m *sectionMemo) text(s bot.Section) sectionText {
	if m == nil || len(s.Items) < minMemoItems {
		return renderSectionText(s)
	}
	h := m.hash(s)
	m.mu.RLock()
	e, ok := m.m[h]
	m.mu.RUnlock()
	if ok && sameText(e.section, s) {
		return e.text
	}
	t := renderSectionText(s)
	e = memoEntry{section: bot.Section{Title: s.Title, Text: s.Text, Total: s.Total, Items: slices.Clone(s.Items)}, text: t}
	m.mu.Lock()
	if m.m == nil || len(m.m) >= maxMemoSections {
		m.m = make(map[uint64]memoEntry)
	}
	m.m[h] = e
	m.mu.Unlock()
	return t
}

// hash covers enough of s to tell sections apart in practice: the title,
// text and total, and the number, first and last of the items. Sections
// that differ only elsewhere share a slot, which costs a rendering when
// they alternate but never a wrong text: a hit is compared in full.
func (m *sectionMemo) hash(s bot.Section) uint64 {
	m.once.Do(func() { m.seed = maphash.MakeSeed() })
	return maphash.Comparable(m.seed, memoKey{
		title: s.Title, text: s.Text, total: s.Total, items: len(s.Items),
		first: s.Items[0], last: s.Items[len(s.Items)-1],
	})
}

// memoKey is the part of a section its memo slot is chosen by.
type memoKey struct {
	title, text  string
	total, items int
	first, last  bot.Item
}

// sameText reports whether a and b render to the same text.
func sameText(a, b bot.Section) bool {
	return a.Title == b.Title && a.Text == b.Text && a.Total == b.Total && slices.Equal(a.Items, b.Items)
}
