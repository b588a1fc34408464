package catalog

import (
	"hash/maphash"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// A decoder for the YAML that nearly every descriptor file is written in:
// block mappings and sequences of single-line plain and quoted scalars,
// literal or folded block scalars and empty flow collections ([] and {}),
// with comments. yaml.v3 spent most of an ingest in its general
// tokenizer; this one reads a line at a time.
//
// Its contract: for any text it accepts, it builds the tree yaml.v3 builds
// (Kind, Style, Value, Line, Column, Content, and Tag except on plain
// scalars, which it leaves untagged because docParser.scalar types them
// itself). Anything else, including every text yaml.v3 rejects, it
// declines, and the caller decodes the text with yaml.v3. FuzzBlockYAML
// checks that contract against yaml.v3, and FuzzParseDecoders that whole
// files parse to the same entities and problems either way.
//
// The nodes and their Content slices live in arenas of the scratch and are
// reused for the next document: nothing may keep a node after the document
// is parsed. Short values are interned (see str).

// blockLine is one line of the document.
type blockLine struct {
	start, end int  // byte offsets, end before the line break
	indent     int  // leading spaces
	content    bool // holds more than spaces and a comment
	wide       bool // holds bytes outside ASCII: columns count runes
	broken     bool // ends with a line break
}

type blockDecoder struct {
	text  []byte
	lines []blockLine
	next  int // the first line not yet consumed
	sc    *scratch
	depth int // mappings open
	// inSpec is set while the root's spec is read. The parser copies the
	// spec into the entity's encoded Spec and keeps none of its scalars,
	// so they go to short-lived slabs (see scratch.keepBriefly), not the
	// slabs entities keep.
	inSpec bool
}

// declined is no error anyone sees: it unwinds the decoder when the text
// is outside what it reads.
type declined struct{}

// decodeBlock decodes text or reports that it declines to.
func (sc *scratch) decodeBlock(text []byte) (root *yaml.Node, ok bool) {
	d := blockDecoder{text: text, sc: sc}
	if !d.scanLines() {
		return nil, false
	}
	first := d.nextContent(0)
	if first < 0 {
		return nil, false
	}
	sc.nodeChunk, sc.nodeUsed = 0, 0
	sc.refChunk, sc.refUsed = 0, 0
	sc.stack = sc.stack[:0]
	defer func() {
		if r := recover(); r != nil {
			if _, is := r.(declined); !is {
				panic(r)
			}
			root, ok = nil, false
		}
	}()
	l := d.lines[first]
	at := l.start + l.indent
	if d.isEntry(first, at) || !d.isKeyLine(first, at) {
		return nil, false // entities are mappings; the rest is rare
	}
	root = d.mapping(first, at, l.indent)
	if d.nextContent(d.next) >= 0 {
		return nil, false
	}
	return root, true
}

func decline() { panic(declined{}) }

// str returns the text between offsets a and b as a string. Short strings
// are interned per scratch: keys, kinds, lifecycles and annotation names
// repeat in every document, and entities keep them. The intern table is
// direct-mapped, a slot per hash with the last string that hashed there:
// a lookup is a hash and a compare, strings that repeat stay, and names
// that never repeat cost no more than a miss. A map was a tenth of the
// decoder's time once it held thousands of unique names.
func (d *blockDecoder) str(a, b int) string {
	const maxInterned = 40
	t := d.text[a:b]
	if d.inSpec {
		return d.sc.keepBriefly(t)
	}
	if len(t) > maxInterned {
		return d.sc.keep(t)
	}
	sc := d.sc
	if sc.interned == nil {
		sc.interned = new([internSlots]string)
		sc.internSeed = maphash.MakeSeed()
	}
	slot := &sc.interned[maphash.Bytes(sc.internSeed, t)&(internSlots-1)]
	if *slot == string(t) && *slot != "" {
		return *slot
	}
	s := sc.keep(t)
	*slot = s
	return s
}

// internSlots is the size of a scratch's intern table, a power of two.
const internSlots = 1 << 13

// scanLines splits the text into lines and declines characters the
// decoder leaves to yaml.v3: tabs, carriage returns, control characters,
// invalid UTF-8, and the characters YAML counts as line breaks or marks.
func (d *blockDecoder) scanLines() bool {
	t := d.text
	lines := d.sc.blines[:0]
	for start := 0; start < len(t); {
		l := blockLine{start: start}
		i := start
		for i < len(t) && t[i] == ' ' {
			i++
		}
		l.indent = i - start
		l.content = i < len(t) && t[i] != '\n' && t[i] != '#'
		for ; i < len(t); i++ {
			c := t[i]
			if c >= 0x20 && c < 0x7f {
				continue
			}
			if c == '\n' {
				break
			}
			if c < 0x80 {
				return false
			}
			r, size := utf8.DecodeRune(t[i:])
			if r < 0xa0 || r == 0x2028 || r == 0x2029 || r == 0xfeff || r >= 0xfffe && r <= 0xffff || r == utf8.RuneError && size == 1 {
				return false
			}
			l.wide = true
			i += size - 1
		}
		l.end = i
		l.broken = i < len(t)
		lines = append(lines, l)
		start = i + 1
	}
	d.sc.blines = lines
	d.lines = lines
	// A document may start with its "---" line.
	for i := range lines {
		if !lines[i].content {
			continue
		}
		s := t[lines[i].start:lines[i].end]
		if len(s) >= 3 && s[0] == '-' && s[1] == '-' && s[2] == '-' && (len(s) == 3 || s[3] == ' ') {
			rest := strings.TrimLeft(string(s[3:]), " ")
			if rest != "" && rest[0] != '#' {
				return false
			}
			lines[i].content = false
		}
		break
	}
	return true
}

func (d *blockDecoder) nextContent(from int) int {
	for i := from; i < len(d.lines); i++ {
		if d.lines[i].content {
			return i
		}
	}
	return -1
}

// node allocates a node at byte offset at of line li.
func (d *blockDecoder) node(kind yaml.Kind, style yaml.Style, tag, value string, li, at int) *yaml.Node {
	sc := d.sc
	if sc.nodeChunk == len(sc.nodes) {
		sc.nodes = append(sc.nodes, make([]yaml.Node, 256))
	}
	chunk := sc.nodes[sc.nodeChunk]
	n := &chunk[sc.nodeUsed]
	*n = yaml.Node{Kind: kind, Style: style, Tag: tag, Value: value, Line: li + 1, Column: d.column(li, at)}
	if sc.nodeUsed++; sc.nodeUsed == len(chunk) {
		sc.nodeChunk, sc.nodeUsed = sc.nodeChunk+1, 0
	}
	return n
}

// children moves the nodes pushed since base into a Content slice.
func (d *blockDecoder) children(base int) []*yaml.Node {
	sc := d.sc
	kids := sc.stack[base:]
	n := len(kids)
	if sc.refChunk < len(sc.refs) && len(sc.refs[sc.refChunk])-sc.refUsed < n {
		sc.refChunk, sc.refUsed = sc.refChunk+1, 0
	}
	switch {
	case sc.refChunk == len(sc.refs):
		sc.refs = append(sc.refs, make([]*yaml.Node, max(1024, n)))
	case len(sc.refs[sc.refChunk]) < n:
		sc.refs[sc.refChunk] = make([]*yaml.Node, max(1024, n))
	}
	out := sc.refs[sc.refChunk][sc.refUsed : sc.refUsed+n : sc.refUsed+n]
	copy(out, kids)
	sc.refUsed += n
	sc.stack = sc.stack[:base]
	return out
}

func (d *blockDecoder) column(li, at int) int {
	l := d.lines[li]
	if !l.wide {
		return at - l.start + 1
	}
	return utf8.RuneCount(d.text[l.start:at]) + 1
}

// nextEntry finds where the next entry of a collection indented by ind
// starts: more is false at the collection's end (no more content, or a
// line indented less); a line indented more is declined.
func (d *blockDecoder) nextEntry(ind int) (li, at int, more bool) {
	nl := d.nextContent(d.next)
	if nl < 0 || d.lines[nl].indent < ind {
		return 0, 0, false
	}
	if d.lines[nl].indent > ind {
		decline()
	}
	return nl, d.lines[nl].start + ind, true
}

// isEntry reports whether a sequence entry ("- " or a lone "-") starts at
// offset at of line li.
func (d *blockDecoder) isEntry(li, at int) bool {
	end := d.lines[li].end
	return d.text[at] == '-' && (at+1 == end || d.text[at+1] == ' ')
}

// keyEnd returns the offset of the ":" that ends a simple key starting at
// offset at of line li, or -1.
func (d *blockDecoder) keyEnd(li, at int) int {
	t, end := d.text, d.lines[li].end
	if isIndicator(t[at]) {
		return -1
	}
	for i := at; i < end; i++ {
		switch t[i] {
		case ':':
			if i+1 == end || t[i+1] == ' ' {
				return i
			}
		case '#':
			if t[i-1] == ' ' {
				return -1
			}
		}
	}
	return -1
}

func (d *blockDecoder) isKeyLine(li, at int) bool { return d.keyEnd(li, at) >= 0 }

// isIndicator reports the characters that make a scalar anything but a
// plain one (or a plain one only in cases left to yaml.v3).
func isIndicator(c byte) bool {
	switch c {
	case '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return true
	}
	return false
}

// mapping reads a block mapping whose first key starts at offset at of
// line li, indented by m.
func (d *blockDecoder) mapping(li, at, m int) *yaml.Node {
	d.depth++
	defer func() { d.depth-- }()
	n := d.node(yaml.MappingNode, 0, "!!map", "", li, at)
	base := len(d.sc.stack)
	t := d.text
	for {
		colon := d.keyEnd(li, at)
		if colon < 0 || colon-at > 1024 || t[colon-1] == ' ' {
			decline()
		}
		key := d.node(yaml.ScalarNode, 0, "", d.str(at, colon), li, at)
		d.sc.stack = append(d.sc.stack, key)
		spec := d.depth == 1 && key.Value == "spec"
		d.inSpec = d.inSpec || spec
		val := d.value(li, colon+1, m)
		if spec {
			d.inSpec = false
		}
		d.sc.stack = append(d.sc.stack, val)

		var more bool
		if li, at, more = d.nextEntry(m); !more {
			break
		}
		if d.isEntry(li, at) {
			decline()
		}
	}
	n.Content = d.children(base)
	return n
}

// value reads a mapping value that starts after the ":" at offset after of
// line li, in a mapping indented by m.
func (d *blockDecoder) value(li, after, m int) *yaml.Node {
	t, end := d.text, d.lines[li].end
	at := after
	for at < end && t[at] == ' ' {
		at++
	}
	// keyEnd saw a space or the line's end after the ":".
	if at < end && t[at] != '#' {
		return d.scalar(li, at, m)
	}
	// The value is on the lines below, or null.
	nl := d.nextContent(li + 1)
	if nl >= 0 {
		l := d.lines[nl]
		start := l.start + l.indent
		switch {
		case l.indent > m:
			return d.block(nl, start, m)
		case l.indent == m && d.isEntry(nl, start):
			return d.sequence(nl, start, m)
		}
	}
	d.next = li + 1
	return d.node(yaml.ScalarNode, 0, "!!null", "", li, after)
}

// block reads a node that starts a line, inside a collection indented by
// parent.
func (d *blockDecoder) block(li, at, parent int) *yaml.Node {
	ind := d.lines[li].indent
	switch {
	case d.isEntry(li, at):
		return d.sequence(li, at, ind)
	case d.isKeyLine(li, at):
		return d.mapping(li, at, ind)
	}
	return d.scalar(li, at, parent)
}

// sequence reads a block sequence whose first "-" is at offset at of line
// li, indented by s.
func (d *blockDecoder) sequence(li, at, s int) *yaml.Node {
	n := d.node(yaml.SequenceNode, 0, "!!seq", "", li, at)
	base := len(d.sc.stack)
	t := d.text
	for {
		end := d.lines[li].end
		item := at + 1
		for item < end && t[item] == ' ' {
			item++
		}
		var v *yaml.Node
		switch {
		case item < end && t[item] != '#':
			if d.isEntry(li, item) {
				decline() // "- - a"
			}
			if d.isKeyLine(li, item) {
				v = d.mapping(li, item, item-d.lines[li].start)
			} else {
				v = d.scalar(li, item, s)
			}
		default:
			nl := d.nextContent(li + 1)
			if nl >= 0 && d.lines[nl].indent > s {
				v = d.block(nl, d.lines[nl].start+d.lines[nl].indent, s)
			} else {
				d.next = li + 1
				v = d.node(yaml.ScalarNode, 0, "!!null", "", li, at+1)
			}
		}
		d.sc.stack = append(d.sc.stack, v)

		var more bool
		if li, at, more = d.nextEntry(s); !more {
			break
		}
		if !d.isEntry(li, at) {
			break // a key of the mapping this sequence is the value of
		}
	}
	n.Content = d.children(base)
	return n
}

// scalar reads a scalar at offset at of line li, in a collection indented
// by parent: on one line, or a block scalar. An empty flow collection is
// read here too: it is as simple.
func (d *blockDecoder) scalar(li, at, parent int) *yaml.Node {
	t, end := d.text, d.lines[li].end
	var n *yaml.Node
	var after int
	switch c := t[at]; c {
	case '|', '>':
		return d.blockScalar(li, at, parent)
	case '"':
		quote := at + 1
		for quote < end && t[quote] != '"' {
			if t[quote] == '\\' {
				decline()
			}
			quote++
		}
		if quote == end {
			decline()
		}
		n = d.node(yaml.ScalarNode, yaml.DoubleQuotedStyle, "!!str", d.str(at+1, quote), li, at)
		after = quote + 1
	case '\'':
		quote, escaped := at+1, false
		for {
			for quote < end && t[quote] != '\'' {
				quote++
			}
			if quote+1 < end && t[quote+1] == '\'' {
				quote, escaped = quote+2, true
				continue
			}
			break
		}
		if quote >= end {
			decline()
		}
		v := d.str(at+1, quote)
		if escaped {
			v = strings.ReplaceAll(v, "''", "'")
		}
		n = d.node(yaml.ScalarNode, yaml.SingleQuotedStyle, "!!str", v, li, at)
		after = quote + 1
	case '[', '{':
		// Only an empty flow collection, as in "children: []".
		if at+1 == end || t[at+1] != c+2 {
			decline()
		}
		if c == '[' {
			n = d.node(yaml.SequenceNode, yaml.FlowStyle, "!!seq", "", li, at)
		} else {
			n = d.node(yaml.MappingNode, yaml.FlowStyle, "!!map", "", li, at)
		}
		after = at + 2
	default:
		if isIndicator(c) && (c != '-' || at+1 == end || t[at+1] == ' ') {
			decline()
		}
		stop := end
		for i := at; i < end; i++ {
			if t[i] == ':' && (i+1 == end || t[i+1] == ' ') {
				decline()
			}
			if t[i] == '#' && t[i-1] == ' ' {
				stop = i
				break
			}
		}
		for stop > at && t[stop-1] == ' ' {
			stop--
		}
		n = d.node(yaml.ScalarNode, 0, "", d.str(at, stop), li, at)
		after = end
	}
	// Only a comment may follow a quoted scalar on its line.
	if after < end {
		if t[after] != ' ' {
			decline()
		}
		for after < end && t[after] == ' ' {
			after++
		}
		if after < end && t[after] != '#' {
			decline()
		}
	}
	// A more indented line below would continue the scalar.
	if nl := d.nextContent(li + 1); nl >= 0 && d.lines[nl].indent > parent {
		decline()
	}
	d.next = li + 1
	return n
}

// blockScalar reads a literal (|) or folded (>) scalar whose indicator is
// at offset at of line li, in a collection indented by parent. It reads
// the clip and strip chomping indicators and an indentation found from the
// first line.
func (d *blockDecoder) blockScalar(li, at, parent int) *yaml.Node {
	t, end := d.text, d.lines[li].end
	literal := t[at] == '|'
	strip := false
	h := at + 1
	if h < end && t[h] == '-' {
		strip = true
		h++
	}
	if h < end {
		if t[h] != ' ' {
			decline() // keep chomping, an indentation indicator, or junk
		}
		for h < end && t[h] == ' ' {
			h++
		}
		if h < end && t[h] != '#' {
			decline()
		}
	}
	// The first line with more than spaces sets the indentation; blank
	// lines before it must be empty.
	first := li + 1
	for ; first < len(d.lines); first++ {
		l := d.lines[first]
		if l.end-l.start > l.indent {
			break
		}
		if l.end > l.start {
			decline()
		}
	}
	if first == len(d.lines) || d.lines[first].indent <= parent {
		decline() // an empty block scalar
	}
	ind := d.lines[first].indent
	last, lastContent := first, first
	for k := first; k < len(d.lines); k++ {
		l := d.lines[k]
		if l.end-l.start == l.indent { // spaces only
			if l.indent > ind {
				decline()
			}
			last = k
			continue
		}
		if l.indent < ind {
			break
		}
		if !literal && l.indent > ind {
			decline() // more-indented lines of a folded scalar
		}
		last, lastContent = k, k
	}
	var b strings.Builder
	b.Grow(d.lines[lastContent].end - d.lines[li].end)
	for range first - li - 1 {
		b.WriteByte('\n') // the empty lines before the first
	}
	blank := 0
	for k := first; k <= lastContent; k++ {
		l := d.lines[k]
		if l.end-l.start == l.indent {
			blank++
			continue
		}
		if k > first {
			switch {
			case literal:
				b.WriteByte('\n')
				for range blank {
					b.WriteByte('\n')
				}
			case blank == 0:
				b.WriteByte(' ')
			default:
				for range blank {
					b.WriteByte('\n')
				}
			}
		}
		blank = 0
		b.Write(t[l.start+ind : l.end])
	}
	if !strip && d.lines[lastContent].broken {
		b.WriteByte('\n')
	}
	style := yaml.LiteralStyle
	if !literal {
		style = yaml.FoldedStyle
	}
	n := d.node(yaml.ScalarNode, style, "!!str", b.String(), li, at)
	d.next = last + 1
	return n
}
