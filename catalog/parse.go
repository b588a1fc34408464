package catalog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// ParseResult is what one descriptor file yields.
type ParseResult struct {
	Entities []*Entity
	Problems Problems
	// Docs is the number of YAML documents in the file, empty ones included.
	Docs int
	// Invalid lists the indexes of documents with at least one error.
	Invalid []int
}

// Parse reads a multi-document descriptor file and validates every document
// as Backstage's catalog backend validates an entity read from a file. A bad
// document never stops the others: it is left out of Entities and its
// problems are reported with file, line, column and field. Parse never
// panics on any input.
//
// Documents are numbered as the yaml package Backstage uses numbers them
// (empty documents count). The few things that stop Backstage from reading
// the rest of a file (an alias to an undefined anchor, a quoted scalar that
// is never closed) make the later documents invalid too.
func Parse(file string, data []byte) ParseResult {
	return parse(file, data, ParseOptions{})
}

func parse(file string, data []byte, opts ParseOptions) ParseResult {
	var res ParseResult
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	docs := splitDocuments(sc.docs[:0], data)
	defer func() { sc.docs = docs[:0] }()
	res.Docs = len(docs)
	stoppedAt := -1 // the document at which Backstage stops reading the file
	for i := 0; i < len(docs); i++ {
		d := &docs[i]
		p := docParser{file: file, doc: i, read: opts.Read, sc: sc, lineOff: d.line - 1, v11: d.v11, yamlOnly: opts.yamlOnly}
		p.refPos = sc.refPos[:0]
		var e *Entity
		var out docOutcome
		if stoppedAt >= 0 {
			out = p.notRead(data, d, docs[i+1:], docs[stoppedAt].line)
		} else {
			e, out = p.parse(data, d, docs[i+1:])
		}
		switch out {
		case docSwallowsRest:
			res.Docs = i + 1
			docs = docs[:i+1]
		case docStopsFile:
			stoppedAt = i
		}
		if e != nil {
			e.Origin = Origin{File: file, Doc: int32(min(i, math.MaxInt32)), Line: int32(min(p.rootLine, math.MaxInt32))}
			res.Entities = append(res.Entities, e)
		}
		if p.errors > 0 {
			res.Invalid = append(res.Invalid, i)
		}
		res.Problems = append(res.Problems, p.problems...)
	}
	return res
}

// scratch holds buffers reused across documents and files.
type scratch struct {
	docs []document // the file's documents
	// Arenas and lines of decodeBlock, reused document after document.
	blines              []blockLine
	nodes               [][]yaml.Node
	nodeChunk, nodeUsed int
	refs                [][]*yaml.Node
	refChunk, refUsed   int
	stack               []*yaml.Node
	interned            *[internSlots]string // see blockDecoder.str
	internSeed          maphash.Seed
	slab                slab   // see keep
	briefSlab           slab   // see keepBriefly
	keySlab             slab   // see keepKey
	specBuf             []byte // see specOf
	specPairs           []specPair
	pairs               []KeyValue // see stringMap
	refPos              []refPos   // docParser.refPos, reused
	refPacked           []byte     // refPos packed for the entity

	keys   keySet
	dup    map[dupKey]int
	lines  []int      // docParser.lineStarts of the document being parsed
	fields []fieldSeg // the path of the field being validated
	path   []string   // the path of the node checkSyntax is at
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// keep returns t as a string. Short strings are copied into a shared slab:
// entities keep about twenty strings each, and the garbage collector marks
// a slab once but every separately allocated string one by one. A string
// keeps its whole slab alive, so slabs are small enough that entities
// replaced by a re-sync cannot pin much.
func (sc *scratch) keep(t []byte) string { return sc.slab.keep(t) }

// keepBriefly is keep for strings nothing keeps past the document: they
// go to slabs of their own, so the slabs entities keep hold only what they
// use.
func (sc *scratch) keepBriefly(t []byte) string { return sc.briefSlab.keep(t) }

// keepKey is keep for entity keys, which go to slabs of their own.
// Relations point at their targets' keys, millions of pointers in a large
// catalog that every collection traces; into a few hundred blocks of keys
// each costs a fraction of what it does into blocks of every other string.
func (sc *scratch) keepKey(t []byte) string { return sc.keySlab.keep(t) }

// slab copies short strings into 8 KiB blocks. A block is never written
// twice (a strings.Builder never changes bytes it has written), so a
// string handed out stays what it was for as long as anything holds it.
type slab struct{ b strings.Builder }

func (s *slab) keep(t []byte) string {
	const size, maxInSlab = 8 << 10, 512
	if len(t) > maxInSlab {
		return string(t)
	}
	if s.b.Cap()-s.b.Len() < len(t) {
		// Strings already handed out keep the old block.
		s.b = strings.Builder{}
		s.b.Grow(size)
	}
	start := s.b.Len()
	s.b.Write(t)
	return s.b.String()[start:]
}

// docOutcome tells parse how a document affects the ones after it.
type docOutcome int

const (
	docNormal       docOutcome = iota
	docSwallowsRest            // an unclosed quoted scalar runs to the end of the file
	docStopsFile               // Backstage stops reading the file at this document
)

// docParser validates one document and converts it to an Entity.
type docParser struct {
	file     string
	doc      int
	kind     string
	name     string
	rootLine int
	problems Problems
	errors   int
	lineOff  int
	refPos   []refPos
	read     ReadFunc
	sc       *scratch
	v11      bool // the document is read with the YAML 1.1 schema (%YAML 1.1)
	yamlOnly bool // see ParseOptions.yamlOnly

	text       []byte // the document's text as decoded
	lineStarts []int  // byte offsets of text's lines, built on first use
	bang       byte   // whether text has a '!': 0 not known yet, 1 no, 2 yes
	// special holds the mappings with keys that are not plain strings
	// (numbers, null, aliases, collections): their JSON keys may collide.
	special map[*yaml.Node]bool
	anchors map[*yaml.Node]*anchorUse

	aliasesExceeded bool
	aliasAt         *yaml.Node
	open            []*yaml.Node // anchored collections being walked
}

// position is a 1-based line and column in a file.
type position struct{ line, col int }

func (p *docParser) add(sev Severity, line, col int, field, format string, args ...any) {
	if sev == SeverityError {
		p.errors++
	}
	p.problems = append(p.problems, Problem{
		File: p.file, Doc: p.doc, Line: max(line, 1), Column: max(col, 1), Severity: sev,
		Kind: p.kind, Name: p.name, Field: field, Message: fmt.Sprintf(format, args...),
	})
}

// errAt reports an error at a node; a nil node means the document start.
func (p *docParser) errAt(n *yaml.Node, field, format string, args ...any) {
	line, col := p.lineOff+1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line+p.lineOff, n.Column
	}
	p.add(SeverityError, line, col, field, format, args...)
}

func (p *docParser) pos(n *yaml.Node) position {
	if n == nil || n.Line == 0 {
		return position{p.lineOff + 1, 1}
	}
	return position{n.Line + p.lineOff, n.Column}
}

// parse decodes the document and validates it. rest are the documents
// after it, which an unclosed quote may swallow.
func (p *docParser) parse(data []byte, d *document, rest []document) (*Entity, docOutcome) {
	p.rootLine = d.line
	p.text = d.bytes(data)
	for _, m := range d.problems {
		p.add(SeverityError, m.line, m.col, "", "YAML syntax error: %s", m.msg)
	}
	var root *yaml.Node
	var ok bool
	if !p.yamlOnly {
		root, ok = p.sc.decodeBlock(p.text)
	}
	if ok {
		p.lineStarts = p.sc.blockLineStarts(p.text)
	}
	var err error
	if !ok {
		root, err = decodeOne(p.text)
	}
	if err != nil {
		return nil, p.yamlError(data, d, rest, err)
	}
	if root == nil {
		return nil, docNormal
	}
	n := resolveAlias(root)
	p.rootLine = p.pos(n).line
	if p.errors > 0 || !p.checkSyntax(root) {
		if p.swallows(data, d, rest) {
			return nil, docSwallowsRest
		}
		return nil, docNormal
	}
	if p.v11 && !p.applyMerges(root, 0) {
		return nil, docStopsFile
	}
	if p.aliasesExceeded {
		p.errAt(p.aliasAt, "", "too many aliases: Backstage's YAML parser refuses documents that expand aliases more than %d times and stops reading the file here", maxAliasCount)
		return nil, docStopsFile
	}
	if n.Kind == yaml.ScalarNode && p.rawKind(n) == vNull {
		return nil, docNormal
	}
	if n.Kind != yaml.MappingNode {
		p.errAt(n, "", "expected an entity (a mapping with apiVersion, kind, metadata and spec) at the document root, found %s", p.describe(n))
		return nil, docNormal
	}
	// A placeholder key starts with "$", written as such or as an escape
	// in a double-quoted key: a document with neither has none.
	if p.read != nil && (bytes.IndexByte(p.text, '$') >= 0 || bytes.IndexByte(p.text, '\\') >= 0) {
		p.substitute(n, p.read, 0)
	}
	return p.entity(n), docNormal
}

// notRead marks a document that Backstage never gets to because reading
// the file stopped at an earlier one. Empty and null documents stay silent,
// as Backstage skips them anyway.
func (p *docParser) notRead(data []byte, d *document, rest []document, stopLine int) docOutcome {
	p.text = d.bytes(data)
	root, err := decodeOne(p.text)
	line, col := d.line, 1
	if err == nil {
		if root == nil {
			return docNormal
		}
		n := resolveAlias(root)
		if n == nil || n.Kind == yaml.ScalarNode && p.rawKind(n) == vNull {
			return docNormal
		}
		pos := p.pos(n)
		line, col = pos.line, pos.col
	}
	p.rootLine = line
	p.add(SeverityError, line, col, "", "not read: Backstage stops reading this file at the document that starts at line %d (see the problem reported there)", stopLine)
	if err != nil && p.swallows(data, d, rest) {
		return docSwallowsRest
	}
	return docNormal
}

// yamlError reports an error from the YAML decoder and works out what it
// means for the rest of the file.
func (p *docParser) yamlError(data []byte, d *document, rest []document, err error) docOutcome {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if strings.HasPrefix(msg, "line ") {
		end := strings.IndexByte(msg, ':')
		if end > 5 {
			line, _ = strconv.Atoi(msg[5:end])
			msg = strings.TrimSpace(msg[end+1:])
		}
	}
	if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
		name, _, _ = strings.Cut(name, "'")
		return p.unknownAnchor(data, d, rest, name)
	}
	out := docNormal
	col := 1
	if line > 0 && line <= p.lineCount() {
		col = p.firstNonBlank(line)
	} else {
		line = 1
	}
	if strings.Contains(msg, "cannot start any token") {
		if i := bytes.IndexAny(p.lineText(line), "%@`\t"); i >= 0 {
			col = p.colOf(p.offset(line, 1) + i)
		}
	}
	if strings.Contains(msg, "found unexpected end of stream") {
		if q, ok := p.unclosedQuote(line); ok {
			col = p.colOf(q)
			msg = "quoted scalar is not closed"
		}
	}
	p.add(SeverityError, line+p.lineOff, col, "", "YAML syntax error: %s", msg)
	if p.swallows(data, d, rest) {
		out = docSwallowsRest
	}
	return out
}

// swallows reports whether a document with a syntax error has a quoted
// scalar that never closes. The yaml package reads a quoted scalar up to
// its closing quote, across "---" lines; without one it runs to the end of
// the file.
func (p *docParser) swallows(data []byte, d *document, rest []document) bool {
	q, ok := swallowingQuote(data, d)
	if !ok {
		return false
	}
	pos := p.posOf(q - d.start)
	p.add(SeverityError, pos.line, pos.col, "", "YAML syntax error: the quoted scalar that starts here is never closed: it runs to the end of the file, so no document after it is read")
	return len(rest) > 0
}

// unknownAnchor handles an alias to an anchor the document has not
// defined. Backstage's parser does not count it as a syntax error: reading
// the document's value throws, and the whole rest of the file is dropped.
// If the document has a real syntax error as well, that error wins.
func (p *docParser) unknownAnchor(data []byte, d *document, rest []document, name string) docOutcome {
	alias := []byte("*" + name)
	at := -1
	text := p.text
	fixed := make([]byte, len(text))
	copy(fixed, text)
	for i := 0; i+len(alias) <= len(fixed); {
		j := bytes.Index(fixed[i:], alias)
		if j < 0 {
			break
		}
		j += i
		end := j + len(alias)
		if (j == 0 || isAliasBoundaryBefore(fixed[j-1])) && (end == len(fixed) || !isAlnum(fixed[end]) && fixed[end] != '-' && fixed[end] != '_') {
			if at < 0 {
				at = j
			}
			// An empty quoted string, unlike a plain ~, cannot run on
			// into the lines after it.
			fixed[j], fixed[j+1] = '"', '"'
			for k := j + 2; k < end; k++ {
				fixed[k] = ' '
			}
		}
		i = end
	}
	pos := position{p.lineOff + 1, 1}
	if at >= 0 {
		pos = p.posOf(at)
		root, err := decodeOne(fixed)
		if err != nil && !strings.HasPrefix(err.Error(), "yaml: unknown anchor '") {
			p.text = fixed
			return p.yamlError(data, d, rest, err)
		}
		if err == nil && root != nil && !p.checkSyntax(root) {
			return docNormal
		}
	}
	if p.errors > 0 {
		// A syntax error makes the document an error; only an otherwise
		// well-formed document throws when its alias is resolved.
		p.add(SeverityError, pos.line, pos.col, "", "alias *%s refers to an anchor &%s that is not defined before it in this document", name, name)
		return docNormal
	}
	p.add(SeverityError, pos.line, pos.col, "", "alias *%s refers to an anchor &%s that is not defined before it in this document; Backstage stops reading the file here", name, name)
	return docStopsFile
}

func isAliasBoundaryBefore(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '[', '{', ',', ':', '-', '?':
		return true
	}
	return false
}

func isNotAnchorChar(c byte) bool {
	switch c {
	case ' ', ',', '[', ']', '{', '}', '\n', '\r', '\t':
		return true
	}
	return false
}

// decodeOne decodes one YAML document, turning the yaml package's panics
// on pathological input into errors. It returns nil for an empty document.
func decodeOne(text []byte) (root *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("yaml: %v", r)
		}
	}()
	// A Decoder, not Unmarshal: Unmarshal ignores whatever follows the
	// first document, and in a document's text anything there is an error.
	dec := yaml.NewDecoder(bytes.NewReader(text))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, err
	default:
		line := extra.Line
		if len(extra.Content) > 0 {
			line = extra.Content[0].Line
		}
		return nil, fmt.Errorf("yaml: line %d: unexpected content after the end of the document's root node (check its indentation)", line)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// Text positions. yaml.v3 counts lines from 1 and columns in characters.

func (p *docParser) buildLines() {
	if p.lineStarts != nil {
		return
	}
	p.lineStarts = append(p.sc.lines[:0], 0)
	for i, c := range p.text {
		if c == '\n' {
			p.lineStarts = append(p.lineStarts, i+1)
		}
	}
	p.sc.lines = p.lineStarts
}

// blockLineStarts gives what buildLines would from the lines decodeBlock
// just scanned in text, without scanning it again.
func (sc *scratch) blockLineStarts(text []byte) []int {
	starts := sc.lines[:0]
	for _, l := range sc.blines {
		starts = append(starts, l.start)
	}
	if len(text) == 0 || text[len(text)-1] == '\n' {
		starts = append(starts, len(text))
	}
	sc.lines = starts
	return starts
}

func (p *docParser) lineCount() int {
	p.buildLines()
	return len(p.lineStarts)
}

// lineText returns line l (1-based, relative to the document) without its
// line break.
func (p *docParser) lineText(l int) []byte {
	p.buildLines()
	if l < 1 || l > len(p.lineStarts) {
		return nil
	}
	start := p.lineStarts[l-1]
	end := len(p.text)
	if l < len(p.lineStarts) {
		end = p.lineStarts[l] - 1
	}
	return bytes.TrimSuffix(p.text[start:end], []byte("\r"))
}

// offset converts a document-relative line and character column to a byte
// offset in the document's text.
func (p *docParser) offset(line, col int) int {
	p.buildLines()
	if line < 1 || line > len(p.lineStarts) {
		return -1
	}
	off := p.lineStarts[line-1]
	for c := 1; c < col && off < len(p.text); c++ {
		_, size := utf8.DecodeRune(p.text[off:])
		off += size
	}
	return off
}

// posOf converts a byte offset in the document's text to a file position.
func (p *docParser) posOf(off int) position {
	p.buildLines()
	l := 1
	for l < len(p.lineStarts) && p.lineStarts[l] <= off {
		l++
	}
	col := 1
	for i := p.lineStarts[l-1]; i < off && i < len(p.text); {
		_, size := utf8.DecodeRune(p.text[i:])
		i += size
		col++
	}
	return position{l + p.lineOff, col}
}

func (p *docParser) colOf(off int) int { return p.posOf(off).col }

func (p *docParser) firstNonBlank(line int) int {
	l := p.lineText(line)
	col := 1
	for _, c := range l {
		if c != ' ' {
			break
		}
		col++
	}
	if col > len(l) {
		return 1
	}
	return col
}

// unclosedQuote finds, on a document-relative line, the quote that opens a
// quoted scalar with no closing quote in the rest of the document. It
// returns the quote's byte offset in the document's text.
func (p *docParser) unclosedQuote(line int) (int, bool) {
	p.buildLines()
	if line < 1 || line > len(p.lineStarts) {
		return 0, false
	}
	end := len(p.text)
	if line < len(p.lineStarts) {
		end = p.lineStarts[line] - 1
	}
	for i := p.lineStarts[line-1]; i < end; i++ {
		if c := p.text[i]; (c == '\'' || c == '"') && tokenStartAt(p.text, 0, i) && closingQuote(p.text, i) < 0 {
			return i, true
		}
	}
	return 0, false
}

// closingQuote returns the offset of the quote closing the quoted scalar
// that opens at text[open], or -1, searching as the yaml package does.
func closingQuote(text []byte, open int) int {
	q := text[open]
	i := open + 1
	for {
		j := bytes.IndexByte(text[i:], q)
		if j < 0 {
			return -1
		}
		j += i
		if q == '\'' {
			if j+1 < len(text) && text[j+1] == '\'' {
				i = j + 2
				continue
			}
			return j
		}
		n := 0
		for k := j - 1; k > open && text[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return j
		}
		i = j + 1
	}
}

// swallowingQuote finds a quote in document d that opens a quoted scalar
// with no closing quote anywhere after it in the file: the yaml package
// then reads to the end of the file. It follows the document's text from
// token to token, as far as that can be done line by line: quoted scalars
// that close are skipped, and so are comments, plain values and block
// scalars.
func swallowingQuote(data []byte, d *document) (int, bool) {
	from := d.start // a token may start here even in the middle of a line
	block := -1     // indentation a block scalar's lines exceed, or -1
	for ls := d.start; ls < d.end; {
		le := bytes.IndexByte(data[ls:d.end], '\n')
		if le < 0 {
			le = d.end
		} else {
			le += ls
		}
		line := data[ls:le]
		indent := len(line) - len(bytes.TrimLeft(line, " "))
		rest := bytes.TrimSpace(line)
		if block >= 0 && (len(rest) == 0 || indent > block) {
			ls = le + 1
			continue
		}
		block = -1
		for i := max(ls, from); i < le; i++ {
			c := data[i]
			if c != '\'' && c != '"' || !tokenStartAt(data, max(ls, from), i) {
				continue
			}
			close := closingQuote(data, i)
			if close < 0 {
				return i, true
			}
			if cut := quoteCut(data, ls, i, close); cut >= 0 {
				// The quoted scalar ends early, at a line indented too
				// little; the text from there on is read anew.
				close = cut - 1
			}
			i, from = close, close+1
			if close >= le {
				break
			}
		}
		if from > le {
			// Go on at the line where a quoted scalar closed.
			ls = bytes.LastIndexByte(data[:from], '\n') + 1
			continue
		}
		if isBlockHeader(rest) {
			block = indent
		}
		ls = le + 1
	}
	return -1, false
}

// quoteCut returns where the yaml package ends a quoted scalar that opens
// at data[open] (on the line starting at ls) and would close at close: the
// start of the first continuation line indented less than the scalar's
// context requires, or -1.
func quoteCut(data []byte, ls, open, close int) int {
	j := ls
	for j < open && data[j] == ' ' {
		j++
	}
	need := 0
	if j == open {
		// The quote starts its line: the lexer still requires the
		// indentation the line before set up, unless the quote is
		// followed by more than a blank and is less indented.
		need = prevIndentNext(data, ls)
		if lead := j - ls; lead < need && open+1 < len(data) && !isBlankByte(data[open+1]) {
			need = lead
		}
	}
	for j+1 < open && (data[j] == '-' || data[j] == '?' || data[j] == ':') && (data[j+1] == ' ' || data[j+1] == '\t') {
		need = j - ls + 1
		j++
		for j < open && (data[j] == ' ' || data[j] == '\t') {
			j++
		}
	}
	if j < open {
		need = j - ls + 1 // the quote follows a key on its line
	}
	if need == 0 {
		return -1
	}
	ls, _ = underIndentedLine(data, open, close, need)
	return ls
}

// underIndentedLine finds the first non-blank line starting within
// data[from:to] that is indented by fewer than need spaces. It returns the
// line's start and its first non-space byte, or -1, -1.
func underIndentedLine(data []byte, from, to, need int) (int, int) {
	for k := from; k < to; k++ {
		if data[k] != '\n' {
			continue
		}
		sp := 0
		for k+1+sp < len(data) && data[k+1+sp] == ' ' {
			sp++
		}
		next := k + 1 + sp
		if next < len(data) && (data[next] == '\n' || data[next] == '\r' && next+1 < len(data) && data[next+1] == '\n') {
			continue
		}
		if sp < need {
			return k + 1, next
		}
	}
	return -1, -1
}

func isBlankByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// prevIndentNext is the indentation the last non-blank line before the
// line at ls requires of lines continuing it: one more than its
// indentation and block indicators.
func prevIndentNext(data []byte, ls int) int {
	for end := ls - 1; end > 0; {
		start := bytes.LastIndexByte(data[:end], '\n') + 1
		line := bytes.TrimRight(data[start:end], " \t\r")
		body := bytes.TrimLeft(line, " ")
		if len(body) == 0 || body[0] == '#' {
			end = start - 1
			continue
		}
		iv := len(line) - len(body)
		for len(body) >= 2 && (body[0] == '-' || body[0] == '?' || body[0] == ':') && (body[1] == ' ' || body[1] == '\t') {
			trimmed := bytes.TrimLeft(body[1:], " \t")
			iv += len(body) - len(trimmed)
			body = trimmed
		}
		return iv + 1
	}
	return 0
}

// isBlockHeader reports whether a line ends with a block scalar header
// ("key: |", "- >-", "key: |2 # comment").
func isBlockHeader(line []byte) bool {
	if i := bytes.Index(line, []byte(" #")); i >= 0 {
		line = bytes.TrimRight(line[:i], " \t")
	}
	j := len(line)
	for j > 0 && (line[j-1] == '+' || line[j-1] == '-' || line[j-1] >= '1' && line[j-1] <= '9') {
		j--
	}
	if j == 0 || line[j-1] != '|' && line[j-1] != '>' {
		return false
	}
	return j == 1 || line[j-2] == ' ' || line[j-2] == '\t'
}

// tokenStartAt reports whether a quote at data[at] starts a quoted scalar,
// reading the line from start (where a token may start): plain values,
// comments and flow indicators are followed as the yaml package's lexer
// does. A quote that starts its line does not start a token when the line
// continues a plain value from the line before.
func tokenStartAt(data []byte, start, at int) bool {
	ls := bytes.LastIndexByte(data[:at], '\n') + 1
	if start <= ls && len(bytes.TrimLeft(data[ls:at], " ")) == 0 && continuesPlain(data, ls, at-ls) {
		return false
	}
	tokenStart, plain, depth := true, false, 0
	for i := max(start, ls); i < at; i++ {
		c := data[i]
		blankNext := i+1 >= len(data) || data[i+1] == ' ' || data[i+1] == '\t' || data[i+1] == '\n' || data[i+1] == '\r'
		switch {
		case c == ' ' || c == '\t':
			if !plain {
				tokenStart = true
			}
		case c == '#' && (i == ls || data[i-1] == ' ' || data[i-1] == '\t' || tokenStart && !plain):
			return false // a comment
		case plain:
			switch {
			case c == ':' && (blankNext || depth > 0 && bytes.IndexByte([]byte(",[]{}"), data[i+1]) >= 0):
				plain, tokenStart = false, true
			case depth > 0 && (c == ',' || c == '[' || c == ']' || c == '{' || c == '}'):
				plain, tokenStart = false, true
				depth = flowDepth(depth, c)
			}
		case c == '\'' || c == '"':
			close := closingQuote(data[:at], i)
			if close < 0 {
				return false // inside a quoted scalar
			}
			i, tokenStart = close, true
		case c == '[' || c == '{' || c == ']' || c == '}' || c == ',':
			depth, tokenStart = flowDepth(depth, c), true
		case (c == '-' || c == '?' || c == ':') && blankNext:
			tokenStart = true
		case c == '&' || c == '!' || c == '*':
			for i+1 < at && !isNotAnchorChar(data[i+1]) {
				i++
			}
			tokenStart = true
		default:
			if tokenStart {
				plain, tokenStart = true, false
			}
		}
	}
	return tokenStart && !plain
}

func flowDepth(depth int, c byte) int {
	switch c {
	case '[', '{':
		return depth + 1
	case ']', '}':
		return max(depth-1, 0)
	}
	return depth
}

// continuesPlain reports whether the line at data[start:], indented by
// indent spaces, continues a plain value that the line before it ends
// with, such as "key: value" followed by a more indented line.
func continuesPlain(data []byte, start, indent int) bool {
	if start == 0 {
		return false
	}
	prevStart := bytes.LastIndexByte(data[:start-1], '\n') + 1
	prev := bytes.TrimRight(data[prevStart:start-1], " \t\r")
	body := bytes.TrimLeft(prev, " ")
	keyIndent := len(prev) - len(body)
	for len(body) >= 2 && (body[0] == '-' || body[0] == '?') && body[1] == ' ' {
		trimmed := bytes.TrimLeft(body[2:], " ")
		keyIndent += len(body) - len(trimmed)
		body = trimmed
	}
	if len(body) == 0 || body[0] == '#' || indent <= keyIndent {
		return false
	}
	colon := bytes.Index(body, []byte(": "))
	if colon < 0 {
		return false
	}
	value := bytes.TrimLeft(body[colon+2:], " ")
	if len(value) == 0 || bytes.IndexByte([]byte("'\"[{|>&*!#"), value[0]) >= 0 {
		return false
	}
	return !bytes.Contains(value, []byte(" #"))
}

// describe names a value for messages.
func (p *docParser) describe(n *yaml.Node) string {
	n = resolveAlias(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		switch p.rawKind(n) {
		case vNull:
			return "null"
		case vBool:
			return "the boolean " + n.Value
		case vNumber:
			return "the number " + n.Value
		case vDate:
			return "the timestamp " + n.Value
		case vBinary:
			return "binary data"
		}
		return fmt.Sprintf("the string %q", truncate(n.Value, 60))
	}
	return "an unsupported value"
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// Splitting a file into documents.
//
// The yaml package Backstage uses (yaml 2.x, parseAllDocuments) starts a
// document at a "---" line, at the first content line after a "..." line
// or at the start of the file, and ends it at the next "---" or "..." line.
// A "---" or "..." at the start of a line always ends the current document,
// inside a block scalar, a flow collection or a quoted scalar too, with one
// exception: a quoted scalar whose closing quote is nowhere in the rest of
// the file runs to its end (see docParser.yamlError). Comment, blank and
// directive lines before a document belong to it; a file of only such lines
// has no documents.

// document is one YAML document of a file.
type document struct {
	start, end int  // byte range in the file; start is at a line start
	line       int  // 1-based line of start
	v11        bool // read with the YAML 1.1 schema
	// blank lists byte ranges inside [start, end) that the YAML decoder
	// must not see (directives it does not know, a "..." before content).
	blank    []span
	problems []textProblem
}

type span struct{ start, end int }

type textProblem struct {
	line, col int
	msg       string
}

// bytes returns the document's text for the decoder.
func (d *document) bytes(data []byte) []byte {
	text := data[d.start:d.end]
	if len(d.blank) == 0 {
		return text
	}
	out := make([]byte, len(text))
	copy(out, text)
	for _, b := range d.blank {
		for i := b.start; i < b.end; i++ {
			out[i-d.start] = ' '
		}
	}
	return out
}

// yamlVersion tracks %YAML directives across the documents of a stream as
// the yaml package does: a %YAML 1.1 document makes the following
// documents 1.1 too, until a directive says otherwise.
type yamlVersion struct {
	explicit bool
	is11     bool
	atNext   bool
}

func (v *yamlVersion) directive() {
	if v.atNext {
		v.explicit, v.is11, v.atNext = false, true, false
	}
}

// document returns whether the next document is read as YAML 1.1.
func (v *yamlVersion) document() bool {
	v11 := v.explicit && v.is11
	if v.is11 {
		v.atNext = true
	} else {
		v.explicit = false
	}
	return v11
}

// splitDocuments appends the documents of a YAML stream to docs.
func splitDocuments(docs []document, data []byte) []document {
	var ver yamlVersion
	var cur document
	inDoc := false
	segStart, segLine := 0, 1
	var blank []span
	var dirProblems []textProblem
	sawDirective := false

	awaitFirst := false // no token of the current document seen yet
	startDoc := func(start, line int, marker bool) {
		awaitFirst = true
		cur = document{start: start, line: line, v11: ver.document(), blank: blank, problems: dirProblems}
		if sawDirective && !marker {
			cur.problems = append(cur.problems, textProblem{line, 1, "a directive must be followed by a \"---\" line"})
		}
		blank, dirProblems, sawDirective = nil, nil, false
		inDoc = true
	}
	endDoc := func(end int) {
		cur.end = end
		docs = append(docs, cur)
		inDoc = false
	}
	// afterDocEnd checks for content after "...": the document just
	// ended gets the error.
	afterDocEnd := func(l []byte, line int) bool {
		if atLineEnd(l[3:]) {
			return false
		}
		d := &docs[len(docs)-1]
		d.problems = append(d.problems, textProblem{line, 4, "nothing but a comment may follow \"...\" on its line, and no document starts before the next \"---\""})
		return true
	}
	garbage := false

	line := 1
	for pos := 0; pos < len(data); line++ {
		eol := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if eol >= 0 {
			eol += pos
			next = eol + 1
		} else {
			eol = len(data)
		}
		l := data[pos:eol]
		skip := 0
		if (pos == 0 || !inDoc && !garbage) && bytes.HasPrefix(l, []byte("\ufeff")) {
			// A byte order mark outside a document is skipped.
			skip = 3
			l = l[3:]
			if pos > 0 {
				blank = append(blank, span{pos, pos + 3})
			}
		}
		switch {
		case garbage:
			// After content on a "..." line the yaml package reports
			// every token up to the next "---" as an error of the
			// document that ended there.
			switch {
			case isMarker(l, '-'):
				garbage = false
				startDoc(pos, line, true)
			case isMarker(l, '.') && atLineEnd(l[3:]):
				garbage = false
				segStart, segLine = next, line+1
			}
		case !inDoc:
			switch {
			case len(l) > 0 && l[0] == '%':
				sawDirective = true
				ver.directive()
				keep, prob := directive(&ver, l, line)
				if prob != "" {
					dirProblems = append(dirProblems, textProblem{line, 1, prob})
				}
				if !keep {
					blank = append(blank, span{pos + skip, eol})
				}
			case atLineEnd(l):
			case isMarker(l, '.'):
				// "..." outside a document starts and ends an empty one.
				startDoc(segStart, segLine, false)
				endDoc(pos)
				segStart, segLine = next, line+1
				garbage = afterDocEnd(l, line)
			default:
				startDoc(segStart, segLine, isMarker(l, '-'))
			}
		default:
			switch {
			case len(l) > 0 && l[0] == '%':
				// Inside a document this is no directive but a plain
				// value, which cannot start with "%"; yaml.v3 would take
				// it for a directive.
				cur.problems = append(cur.problems, textProblem{line, 1, "a plain value cannot start with \"%\" (a directive must come before the \"---\" line)"})
				cur.blank = append(cur.blank, span{pos + skip, eol})
			case isMarker(l, '-'):
				endDoc(pos)
				startDoc(pos, line, true)
			case isMarker(l, '.'):
				endDoc(pos)
				segStart, segLine = next, line+1
				garbage = afterDocEnd(l, line)
			}
		}
		if inDoc && bytes.IndexByte(l, '\t') >= 0 {
			cur.blank = indicatorTabs(cur.blank, l, pos+skip)
		}
		if inDoc && awaitFirst {
			from := pos + skip
			if isMarker(l, '-') {
				from += 3
			}
			awaitFirst = strayClosers(data, from, eol, line, &cur, docs)
		}
		pos = next
	}
	if inDoc {
		endDoc(len(data))
	}
	return docs
}

// indicatorTabs adds to blank the tabs that separate block indicators
// ("-", "?", ":") at the start of line l (at offset base): the yaml package
// accepts them like spaces, yaml.v3 does not.
func indicatorTabs(blank []span, l []byte, base int) []span {
	i := 0
	for i < len(l) && l[i] == ' ' {
		i++
	}
	for i+1 < len(l) && (l[i] == '-' || l[i] == '?' || l[i] == ':') && (l[i+1] == ' ' || l[i+1] == '\t') {
		i++
		for i < len(l) && (l[i] == ' ' || l[i] == '\t') {
			if l[i] == '\t' {
				blank = append(blank, span{base + i, base + i + 1})
			}
			i++
		}
	}
	return blank
}

// strayClosers looks for the first token of document cur in
// data[from:eol] (line line). Closing brackets there are no value: the
// yaml package reports them on the document before (on cur when it is the
// first) and reads cur without them, so they are blanked out. It reports
// whether the first token is still to come.
func strayClosers(data []byte, from, eol, line int, cur *document, docs []document) bool {
	lineStart := bytes.LastIndexByte(data[:from], '\n') + 1
	for j := from; j < eol; j++ {
		switch c := data[j]; {
		case c == ' ' || c == '\t' || c == '\r':
		case c == '#' && (j == from || bytes.IndexByte([]byte(" \t]}"), data[j-1]) >= 0):
			return true // a comment to the end of the line
		case c == ']' || c == '}':
			col := utf8.RuneCount(data[lineStart:j]) + 1
			prob := textProblem{line, col, fmt.Sprintf("unexpected %q at the start of a document", c)}
			if len(docs) > 0 {
				prob.msg += " (the YAML parser reports it on the document before)"
				docs[len(docs)-1].problems = append(docs[len(docs)-1].problems, prob)
			} else {
				cur.problems = append(cur.problems, prob)
			}
			cur.blank = append(cur.blank, span{j, j + 1})
		default:
			return false
		}
	}
	return true
}

// isMarker reports whether a line is a "---" (c == '-') or "..." marker.
func isMarker(l []byte, c byte) bool {
	return len(l) >= 3 && l[0] == c && l[1] == c && l[2] == c &&
		(len(l) == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r')
}

// atLineEnd reports whether a line holds nothing but blanks and a comment.
func atLineEnd(l []byte) bool {
	for i, c := range l {
		switch c {
		case ' ', '\t':
			continue
		case '#':
			return true
		case '\r':
			return i == len(l)-1
		}
		return false
	}
	return true
}

// directive applies a directive line to the version state. It reports
// whether the YAML decoder may see the line (only %TAG lines) and any
// problem the yaml package reports for it.
func directive(ver *yamlVersion, l []byte, line int) (keep bool, problem string) {
	text := string(l)
	if i := strings.Index(text, " #"); i >= 0 {
		text = text[:i]
	}
	if i := strings.Index(text, "\t#"); i >= 0 {
		text = text[:i]
	}
	parts := strings.Fields(text)
	switch parts[0] {
	case "%YAML":
		ver.explicit = true
		if len(parts) != 2 {
			return false, "%YAML directive should contain exactly one part"
		}
		switch parts[1] {
		case "1.1":
			ver.is11 = true
		case "1.2":
			ver.is11 = false
		default:
			if !isVersionNumber(parts[1]) {
				return false, "unsupported YAML version " + parts[1]
			}
		}
		return false, ""
	case "%TAG":
		if len(parts) != 3 {
			return false, "%TAG directive should contain exactly two parts"
		}
		return true, ""
	}
	return false, ""
}

func isVersionNumber(s string) bool {
	a, b, ok := strings.Cut(s, ".")
	return ok && isDigits(a) && isDigits(b)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Values. Backstage validates the JavaScript value the yaml package builds
// for a document (YAML 1.2 core schema unless a %YAML 1.1 directive says
// otherwise), then stores it as JSON. yaml.v3 resolves plain scalars with
// YAML 1.1-like rules, so the type of every scalar is worked out here from
// its text, style and explicit tag.

// vkind is the type of a value as Backstage sees it.
type vkind uint8

const (
	vNull vkind = iota
	vBool
	vNumber
	vString
	vObject
	vArray
	vDate   // a YAML 1.1 timestamp: a Date, a string once stored as JSON
	vBinary // !!binary: a Buffer, an object once stored as JSON
)

// rawKind is the type of the value the yaml package builds for n.
func (p *docParser) rawKind(n *yaml.Node) vkind {
	n = resolveAlias(n)
	if n == nil {
		return vNull
	}
	switch n.Kind {
	case yaml.MappingNode:
		return vObject
	case yaml.SequenceNode:
		return vArray
	case yaml.ScalarNode:
		k, _ := p.scalar(n)
		return k
	}
	return vNull
}

// jsonKind is the type of n's value after the JSON round trip that every
// entity goes through before the catalog validates it: NaN and infinities
// become null, dates strings and buffers objects.
func (p *docParser) jsonKind(n *yaml.Node) vkind {
	n = resolveAlias(n)
	if n == nil {
		return vNull
	}
	switch n.Kind {
	case yaml.MappingNode:
		return vObject
	case yaml.SequenceNode:
		return vArray
	case yaml.ScalarNode:
		k, f := p.scalar(n)
		switch k {
		case vNumber:
			if f != f || f > maxFloat || f < -maxFloat {
				return vNull
			}
		case vDate:
			return vString
		case vBinary:
			return vObject
		}
		return k
	}
	return vNull
}

const maxFloat = 1.7976931348623157e308

// isString reports whether n is a string once stored as JSON.
func (p *docParser) isString(n *yaml.Node) bool {
	return n != nil && p.jsonKind(n) == vString
}

// str returns the string value of a node that isString.
func (p *docParser) str(n *yaml.Node) string {
	n = resolveAlias(n)
	if k, _ := p.scalar(n); k == vDate {
		return dateISO(n.Value)
	}
	return n.Value
}

// scalar resolves a scalar node's type and, for numbers and booleans, its
// value (booleans as 0 or 1).
func (p *docParser) scalar(n *yaml.Node) (vkind, float64) {
	if n.Style&yaml.TaggedStyle != 0 {
		return p.tagged(n)
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return vString, 0
	}
	k, f := resolvePlain(n.Value, p.v11)
	if k != vString && p.nonSpecificTag(n) {
		return vString, 0
	}
	return k, f
}

// tagged resolves a scalar with an explicit tag. A standard tag whose
// pattern the value does not match leaves a string, as does any other tag.
func (p *docParser) tagged(n *yaml.Node) (vkind, float64) {
	s := n.Value
	switch n.Tag {
	case "!!null":
		if isNull(s) {
			return vNull, 0
		}
	case "!!bool":
		if b, ok := resolveBool(s, p.v11); ok {
			return vBool, b
		}
	case "!!int":
		if f, ok := resolveInt(s, p.v11); ok {
			return vNumber, f
		}
	case "!!float":
		if f, ok := resolveFloat(s, p.v11); ok {
			return vNumber, f
		}
	case "!!timestamp":
		if isTimestamp(s) {
			return vDate, 0
		}
	case "!!binary":
		return vBinary, 0
	}
	return vString, 0
}

// nonSpecificTag reports whether a plain scalar carries the "!" tag, which
// makes it a string; yaml.v3 drops that tag.
func (p *docParser) nonSpecificTag(n *yaml.Node) bool {
	if p.bang == 0 {
		p.bang = 1
		if bytes.IndexByte(p.text, '!') >= 0 {
			p.bang = 2
		}
	}
	if p.bang == 1 {
		return false
	}
	off := p.offset(n.Line, n.Column)
	t := p.text
	if off < 0 || off >= len(t) {
		return false
	}
	if t[off] == '&' {
		for off < len(t) && !isNotAnchorChar(t[off]) {
			off++
		}
		for off < len(t) && (t[off] == ' ' || t[off] == '\t') {
			off++
		}
	}
	return off+1 < len(t) && t[off] == '!' && (t[off+1] == ' ' || t[off+1] == '\t')
}

// resolvePlain types a plain scalar as the core schema (or, for %YAML 1.1
// documents, the yaml package's YAML 1.1 schema) does.
func resolvePlain(s string, v11 bool) (vkind, float64) {
	if s == "" {
		return vNull, 0
	}
	switch c := s[0]; {
	case c >= '0' && c <= '9', c == '+', c == '-', c == '.', c == '~':
	case c == 'n', c == 'N', c == 't', c == 'T', c == 'f', c == 'F':
	case v11 && (c == 'y' || c == 'Y' || c == 'o' || c == 'O'):
	default:
		return vString, 0
	}
	if isNull(s) {
		return vNull, 0
	}
	if b, ok := resolveBool(s, v11); ok {
		return vBool, b
	}
	if f, ok := resolveInt(s, v11); ok {
		return vNumber, f
	}
	if f, ok := resolveFloat(s, v11); ok {
		return vNumber, f
	}
	if v11 && isTimestamp(s) {
		return vDate, 0
	}
	return vString, 0
}

func isNull(s string) bool {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return true
	}
	return false
}

func resolveBool(s string, v11 bool) (float64, bool) {
	switch s {
	case "true", "True", "TRUE":
		return 1, true
	case "false", "False", "FALSE":
		return 0, true
	}
	if v11 {
		switch s {
		case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON":
			return 1, true
		case "n", "N", "no", "No", "NO", "off", "Off", "OFF":
			return 0, true
		}
	}
	return 0, false
}

// resolveInt matches the int patterns, in the schema's order.
func resolveInt(s string, v11 bool) (float64, bool) {
	if !v11 {
		switch {
		case len(s) > 2 && s[0] == '0' && s[1] == 'o' && allDigits(s[2:], 8, false):
			return parseRadix(s[2:], 8), true
		case allDigits(strings.TrimPrefix(strings.TrimPrefix(s, "+"), "-"), 10, false) && !strings.HasPrefix(s, "+-"):
			f, _ := strconv.ParseFloat(s, 64)
			return f, true
		case len(s) > 2 && s[0] == '0' && s[1] == 'x' && allDigits(s[2:], 16, false):
			return parseRadix(s[2:], 16), true
		}
		return 0, false
	}
	sign, body := 1.0, s
	if body != "" && (body[0] == '+' || body[0] == '-') {
		if body[0] == '-' {
			sign = -1
		}
		body = body[1:]
	}
	switch {
	case len(body) > 2 && body[0] == '0' && body[1] == 'b' && allDigits(body[2:], 2, true):
		return sign * parseRadix(body[2:], 2), true
	case len(body) > 1 && body[0] == '0' && allDigits(body[1:], 8, true):
		return sign * parseRadix(body[1:], 8), true
	case body != "" && body[0] >= '0' && body[0] <= '9' && allDigits(body, 10, true):
		return sign * parseRadix(body, 10), true
	case len(body) > 2 && body[0] == '0' && body[1] == 'x' && allDigits(body[2:], 16, true):
		return sign * parseRadix(body[2:], 16), true
	}
	if f, ok := sexagesimal(s, false); ok {
		return f, true
	}
	return 0, false
}

func resolveFloat(s string, v11 bool) (float64, bool) {
	switch s {
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
		return math.Inf(1), true
	case "-.inf", "-.Inf", "-.INF":
		return -math.Inf(1), true
	case ".nan", ".NaN", ".NAN":
		return math.NaN(), true
	}
	body := s
	if body != "" && (body[0] == '+' || body[0] == '-') {
		body = body[1:]
	}
	mant, exp, hasExp := body, "", false
	if i := strings.IndexAny(body, "eE"); i >= 0 {
		mant, exp, hasExp = body[:i], body[i+1:], true
		if exp != "" && (exp[0] == '+' || exp[0] == '-') {
			exp = exp[1:]
		}
		if !allDigits(exp, 10, false) {
			return 0, false
		}
	}
	intPart, frac, hasDot := strings.Cut(mant, ".")
	if !v11 {
		// [0-9]+(\.[0-9]*)? or \.[0-9]+, and without an exponent a dot
		// is required.
		switch {
		case intPart != "" && allDigits(intPart, 10, false) && (frac == "" || allDigits(frac, 10, false)):
			if !hasExp && !hasDot {
				return 0, false
			}
		case intPart == "" && hasDot && allDigits(frac, 10, false):
		default:
			return 0, false
		}
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil || isRangeErr(err)
	}
	// ([0-9][0-9_]*)?(\.[0-9_]*)? with an exponent, or
	// ([0-9][0-9_]*)?\.[0-9_]* without one.
	if intPart != "" && !(intPart[0] >= '0' && intPart[0] <= '9' && allDigits(intPart, 10, true)) {
		if f, ok := sexagesimal(s, true); ok {
			return f, true
		}
		return 0, false
	}
	if hasDot && frac != "" && !allDigits(frac, 10, true) {
		return 0, false
	}
	if !hasExp && !hasDot {
		return 0, false
	}
	clean := strings.ReplaceAll(s, "_", "")
	return jsParseFloat(clean), true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// jsParseFloat parses the longest prefix of s that is a decimal number, as
// JavaScript's parseFloat does; NaN when there is none.
func jsParseFloat(s string) float64 {
	end := 0
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := false
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits = true
	}
	if digits {
		end = i
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits = true
		}
		if digits {
			end = i
		}
	}
	if digits && i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j {
			end = k
		}
	}
	if end == 0 {
		return math.NaN()
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(s[:end], "."), 64)
	if err != nil && !isRangeErr(err) {
		return math.NaN()
	}
	return f
}

// sexagesimal matches the YAML 1.1 base-60 numbers 1:30 (int) and
// 1:30.5 (float).
func sexagesimal(s string, float bool) (float64, bool) {
	body := s
	sign := 1.0
	if body != "" && (body[0] == '+' || body[0] == '-') {
		if body[0] == '-' {
			sign = -1
		}
		body = body[1:]
	}
	last := body
	if float {
		dot := strings.LastIndexByte(body, '.')
		if dot < 0 || !allDigits(body[dot+1:], 10, true) && body[dot+1:] != "" {
			return 0, false
		}
		last = body[:dot]
	}
	parts := strings.Split(last, ":")
	if len(parts) < 2 || parts[0] == "" || parts[0][0] < '0' || parts[0][0] > '9' || !allDigits(parts[0], 10, true) {
		return 0, false
	}
	for _, part := range parts[1:] {
		if len(part) < 1 || len(part) > 2 || !allDigits(part, 10, false) || len(part) == 2 && part[0] > '5' {
			return 0, false
		}
	}
	body = strings.ReplaceAll(body, "_", "")
	var res float64
	for _, part := range strings.Split(body, ":") {
		f, err := strconv.ParseFloat(part, 64)
		if err != nil {
			f = math.NaN()
		}
		res = res*60 + f
	}
	return sign * res, true
}

// allDigits reports whether s is non-empty and all digits of the base
// (underscores allowed when underscore is set).
func allDigits(s string, base int, underscore bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_' && underscore:
		case base == 2 && (c == '0' || c == '1'):
		case base == 8 && c >= '0' && c <= '7':
		case base == 10 && c >= '0' && c <= '9':
		case base == 16 && (c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'):
		default:
			return false
		}
	}
	return true
}

// parseRadix is JavaScript's parseInt for digits of a base (underscores
// skipped); NaN when there are no digits.
func parseRadix(s string, base int) float64 {
	var f float64
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d int
		switch {
		case c == '_':
			continue
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'a' && c <= 'f':
			d = int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = int(c-'A') + 10
		}
		f = f*float64(base) + float64(d)
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	if base == 10 {
		if g, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64); err == nil {
			return g
		}
	}
	return f
}

// isTimestamp matches the YAML 1.1 timestamp pattern.
func isTimestamp(s string) bool {
	_, ok := parseTimestamp(s)
	return ok
}

// parseTimestamp reads a YAML 1.1 timestamp as JavaScript's Date would
// hold it.
func parseTimestamp(s string) (time.Time, bool) {
	num := func(s string, lo, hi int) (int, string, bool) {
		n := 0
		i := 0
		for i < len(s) && i < hi && s[i] >= '0' && s[i] <= '9' {
			n = n*10 + int(s[i]-'0')
			i++
		}
		return n, s[i:], i >= lo
	}
	year, rest, ok := num(s, 4, 4)
	if !ok || rest == "" || rest[0] != '-' {
		return time.Time{}, false
	}
	month, rest, ok := num(rest[1:], 1, 2)
	if !ok || rest == "" || rest[0] != '-' {
		return time.Time{}, false
	}
	day, rest, ok := num(rest[1:], 1, 2)
	if !ok {
		return time.Time{}, false
	}
	if rest == "" {
		return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), true
	}
	switch {
	case rest[0] == 't' || rest[0] == 'T':
		rest = rest[1:]
	case rest[0] == ' ' || rest[0] == '\t':
		rest = strings.TrimLeft(rest, " \t")
	default:
		return time.Time{}, false
	}
	hour, rest, ok := num(rest, 1, 2)
	if !ok || rest == "" || rest[0] != ':' {
		return time.Time{}, false
	}
	minute, rest, ok := num(rest[1:], 1, 2)
	if !ok || rest == "" || rest[0] != ':' {
		return time.Time{}, false
	}
	second, rest, ok := num(rest[1:], 1, 2)
	if !ok {
		return time.Time{}, false
	}
	ms := 0
	if rest != "" && rest[0] == '.' {
		frac := rest[1:]
		n := 0
		for n < len(frac) && frac[n] >= '0' && frac[n] <= '9' {
			n++
		}
		if n == 0 {
			return time.Time{}, false
		}
		digits := frac[:n] + "00"
		ms, _ = strconv.Atoi(digits[:3])
		rest = frac[n:]
	}
	rest = strings.TrimLeft(rest, " \t")
	offset := 0
	switch {
	case rest == "" || rest == "Z":
	case rest[0] == '+' || rest[0] == '-':
		h, r, ok := num(rest[1:], 1, 2)
		if !ok || len(rest[1:])-len(r) == 2 && rest[1] > '2' {
			return time.Time{}, false
		}
		m := 0
		hasMin := false
		if r != "" {
			if r[0] != ':' || len(r) != 3 {
				return time.Time{}, false
			}
			m, r, ok = num(r[1:], 2, 2)
			if !ok || r != "" {
				return time.Time{}, false
			}
			hasMin = true
		}
		d := h
		if hasMin {
			d = h*60 + m
		}
		if d < 30 {
			d *= 60
		}
		if rest[0] == '-' {
			d = -d
		}
		offset = d
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, ms*int(time.Millisecond), time.UTC)
	return t.Add(-time.Duration(offset) * time.Minute), true
}

// dateISO is the string a YAML 1.1 timestamp becomes once stored as JSON.
func dateISO(s string) string {
	t, ok := parseTimestamp(s)
	if !ok {
		return s
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// jsNumber formats a number as JavaScript's String(number) does.
func jsNumber(f float64) string {
	switch {
	case f != f:
		return "NaN"
	case f > maxFloat:
		return "Infinity"
	case f < -maxFloat:
		return "-Infinity"
	case f == 0:
		return "0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±x
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	k := len(digits)
	n := exp + 1
	switch {
	case k <= n && n <= 21:
		return sign + digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		return sign + digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		return sign + "0." + strings.Repeat("0", -n) + digits
	}
	es := "+"
	if n-1 < 0 {
		es = "-"
	}
	ev := n - 1
	if ev < 0 {
		ev = -ev
	}
	if k == 1 {
		return sign + digits + "e" + es + strconv.Itoa(ev)
	}
	return sign + digits[:1] + "." + digits[1:] + "e" + es + strconv.Itoa(ev)
}

// Mappings as JavaScript objects. The yaml package turns every key into a
// property name (numbers as JavaScript prints them, null as ""), and a
// later pair wins over an earlier one with the same name. Keys that are
// not plain strings are rare; docParser.special marks the mappings that
// have them so that the common case stays a simple scan.

// keyString is the property name of a mapping key.
func (p *docParser) keyString(k *yaml.Node) string {
	if k.Kind == yaml.AliasNode {
		t := resolveAlias(k)
		if t == nil || t.Kind != yaml.ScalarNode {
			return "*" + k.Value
		}
		k = t
	}
	switch k.Kind {
	case yaml.ScalarNode:
		kind, f := p.scalar(k)
		switch kind {
		case vString, vBinary:
			return k.Value
		case vNull:
			return ""
		case vBool:
			if f != 0 {
				return "true"
			}
			return "false"
		case vNumber:
			return jsNumber(f)
		case vDate:
			return dateISO(k.Value)
		}
	case yaml.MappingNode, yaml.SequenceNode:
		var b strings.Builder
		p.flowString(&b, k, 0)
		return b.String()
	}
	return ""
}

// flowString writes a collection key the way the yaml package stringifies
// it for a property name.
func (p *docParser) flowString(b *strings.Builder, n *yaml.Node, depth int) {
	if n.Kind == yaml.AliasNode {
		b.WriteString("*" + n.Value)
		return
	}
	if depth > 50 {
		return
	}
	switch n.Kind {
	case yaml.ScalarNode:
		b.WriteString(n.Value)
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[ ")
		for i, c := range n.Content {
			if i > 0 {
				b.WriteString(", ")
			}
			p.flowString(b, c, depth+1)
		}
		b.WriteString(" ]")
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{ ")
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteString(", ")
			}
			p.flowString(b, n.Content[i], depth+1)
			b.WriteString(": ")
			p.flowString(b, n.Content[i+1], depth+1)
		}
		b.WriteString(" }")
	}
}

// get returns the key and the value (aliases resolved) of the property
// name of mapping m, or nils.
func (p *docParser) get(m *yaml.Node, name string) (key, val *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	if !p.special[m] {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == name {
				return m.Content[i], resolveAlias(m.Content[i+1])
			}
		}
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if p.keyString(m.Content[i]) == name {
			key, val = m.Content[i], m.Content[i+1]
		}
	}
	return key, resolveAlias(val)
}

// each calls fn for every property of mapping m in document order, with
// the value's aliases resolved; a property set twice counts once, with its
// last value.
func (p *docParser) each(m *yaml.Node, fn func(name string, key, val *yaml.Node)) {
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	if !p.special[m] {
		for i := 0; i+1 < len(m.Content); i += 2 {
			fn(m.Content[i].Value, m.Content[i], resolveAlias(m.Content[i+1]))
		}
		return
	}
	names := make([]string, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		names = append(names, p.keyString(m.Content[i]))
	}
outer:
	for i, name := range names {
		for j := i + 1; j < len(names); j++ {
			if names[j] == name {
				continue outer
			}
		}
		fn(name, m.Content[2*i], resolveAlias(m.Content[2*i+1]))
	}
}

// specOf encodes a spec node as the value of its JSON form, which is what
// toValue would build; see Spec.
func (p *docParser) specOf(n *yaml.Node) Spec {
	b := p.appendSpecNode(p.sc.specBuf[:0], n, 0)
	p.sc.specBuf = b
	if len(b) < 3 || b[0] != specMap {
		return Spec{} // not a map, or an empty one
	}
	return Spec{p.sc.keep(b)}
}

// specPair is a mapping entry while appendSpecNode sorts a mapping's keys.
type specPair struct {
	name string
	val  *yaml.Node
}

func (p *docParser) appendSpecNode(b []byte, n *yaml.Node, depth int) []byte {
	n = resolveAlias(n)
	if n == nil || depth > 10000 {
		return append(b, specNil)
	}
	switch n.Kind {
	case yaml.MappingNode:
		// Entries go on a stack shared by every level: nested mappings
		// push theirs above and pop them before returning.
		start := len(p.sc.specPairs)
		p.each(n, func(name string, _, v *yaml.Node) {
			p.sc.specPairs = append(p.sc.specPairs, specPair{name, v})
		})
		end := len(p.sc.specPairs)
		level := p.sc.specPairs[start:end]
		slices.SortStableFunc(level, func(a, b specPair) int { return strings.Compare(a.name, b.name) })
		// A key given twice keeps its last value, as a map would.
		distinct := 0
		for i := range level {
			if i+1 == len(level) || level[i+1].name != level[i].name {
				distinct++
			}
		}
		b = binary.AppendUvarint(append(b, specMap), uint64(distinct))
		for i := start; i < end; i++ {
			pr := p.sc.specPairs[i]
			if i+1 < end && p.sc.specPairs[i+1].name == pr.name {
				continue
			}
			b = appendSpecString(b, pr.name)
			b = p.appendSpecNode(b, pr.val, depth+1)
		}
		p.sc.specPairs = p.sc.specPairs[:start]
		return b
	case yaml.SequenceNode:
		b = binary.AppendUvarint(append(b, specList), uint64(len(n.Content)))
		for _, c := range n.Content {
			b = p.appendSpecNode(b, c, depth+1)
		}
		return b
	case yaml.ScalarNode:
		k, f := p.scalar(n)
		switch k {
		case vString:
			return appendSpecString(append(b, specString), n.Value)
		case vBool:
			if f != 0 {
				return append(b, specTrue)
			}
			return append(b, specFalse)
		case vNumber:
			if f != f || f > maxFloat || f < -maxFloat {
				return append(b, specNil)
			}
			if f == float64(int64(f)) && f >= -(1<<53) && f <= 1<<53 {
				return binary.AppendVarint(append(b, specInt), int64(f))
			}
			return binary.LittleEndian.AppendUint64(append(b, specFloat), math.Float64bits(f))
		case vDate:
			return appendSpecString(append(b, specString), dateISO(n.Value))
		case vBinary:
			// A Buffer, as toValue builds it: {"data": [], "type": "Buffer"}.
			b = append(b, specMap, 2)
			b = append(appendSpecString(b, "data"), specList, 0)
			return appendSpecString(append(appendSpecString(b, "type"), specString), "Buffer")
		}
	}
	return append(b, specNil)
}

// Syntax the yaml package rejects but yaml.v3 accepts, and aliases.

// anchorUse counts the aliases of an anchored node, as the yaml package
// does to refuse documents that expand too much (maxAliasCount 100).
type anchorUse struct{ count, aliasCount int }

const maxAliasCount = 100

// dupKey identifies a scalar mapping key the way the yaml package compares
// keys for uniqueness: by type and value.
type dupKey struct {
	kind vkind
	s    string
	f    float64
}

// checkSyntax walks the document in the order the yaml package builds its
// value and reports duplicate keys, explicit tags that fail, and quoted
// scalars and flow collections whose continuation lines are not indented
// enough. It counts aliases and marks mappings with keys that are not
// plain strings. It reports whether no error was found.
func (p *docParser) checkSyntax(root *yaml.Node) bool {
	before := p.errors
	p.sc.path = p.sc.path[:0]
	p.walkSyntax(root, 0, &p.sc.path, 0)
	return p.errors == before
}

func (p *docParser) walkSyntax(n *yaml.Node, indent int, path *[]string, depth int) {
	if n == nil || depth > 10000 {
		return
	}
	if n.Anchor != "" && n.Kind != yaml.AliasNode {
		if p.anchors == nil {
			p.anchors = make(map[*yaml.Node]*anchorUse)
		}
		p.anchors[n] = &anchorUse{count: 1}
		if n.Kind != yaml.ScalarNode {
			p.open = append(p.open, n)
			defer func() { p.open = p.open[:len(p.open)-1] }()
		}
	}
	if indent > 0 && n.Kind != yaml.AliasNode {
		p.checkIndent(n, indent)
	}
	switch n.Kind {
	case yaml.AliasNode:
		for _, o := range p.open {
			if o == n.Alias {
				p.errAt(n, strings.Join(*path, "."), "alias *%s refers to a node that contains it: Backstage cannot store an entity that contains itself", n.Value)
				return
			}
		}
		p.useAlias(n)
	case yaml.ScalarNode:
		if n.Style&yaml.TaggedStyle != 0 && n.Tag == "!!timestamp" && !p.v11 && !isTimestamp(n.Value) {
			p.errAt(n, strings.Join(*path, "."), "YAML syntax error: !!timestamp expects a date, starting with yyyy-mm-dd")
		}
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 && n.Value != "" && strings.IndexByte("%@`,|>\t", n.Value[0]) >= 0 {
			p.errAt(n, strings.Join(*path, "."), "YAML syntax error: a plain value cannot start with %q; quote it", n.Value[:1])
		}
	case yaml.SequenceNode:
		child := 0
		if n.Style&yaml.FlowStyle == 0 {
			child = n.Column
		}
		for _, c := range n.Content {
			p.walkSyntax(c, child, path, depth+1)
		}
	case yaml.MappingNode:
		flow := n.Style&yaml.FlowStyle != 0
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p.walkSyntax(k, 0, path, depth+1)
			child := 0
			if !flow {
				child = k.Column
			}
			*path = append(*path, k.Value)
			p.walkSyntax(v, child, path, depth+1)
			*path = (*path)[:len(*path)-1]
		}
		p.checkKeys(n, *path)
	}
	p.orderedCollection(n, *path)
}

// orderedCollection applies the explicit !!set and !!omap tags: the yaml
// package builds a JavaScript Set or Map for them, which is stored as an
// empty JSON object. It makes such a node an empty mapping.
func (p *docParser) orderedCollection(n *yaml.Node, path []string) {
	if n.Tag != "!!set" && n.Tag != "!!omap" {
		return
	}
	switch {
	case n.Tag == "!!set" && n.Kind == yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			if v := resolveAlias(n.Content[i]); v.Kind != yaml.ScalarNode || p.rawKind(v) != vNull {
				p.errAt(v, strings.Join(path, "."), "YAML syntax error: the items of a !!set must all have null values")
				return
			}
		}
	case n.Tag == "!!omap" && n.Kind == yaml.SequenceNode:
		for _, c := range n.Content {
			if c = resolveAlias(c); c.Kind == yaml.MappingNode && len(c.Content) > 2 {
				p.errAt(c, strings.Join(path, "."), "YAML syntax error: each pair of a !!omap must have its own sequence indicator")
				return
			}
		}
	default:
		return
	}
	n.Kind, n.Content, n.Style = yaml.MappingNode, nil, yaml.FlowStyle
}

// checkKeys reports keys that the yaml package finds equal and marks
// mappings whose keys are not all plain strings.
func (p *docParser) checkKeys(m *yaml.Node, path []string) {
	pairs := len(m.Content) / 2
	special := false
	var small [8]dupKey
	var keys []dupKey
	if pairs <= len(small) {
		keys = small[:0]
	} else {
		if p.sc.dup == nil {
			p.sc.dup = make(map[dupKey]int)
		}
		clear(p.sc.dup)
	}
	for i := 0; i < pairs; i++ {
		k := m.Content[2*i]
		if k.Kind != yaml.ScalarNode {
			special = true
			continue
		}
		if p.v11 && isMergeKey(k) {
			continue // merged away by applyMerges; never equal to another key
		}
		kind, f := p.scalar(k)
		if kind != vString {
			special = true
		}
		if kind == vDate || kind == vBinary {
			continue // objects: never equal
		}
		dk := dupKey{kind: kind}
		switch kind {
		case vString:
			dk.s = k.Value
		case vNumber, vBool:
			dk.f = f
		}
		first := -1
		if keys != nil || pairs <= len(small) {
			for j, prev := range keys {
				if prev.kind == dk.kind && prev.s == dk.s && prev.f == dk.f && (dk.kind != vNumber || dk.f == dk.f) {
					first = j
					break
				}
			}
			keys = append(keys, dk)
		} else {
			if j, ok := p.sc.dup[dk]; ok {
				first = j
			} else {
				p.sc.dup[dk] = i
			}
		}
		if first >= 0 {
			prev := m.Content[2*first]
			if len(keys) > 0 {
				prev = p.keyNodeOf(m, keys, first)
			}
			field := strings.Join(append(path[:len(path):len(path)], k.Value), ".")
			p.errAt(k, field, "YAML syntax error: mapping key %q is defined twice (first at line %d); Backstage's YAML parser rejects duplicate keys", k.Value, prev.Line+p.lineOff)
		}
	}
	if special {
		if p.special == nil {
			p.special = make(map[*yaml.Node]bool)
		}
		p.special[m] = true
	}
}

// keyNodeOf maps an index in the compact key list back to the key node:
// the list skips keys that are not scalars.
func (p *docParser) keyNodeOf(m *yaml.Node, keys []dupKey, idx int) *yaml.Node {
	seen := 0
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		if kind, _ := p.scalar(k); kind == vDate || kind == vBinary {
			continue
		}
		if seen == idx {
			return k
		}
		seen++
	}
	return m.Content[0]
}

// useAlias counts an alias as the yaml package does when it builds the
// document's value; past the limit Backstage stops reading the file.
func (p *docParser) useAlias(a *yaml.Node) {
	t := a.Alias
	if t == nil || p.anchors == nil {
		return
	}
	u := p.anchors[t]
	if u == nil {
		return
	}
	u.count++
	if u.aliasCount == 0 {
		u.aliasCount = p.aliasCount(t, 0)
	}
	if u.count*u.aliasCount > maxAliasCount && !p.aliasesExceeded {
		p.aliasesExceeded = true
		p.aliasAt = a
	}
}

func (p *docParser) aliasCount(n *yaml.Node, depth int) int {
	if depth > 10000 {
		return 0
	}
	switch n.Kind {
	case yaml.AliasNode:
		if u := p.anchors[n.Alias]; u != nil {
			return u.count * u.aliasCount
		}
		return 0
	case yaml.MappingNode, yaml.SequenceNode:
		c := 0
		for _, item := range n.Content {
			c = max(c, p.aliasCount(item, depth+1))
		}
		return c
	}
	return 1
}

// checkIndent reports a multi-line quoted scalar or flow collection in a
// block collection whose continuation lines are indented less than
// required: the yaml package ends the scalar or collection there.
func (p *docParser) checkIndent(n *yaml.Node, indent int) {
	quoted := n.Kind == yaml.ScalarNode && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
	flow := (n.Kind == yaml.SequenceNode || n.Kind == yaml.MappingNode) && n.Style&yaml.FlowStyle != 0
	if !quoted && !flow {
		return
	}
	t := p.text
	off := p.offset(n.Line, n.Column)
	if off < 0 {
		return
	}
	// Skip the node's anchor and tag.
	for off < len(t) && (t[off] == '&' || t[off] == '!') {
		for off < len(t) && !isNotAnchorChar(t[off]) {
			off++
		}
		for off < len(t) && (t[off] == ' ' || t[off] == '\t') {
			off++
		}
	}
	if off >= len(t) {
		return
	}
	if quoted {
		if t[off] != '"' && t[off] != '\'' {
			return
		}
		end := closingQuote(t, off)
		if end < 0 {
			return
		}
		if _, j := underIndentedLine(t, off, end, indent); j >= 0 {
			pos := p.posOf(j)
			p.add(SeverityError, pos.line, pos.col, "", "YAML syntax error: missing closing %c: the quoted scalar continues on a line indented less than %d spaces", t[off], indent)
		}
		return
	}
	if t[off] != '[' && t[off] != '{' {
		return
	}
	depthLevel := 0
	for i := off; i < len(t); i++ {
		switch c := t[i]; c {
		case '[', '{':
			depthLevel++
		case ']', '}':
			depthLevel--
			if depthLevel == 0 {
				return
			}
		case '"', '\'':
			if i > off && (t[i-1] == ' ' || t[i-1] == '\t' || t[i-1] == '[' || t[i-1] == '{' || t[i-1] == ',' || t[i-1] == ':' || t[i-1] == '\n') {
				if end := closingQuote(t, i); end >= 0 {
					i = end
				}
			}
		case '#':
			if t[i-1] == ' ' || t[i-1] == '\t' || t[i-1] == '\n' {
				for i < len(t) && t[i] != '\n' {
					i++
				}
				i--
			}
		case '\n':
			sp := 0
			for i+1+sp < len(t) && t[i+1+sp] == ' ' {
				sp++
			}
			j := i + 1 + sp
			for j < len(t) && t[j] == '\t' {
				j++
			}
			if j >= len(t) || t[j] == '\n' || t[j] == '\r' || t[j] == '#' {
				continue
			}
			if sp < indent && !(sp == indent-1 && depthLevel == 1 && (t[j] == ']' || t[j] == '}')) {
				pos := p.posOf(j)
				what := "sequence"
				if t[off] == '{' {
					what = "mapping"
				}
				p.add(SeverityError, pos.line, pos.col, "", "YAML syntax error: flow %s in a block collection must be indented at least %d spaces on every line", what, indent)
				return
			}
		}
	}
}

// YAML 1.1 merge keys. With the YAML 1.1 schema the yaml package merges
// "<<: *base" (or a list of maps) into the mapping even though Backstage
// turns merging off; keys written in the mapping win, and among merged
// maps the first wins. A merge source that is not a mapping throws, which
// stops Backstage reading the file.

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" &&
		k.Style&(yaml.TaggedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0
}

// applyMerges rewrites the document's mappings with their merge keys
// applied, in document order, and reports whether every merge source was
// a mapping.
func (p *docParser) applyMerges(n *yaml.Node, depth int) bool {
	if n == nil || n.Kind == yaml.AliasNode || depth > 10000 {
		return true
	}
	for _, c := range n.Content {
		if !p.applyMerges(c, depth+1) {
			return false
		}
	}
	if n.Kind != yaml.MappingNode {
		return true
	}
	merges := false
	explicit := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMergeKey(n.Content[i]) {
			merges = true
		} else {
			explicit[p.keyString(n.Content[i])] = true
		}
	}
	if !merges {
		return true
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !isMergeKey(k) {
			out = append(out, k, v)
			continue
		}
		src := resolveAlias(v)
		sources := []*yaml.Node{src}
		if src != nil && src.Kind == yaml.SequenceNode {
			sources = sources[:0]
			for _, c := range src.Content {
				sources = append(sources, resolveAlias(c))
			}
		}
		for _, m := range sources {
			if m == nil || m.Kind != yaml.MappingNode {
				p.errAt(v, "", "merge key <<: merge sources must be mappings or aliases of mappings (this document is read as YAML 1.1, where << merges); Backstage stops reading the file here")
				return false
			}
			for j := 0; j+1 < len(m.Content); j += 2 {
				name := p.keyString(m.Content[j])
				if !explicit[name] {
					explicit[name] = true
					out = append(out, m.Content[j], m.Content[j+1])
				}
			}
		}
	}
	n.Content = out
	for i := 0; i < len(out); i += 2 {
		if out[i].Kind != yaml.ScalarNode || p.rawKind(out[i]) != vString {
			if p.special == nil {
				p.special = make(map[*yaml.Node]bool)
			}
			p.special[n] = true
			break
		}
	}
	return true
}
