package catalog

import (
	"sort"
	"strings"
	"unicode"
)

// textIndex is an inverted index from lowercase words of names, titles,
// descriptions and tags to entity positions, with a weight per field.
type textIndex struct {
	entities []*Entity
	postings map[string][]posting
	words    []string // sorted vocabulary, for prefix matches
}

type posting struct {
	id     int32
	weight uint8
}

const (
	weightName  = 8
	weightTitle = 4
	weightTag   = 3
	weightDesc  = 1
)

func newTextIndex(entities []*Entity) *textIndex {
	t := &textIndex{entities: entities, postings: make(map[string][]posting, len(entities))}
	seen := make(map[string]uint8, 32)
	for i, e := range entities {
		clear(seen)
		note := func(text string, w uint8) {
			for _, word := range words(text) {
				if seen[word] < w {
					seen[word] = w
				}
			}
		}
		note(e.Metadata.Name, weightName)
		note(e.Metadata.Title, weightTitle)
		for _, tag := range e.Metadata.Tags {
			note(tag, weightTag)
		}
		note(e.Metadata.Description, weightDesc)
		for w, weight := range seen {
			t.postings[w] = append(t.postings[w], posting{int32(i), weight})
		}
	}
	t.words = make([]string, 0, len(t.postings))
	for w := range t.postings {
		t.words = append(t.words, w)
	}
	sort.Strings(t.words)
	return t
}

// words splits text into lowercase words at anything but letters and digits;
// "payments-api" gives "payments" and "api".
func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// Hit is one search result.
type Hit struct {
	Entity *Entity
	Score  int
}

// Search finds entities whose name, title, description or tags contain every
// word of the query (the last word may be a prefix), best first: name matches
// outrank titles, tags and descriptions, exact names outrank all. It returns
// at most limit hits and the total number of matches.
func (ix *Index) Search(query string, limit int) ([]Hit, int) {
	qwords := words(query)
	if len(qwords) == 0 {
		return nil, 0
	}
	t := ix.text
	scores := map[int32]int{}
	for i, qw := range qwords {
		cur := map[int32]int{}
		addPostings := func(ps []posting, bonus int) {
			for _, p := range ps {
				if i > 0 {
					if _, ok := scores[p.id]; !ok {
						continue
					}
				}
				if s := int(p.weight)*bonus + scores[p.id]; s > cur[p.id] {
					cur[p.id] = s
				}
			}
		}
		addPostings(t.postings[qw], 2)
		if i == len(qwords)-1 {
			j := sort.SearchStrings(t.words, qw)
			for n := 0; j < len(t.words) && strings.HasPrefix(t.words[j], qw) && n < 2000; j, n = j+1, n+1 {
				if t.words[j] != qw {
					addPostings(t.postings[t.words[j]], 1)
				}
			}
		}
		scores = cur
		if len(scores) == 0 {
			return nil, 0
		}
	}
	q := strings.ToLower(strings.TrimSpace(query))
	hits := make([]Hit, 0, len(scores))
	for id, s := range scores {
		e := t.entities[id]
		if strings.ToLower(e.Metadata.Name) == q {
			s += 100
		}
		hits = append(hits, Hit{Entity: e, Score: s})
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].Entity.Key() < hits[j].Entity.Key()
	})
	total := len(hits)
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	return hits, total
}

// nameIndex finds names within a small edit distance of a misspelling. It
// keeps a trigram index over the distinct lowercase names: an edit changes
// at most three trigrams, so any name within distance d shares at least one
// of the query's 3d+1 rarest trigrams, and only those postings are scanned.
type nameIndex struct {
	names    []string // distinct lowercase names, sorted
	trigrams map[string][]int32
}

func newNameIndex(byName map[string][]*Entity) *nameIndex {
	ni := &nameIndex{names: make([]string, 0, len(byName)), trigrams: make(map[string][]int32)}
	for n := range byName {
		ni.names = append(ni.names, n)
	}
	sort.Strings(ni.names)
	for i, n := range ni.names {
		for _, tg := range uniqueTrigrams(n) {
			ni.trigrams[tg] = append(ni.trigrams[tg], int32(i))
		}
	}
	return ni
}

func trigrams(s string) []string {
	p := []rune("^" + s + "$")
	if len(p) < 3 {
		return []string{string(p)}
	}
	out := make([]string, 0, len(p)-2)
	for i := 0; i+3 <= len(p); i++ {
		out = append(out, string(p[i:i+3]))
	}
	return out
}

func uniqueTrigrams(s string) []string {
	all := trigrams(s)
	sort.Strings(all)
	out := all[:0]
	for i, t := range all {
		if i == 0 || t != all[i-1] {
			out = append(out, t)
		}
	}
	return out
}

// Suggest returns up to n names close to a misspelt one: within edit
// distance 2 (1 for names under eight characters), or starting with it, best
// first.
func (ix *Index) Suggest(name string, n int) []string {
	q := strings.ToLower(strings.TrimSpace(name))
	if q == "" || n <= 0 {
		return nil
	}
	ni := ix.names
	// With d edits allowed a name needs more than 3d trigrams for the
	// rarest-trigram filter to be complete, hence distance 2 only from
	// eight characters on.
	maxD := 1
	if len([]rune(q)) >= 8 {
		maxD = 2
	}
	type cand struct {
		name string
		d    int
	}
	var cands []cand
	seen := map[int32]bool{}
	tgs := uniqueTrigrams(q)
	sort.Slice(tgs, func(i, j int) bool { return len(ni.trigrams[tgs[i]]) < len(ni.trigrams[tgs[j]]) })
	if k := 3*maxD + 1; len(tgs) > k {
		tgs = tgs[:k]
	}
	for _, tg := range tgs {
		for _, id := range ni.trigrams[tg] {
			if seen[id] {
				continue
			}
			seen[id] = true
			cand := ni.names[id]
			if d, ok := boundedDistance(q, cand, maxD); ok && d > 0 {
				cands = append(cands, struct {
					name string
					d    int
				}{cand, d})
			}
		}
	}
	// Prefix matches ("payments" for "payments-api") rank after close misspellings.
	j := sort.SearchStrings(ni.names, q)
	for c := 0; j < len(ni.names) && strings.HasPrefix(ni.names[j], q) && c < 50; j, c = j+1, c+1 {
		if ni.names[j] != q {
			cands = append(cands, cand{ni.names[j], maxD + 1})
		}
	}
	sort.Slice(cands, func(a, b int) bool {
		if cands[a].d != cands[b].d {
			return cands[a].d < cands[b].d
		}
		if len(cands[a].name) != len(cands[b].name) {
			return len(cands[a].name) < len(cands[b].name)
		}
		return cands[a].name < cands[b].name
	})
	var out []string
	dup := map[string]bool{}
	for _, c := range cands {
		if !dup[c.name] {
			dup[c.name] = true
			out = append(out, ix.byName[c.name][0].Metadata.Name)
		}
		if len(out) == n {
			break
		}
	}
	return out
}

// boundedDistance computes the Levenshtein distance between a and b if it is
// at most maxD, using only a diagonal band of the matrix.
func boundedDistance(a, b string, maxD int) (int, bool) {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > maxD || -d > maxD {
		return 0, false
	}
	const big = 1 << 20
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		lo, hi := max(1, i-maxD), min(len(rb), i+maxD)
		for j := range cur {
			cur[j] = big
		}
		if i <= maxD {
			cur[0] = i
		}
		rowMin := cur[0]
		for j := lo; j <= hi; j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > maxD {
			return 0, false
		}
		prev, cur = cur, prev
	}
	if prev[len(rb)] > maxD {
		return 0, false
	}
	return prev[len(rb)], true
}
