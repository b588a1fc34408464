package catalog

import (
	"fmt"
	"hash/maphash"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
)

// textIndex is an inverted index from lowercase words of names, titles,
// descriptions and tags to entity positions, with a weight per field. The
// postings of all words are one array, a word's run found by offset: a
// slice per word cost a header each and, built by appending, up to twice
// its length.
type textIndex struct {
	entities []*Entity
	words    []string  // sorted vocabulary
	offs     []int32   // the postings of words[i] are postings[offs[i]:offs[i+1]]
	postings []posting // ascending positions within a word
}

// posting is an entity's position and the weight of the best field a word
// was in, packed into 32 bits: positions below 2^28, weights below 16.
type posting uint32

func newPosting(id int32, weight uint8) posting { return posting(id)<<4 | posting(weight) }

func (p posting) id() int32     { return int32(p >> 4) }
func (p posting) weight() uint8 { return uint8(p & 15) }

const (
	weightName  = 8
	weightTitle = 4
	weightTag   = 3
	weightDesc  = 1
)

// lookup returns the postings of one word.
func (t *textIndex) lookup(word string) []posting {
	if i, ok := slices.BinarySearch(t.words, word); ok {
		return t.of(i)
	}
	return nil
}

// of returns the postings of words[i].
func (t *textIndex) of(i int) []posting { return t.postings[t.offs[i]:t.offs[i+1]] }

func newTextIndex(entities []*Entity, parallel bool) *textIndex {
	if len(entities) >= 1<<28 {
		// A posting has 28 bits for a position (see posting); such a
		// catalog would need hundreds of gigabytes anyway.
		panic(fmt.Sprintf("catalog: %d entities are more than a text index numbers", len(entities)))
	}
	// Two halves are indexed, in parallel if asked, and merged: the words
	// of a large catalog are most of the work of building an Index.
	half := len(entities) / 2
	var a, b textPart
	var wg sync.WaitGroup
	wg.Add(1)
	index := func() {
		defer wg.Done()
		b = indexWords(entities[half:])
	}
	if parallel {
		go index()
	} else {
		index()
	}
	a = indexWords(entities[:half])
	wg.Wait()
	// b's words get a's numbers, or new ones after a's.
	remap := make([]int32, len(b.vocab))
	for bid, w := range b.vocab {
		id, ok := a.ids[w]
		if !ok {
			id = int32(len(a.vocab))
			a.vocab = append(a.vocab, w)
		}
		remap[bid] = id
	}
	order := make([]int32, len(a.vocab))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int { return strings.Compare(a.vocab[x], a.vocab[y]) })
	t := &textIndex{entities: entities, words: make([]string, len(order)), offs: make([]int32, len(order)+1)}
	rank := make([]int32, len(order)) // rank[id] is word id's place in words
	for i, id := range order {
		t.words[i], rank[id] = a.vocab[id], int32(i)
	}
	// Count each word's postings, then place them: a's uses before b's
	// keeps positions ascending within a word.
	for _, u := range a.uses {
		t.offs[rank[u.id()]+1]++
	}
	for _, u := range b.uses {
		t.offs[rank[remap[u.id()]]+1]++
	}
	for i := 1; i < len(t.offs); i++ {
		t.offs[i] += t.offs[i-1]
	}
	next := slices.Clone(t.offs[:len(order)])
	t.postings = make([]posting, len(a.uses)+len(b.uses))
	place := func(part textPart, base int, word func(int32) int32) {
		from := int32(0)
		for i, end := range part.ends {
			for _, u := range part.uses[from:end] {
				r := rank[word(u.id())]
				t.postings[next[r]] = newPosting(int32(base+i), u.weight())
				next[r]++
			}
			from = end
		}
	}
	place(a, 0, func(w int32) int32 { return w })
	place(b, half, func(w int32) int32 { return remap[w] })
	return t
}

// textPart indexes the words of a run of entities: vocab[id] is a word,
// ids the way back. uses are every entity's words in entity order, as
// postings that hold a word's id where a posting holds an entity's
// position; ends[i] is where the uses of the run's entity i end. Four
// bytes a use, not eight with the position: on a large catalog they are
// millions, allocated at the end of a sync, when the heap peaks.
type textPart struct {
	ids   map[string]int32
	vocab []string
	uses  []posting
	ends  []int32
}

// indexWords indexes a run of entities.
func indexWords(entities []*Entity) textPart {
	// Words get numbers as they are met: one map lookup per word of the
	// text, and each word is allocated once however many entities use it.
	x := textPart{ids: make(map[string]int32, min(len(entities), 4096)), uses: make([]posting, 0, 20*len(entities)), ends: make([]int32, len(entities))}
	type use struct {
		id     int32
		weight uint8
	}
	var seen []use // the current entity's words, each with its best weight
	// at[id] is where word id is in seen, valid when lastIn[id] is the
	// current entity's number plus one: no scan of seen per word.
	var at, lastIn []int32
	cur := int32(0)
	var buf []byte
	mark := func(word []byte, w uint8) {
		id, ok := x.ids[string(word)]
		if !ok {
			if len(x.vocab) >= 1<<28 {
				panic("catalog: more distinct words than a text index numbers") // see newTextIndex
			}
			id = int32(len(x.vocab))
			s := string(word)
			x.ids[s] = id
			x.vocab = append(x.vocab, s)
			at, lastIn = append(at, 0), append(lastIn, 0)
		}
		if lastIn[id] == cur {
			seen[at[id]].weight = max(seen[at[id]].weight, w)
			return
		}
		lastIn[id], at[id] = cur, int32(len(seen))
		seen = append(seen, use{id, w})
	}
	note := func(text string, w uint8) {
		if !isASCIIString(text) {
			for _, word := range words(text) {
				mark([]byte(word), w)
			}
			return
		}
		buf = buf[:0]
		for i := 0; i <= len(text); i++ {
			if i < len(text) {
				if c := text[i]; c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
					buf = append(buf, c)
					continue
				} else if c >= 'A' && c <= 'Z' {
					buf = append(buf, c+'a'-'A')
					continue
				}
			}
			if len(buf) > 0 {
				mark(buf, w)
				buf = buf[:0]
			}
		}
	}
	for i, e := range entities {
		seen, cur = seen[:0], int32(i)+1
		note(e.Metadata.Name, weightName)
		note(e.Metadata.Title, weightTitle)
		for _, tag := range e.Metadata.Tags {
			note(tag, weightTag)
		}
		note(e.Metadata.Description, weightDesc)
		for _, u := range seen {
			x.uses = append(x.uses, newPosting(u.id, u.weight))
		}
		x.ends[i] = int32(len(x.uses))
	}
	return x
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
				id := p.id()
				if i > 0 {
					if _, ok := scores[id]; !ok {
						continue
					}
				}
				if s := int(p.weight())*bonus + scores[id]; s > cur[id] {
					cur[id] = s
				}
			}
		}
		addPostings(t.lookup(qw), 2)
		if i == len(qwords)-1 {
			j := sort.SearchStrings(t.words, qw)
			for n := 0; j < len(t.words) && strings.HasPrefix(t.words[j], qw) && n < 2000; j, n = j+1, n+1 {
				if t.words[j] != qw {
					addPostings(t.of(j), 1)
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
		if a, b := searchKindRank(hits[i].Entity.Kind), searchKindRank(hits[j].Entity.Kind); a != b {
			return a < b
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
//
// Trigrams of ASCII characters, nearly all of them, are packed into 21 bits
// and their postings kept in one array, built by a counting sort (see
// newNameIndex): a map append per trigram of every name took most of the
// index's build time. Other trigrams are in a map.
type nameIndex struct {
	names []string // distinct lowercase names, sorted
	// table finds a name's position. ByName answers every /whoowns; a
	// binary search took 18 compares of names scattered over the heap,
	// each a cache miss in a large catalog, and a map of names cost five
	// times the memory.
	table positionTable
	// byName[first[i]:first[i+1]] are the entities named names[i], in
	// key order.
	byName []*Entity
	first  []int32
	keys   []uint32 // distinct packed ASCII trigrams, sorted
	offs   []int32  // the postings of keys[i] are ids[offs[i]:offs[i+1]]
	ids    []int32  // name positions, ascending within a trigram
	other  map[trigram][]int32
}

// trigram packs three runes (21 bits each) into one map key, which avoids
// a string per trigram when indexing hundreds of thousands of names.
type trigram uint64

// packASCII packs a trigram of ASCII characters into 21 bits.
func packASCII(tg trigram) (uint32, bool) {
	a, b, c := tg>>42, tg>>21&(1<<21-1), tg&(1<<21-1)
	if a|b|c >= 128 {
		return 0, false
	}
	return uint32(a<<14 | b<<7 | c), true
}

// postings returns the positions of the names with trigram tg.
func (ni *nameIndex) postings(tg trigram) []int32 {
	p, ok := packASCII(tg)
	if !ok {
		return ni.other[tg]
	}
	i, found := slices.BinarySearch(ni.keys, p)
	if !found {
		return nil
	}
	return ni.ids[ni.offs[i]:ni.offs[i+1]]
}

// position returns the position of a lowercase name in names.
func (ni *nameIndex) position(name string) (int, bool) { return ni.table.find(name, ni.nameAt) }

func (ni *nameIndex) nameAt(i int) string { return ni.names[i] }

// newNameIndex indexes the distinct lowercase names of entities, which are
// sorted by key.
func newNameIndex(entities []*Entity) *nameIndex {
	ni := &nameIndex{other: map[trigram][]int32{}}
	seed := maphash.MakeSeed()
	var hashes []uint64
	ni.names, hashes, ni.byName, ni.first = distinctNames(entities, seed)
	ni.table = newPositionTable(seed, hashes)
	size := 0
	for _, n := range ni.names {
		size += len(n) // at least the number of trigrams
	}
	// The names' packed trigrams in name order, then a counting sort by
	// trigram: a count per possible trigram (2^21) gives each one's place,
	// and names are placed in order, so a trigram's names stay ascending.
	// A sort of (trigram, name) pairs needed twice the pairs in scratch,
	// allocated at the end of a sync, when the heap is largest.
	var runes []rune
	var tgs []trigram
	packed := make([]uint32, 0, size)
	ends := make([]int32, len(ni.names)) // packed[ends[i-1]:ends[i]] are name i's
	for i, n := range ni.names {
		runes, tgs = appendUniqueTrigrams(runes[:0], tgs[:0], n)
		for _, tg := range tgs {
			if p, ok := packASCII(tg); ok {
				packed = append(packed, p)
			} else {
				ni.other[tg] = append(ni.other[tg], int32(i))
			}
		}
		ends[i] = int32(len(packed))
	}
	next := make([]int32, 1<<21+1) // counts, then where each trigram's next name goes
	for _, p := range packed {
		next[p+1]++
	}
	for p := range 1 << 21 {
		if next[p+1] > 0 {
			ni.keys = append(ni.keys, uint32(p))
			ni.offs = append(ni.offs, next[p])
		}
		next[p+1] += next[p]
	}
	ni.offs = append(ni.offs, int32(len(packed)))
	ni.ids = make([]int32, len(packed))
	start := int32(0)
	for i, end := range ends {
		for _, p := range packed[start:end] {
			ni.ids[next[p]] = int32(i)
			next[p]++
		}
		start = end
	}
	return ni
}

// distinctNames sorts entities, which are in key order, by their
// lowercase name and then key. It returns the distinct names, their
// hashes with seed (taken while each name is in the cache: hashing them
// afterwards took twice as long) and, for ByName, the entities in that order: names[i]'s are
// byName[first[i]:first[i+1]]. Within one kind and namespace key order is
// name order, so the names come in a few sorted runs, which are merged
// rather than sorted: sorting them took most of the name index's build.
func distinctNames(entities []*Entity, seed maphash.Seed) (names []string, hashes []uint64, byName []*Entity, first []int32) {
	all := make([]named, len(entities))
	bounds := []int{0} // where each sorted run starts, then len(all)
	for i, e := range entities {
		name := strings.ToLower(e.Metadata.Name)
		all[i] = named{name, maphash.String(seed, name), e}
		if i > 0 && all[i].name < all[i-1].name {
			bounds = append(bounds, i)
		}
	}
	bounds = append(bounds, len(all))
	buf := make([]named, len(all))
	for len(bounds) > 2 {
		next := []int{0}
		for j := 0; j+1 < len(bounds); j += 2 {
			lo, mid := bounds[j], bounds[j+1]
			hi := mid
			if j+2 < len(bounds) {
				hi = bounds[j+2]
			}
			mergeNamed(buf[lo:hi], all[lo:mid], all[mid:hi])
			next = append(next, hi)
		}
		all, buf = buf, all
		bounds = next
	}
	distinct := 0
	for i := range all {
		if i == 0 || all[i].name != all[i-1].name {
			distinct++
		}
	}
	names, hashes, first = make([]string, 0, distinct), make([]uint64, 0, distinct), make([]int32, 0, distinct+1)
	byName = make([]*Entity, len(all))
	for i, n := range all {
		if i == 0 || n.name != all[i-1].name {
			names = append(names, n.name)
			hashes = append(hashes, n.hash)
			first = append(first, int32(i))
		}
		byName[i] = n.e
	}
	return names, hashes, byName, append(first, int32(len(all)))
}

// named is an entity with its lowercase name and the name's hash.
type named struct {
	name string
	hash uint64
	e    *Entity
}

// mergeNamed merges the sorted a and b into dst, which has room for both;
// on equal names a's come first, so runs in key order stay in key order.
func mergeNamed(dst, a, b []named) {
	i, j, k := 0, 0, 0
	for i < len(a) && j < len(b) {
		if b[j].name < a[i].name {
			dst[k] = b[j]
			j++
		} else {
			dst[k] = a[i]
			i++
		}
		k++
	}
	k += copy(dst[k:], a[i:])
	copy(dst[k:], b[j:])
}

// appendUniqueTrigrams appends the distinct trigrams of s, sorted, to tgs;
// runes is scratch space. Both are returned for reuse.
func appendUniqueTrigrams(runes []rune, tgs []trigram, s string) ([]rune, []trigram) {
	runes = append(runes, '^')
	for _, r := range s {
		runes = append(runes, r)
	}
	runes = append(runes, '$')
	start := len(tgs)
	for i := 0; i+3 <= len(runes); i++ {
		tgs = append(tgs, trigram(runes[i])<<42|trigram(runes[i+1])<<21|trigram(runes[i+2]))
	}
	slices.Sort(tgs[start:])
	return runes, append(tgs[:start], slices.Compact(tgs[start:])...)
}

func uniqueTrigrams(s string) []trigram {
	_, tgs := appendUniqueTrigrams(nil, nil, s)
	return tgs
}

// Suggest returns up to n names close to a misspelt one: within edit
// distance 2 (1 for names under eight characters), or starting with it, best
// first.
func (ix *Index) Suggest(name string, n int) []string {
	q := strings.ToLower(strings.TrimSpace(name))
	ni := ix.names
	if q == "" || n <= 0 || ni == nil {
		return nil
	}
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
	// An edit changes at most three trigrams, so a name within distance d
	// keeps at least k-3d of the query's k rarest trigrams: count hits per
	// name (a byte per name, not a map: common-looking names can have
	// thousands of candidates) and check only names with enough of them.
	tgs := uniqueTrigrams(q)
	sort.Slice(tgs, func(i, j int) bool { return len(ni.postings(tgs[i])) < len(ni.postings(tgs[j])) })
	k := min(len(tgs), 3*maxD+2)
	tgs = tgs[:k]
	need := max(1, k-3*maxD)
	counts := make([]uint8, len(ni.names))
	for _, tg := range tgs {
		for _, id := range ni.postings(tg) {
			counts[id]++
		}
	}
	ascii := isASCIIString(q)
	for _, tg := range tgs {
		for _, id := range ni.postings(tg) {
			if int(counts[id]) < need {
				continue
			}
			counts[id] = 0 // checked once
			cand := ni.names[id]
			if ascii {
				if d := len(cand) - len(q); d > maxD || -d > maxD {
					continue
				}
			}
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
			out = append(out, ix.ByName(c.name)[0].Metadata.Name)
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
	if len(a) <= 64 && len(b) <= 64 && isASCIIString(a) && isASCIIString(b) {
		return boundedDistanceASCII(a, b, maxD)
	}
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

// boundedDistanceASCII is boundedDistance for short ASCII strings, the case
// of every valid entity name, with its rows on the stack.
func boundedDistanceASCII(a, b string, maxD int) (int, bool) {
	if d := len(a) - len(b); d > maxD || -d > maxD {
		return 0, false
	}
	const big = 1 << 20
	var rows [2][65]int
	prev, cur := &rows[0], &rows[1]
	for j := 0; j <= len(b); j++ {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		lo, hi := max(1, i-maxD), min(len(b), i+maxD)
		cur[0] = big
		if i <= maxD {
			cur[0] = i
		}
		if lo > 1 {
			cur[lo-1] = big
		}
		if hi < len(b) {
			cur[hi+1] = big
		}
		rowMin := cur[0]
		for j := lo; j <= hi; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > maxD {
			return 0, false
		}
		prev, cur = cur, prev
	}
	if prev[len(b)] > maxD {
		return 0, false
	}
	return prev[len(b)], true
}

// searchKindRank breaks ties between equally good hits: what people look
// for most (services) before what they look for least (locations).
func searchKindRank(kind string) int {
	switch kind {
	case KindComponent:
		return 0
	case KindAPI:
		return 1
	case KindSystem, KindGroup:
		return 2
	case KindResource, KindDomain, KindUser:
		return 3
	case KindTemplate:
		return 4
	}
	return 5
}
