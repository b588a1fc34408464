package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

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
func Parse(file string, data []byte) ParseResult {
	return parse(file, data, ParseOptions{})
}

func parse(file string, data []byte, opts ParseOptions) ParseResult {
	var res ParseResult
	docs := splitDocuments(data)
	res.Docs = len(docs)
	for i, d := range docs {
		p := docParser{file: file, doc: i, read: opts.Read}
		e := p.parse(d)
		if e != nil {
			e.Origin = Origin{File: file, Doc: i, Line: max(d.firstLine, p.line)}
			res.Entities = append(res.Entities, e)
		}
		if p.errors > 0 {
			res.Invalid = append(res.Invalid, i)
		}
		res.Problems = append(res.Problems, p.problems...)
	}
	return res
}

type document struct {
	text      []byte
	firstLine int // 1-based line of text's first line in the file
	empty     bool
}

// splitDocuments cuts a YAML stream at its "---" document markers so that a
// syntax error in one document does not hide the others, as the YAML library
// Backstage uses reports errors per document.
func splitDocuments(data []byte) []document {
	var docs []document
	start, startLine, line := 0, 1, 1
	sawMarker := false
	flush := func(end int, isFirst bool) {
		text := data[start:end]
		empty := !hasContent(text)
		// Comments before the first marker belong to the first document.
		if isFirst && empty && sawMarker {
			return
		}
		docs = append(docs, document{text: text, firstLine: startLine, empty: empty})
	}
	first := true
	for pos := 0; pos <= len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		lineEnd := len(data)
		if end >= 0 {
			lineEnd = pos + end
		}
		l := data[pos:lineEnd]
		if isDocMarker(l) {
			sawMarker = true
			if pos > start || !first {
				flush(pos, first)
				first = false
			} else if first {
				first = false
			}
			start, startLine = pos, line
		} else if isDocEnd(l) {
			flush(lineEnd, first)
			first = false
			start, startLine = lineEnd, line
			if end >= 0 {
				start, startLine = lineEnd+1, line+1
			}
		}
		if end < 0 {
			break
		}
		pos = lineEnd + 1
		line++
	}
	if start < len(data) || !first {
		text := data[start:]
		if hasContent(text) || isDocMarkerText(text) {
			docs = append(docs, document{text: text, firstLine: startLine, empty: !hasContent(text)})
		}
	}
	return docs
}

func isDocMarker(l []byte) bool {
	l = bytes.TrimRight(l, "\r")
	return bytes.HasPrefix(l, []byte("---")) && (len(l) == 3 || l[3] == ' ' || l[3] == '\t')
}

func isDocMarkerText(text []byte) bool {
	if i := bytes.IndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	}
	return isDocMarker(text)
}

func isDocEnd(l []byte) bool {
	l = bytes.TrimRight(l, "\r")
	return bytes.HasPrefix(l, []byte("...")) && (len(l) == 3 || l[3] == ' ' || l[3] == '\t')
}

// hasContent reports whether text holds anything but blank lines, comments,
// directives and document markers.
func hasContent(text []byte) bool {
	for len(text) > 0 {
		var l []byte
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			l, text = text[:i], text[i+1:]
		} else {
			l, text = text, nil
		}
		if isDocMarker(l) {
			l = l[3:]
		}
		t := bytes.TrimSpace(l)
		if len(t) == 0 || t[0] == '#' || t[0] == '%' {
			continue
		}
		return true
	}
	return false
}

// docParser validates one document and converts it to an Entity.
type docParser struct {
	file     string
	doc      int
	kind     string
	name     string
	line     int
	problems Problems
	errors   int
	lineOff  int
	refPos   map[string]position
	read     ReadFunc
}

// position is a 1-based line and column in a file.
type position struct{ line, col int }

func (p *docParser) add(sev Severity, line, col int, field, format string, args ...any) {
	if sev == SeverityError {
		p.errors++
	}
	p.problems = append(p.problems, Problem{
		File: p.file, Doc: p.doc, Line: line, Column: col, Severity: sev,
		Kind: p.kind, Name: p.name, Field: field, Message: fmt.Sprintf(format, args...),
	})
}

func (p *docParser) errAt(n *yaml.Node, field, format string, args ...any) {
	line, col := p.lineOff+1, 1
	if n != nil {
		line, col = n.Line+p.lineOff, n.Column
	}
	p.add(SeverityError, line, col, field, format, args...)
}

var yamlLineRE = regexp.MustCompile(`line (\d+)(?:, column (\d+))?`)

func (p *docParser) parse(d document) *Entity {
	p.lineOff = d.firstLine - 1
	p.line = d.firstLine
	if d.empty {
		return nil
	}
	var root yaml.Node
	if err := decodeOne(d.text, &root); err != nil {
		line, col := d.firstLine, 1
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			l, _ := strconv.Atoi(m[1])
			line = l + p.lineOff
			if m[2] != "" {
				col, _ = strconv.Atoi(m[2])
			}
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = yamlLineRE.ReplaceAllString(msg, "")
		msg = strings.TrimLeft(msg, ": ")
		p.add(SeverityError, line, col, "", "YAML syntax error: %s", msg)
		return nil
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	n := resolveAlias(root.Content[0])
	p.line = n.Line + p.lineOff
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errAt(n, "", "expected an entity (a mapping with apiVersion, kind, metadata and spec) at the document root, found %s", describeNode(n))
		return nil
	}
	if p.read != nil {
		p.substitute(n, p.read, 0)
	}
	return p.entity(n)
}

// decodeOne decodes exactly one YAML document, turning the yaml package's
// panics on pathological input into errors.
func decodeOne(text []byte, out *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(text))
	if err := dec.Decode(out); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	return nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean " + n.Value
		case "!!int", "!!float":
			return "a number " + n.Value
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

// isString reports whether a node is a YAML string (timestamps read as
// strings, as in the YAML 1.2 core schema Backstage's parser uses).
func isString(n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode {
		return false
	}
	switch n.ShortTag() {
	case "!!str", "!!timestamp", "!!binary":
		return true
	}
	return false
}

// mapping pairs of a mapping node, aliases resolved.
type pair struct {
	key   *yaml.Node
	value *yaml.Node
}

func pairs(n *yaml.Node) []pair {
	out := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, pair{resolveAlias(n.Content[i]), resolveAlias(n.Content[i+1])})
	}
	return out
}

func lookup(n *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolveAlias(n.Content[i])
		if k.Kind == yaml.ScalarNode && k.Value == key {
			return k, resolveAlias(n.Content[i+1])
		}
	}
	return nil, nil
}

// toValue converts a node to plain Go values: map[string]any, []any, string,
// int64, float64, bool or nil.
func toValue(n *yaml.Node, depth int) any {
	n = resolveAlias(n)
	if n == nil || depth > 200 {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := resolveAlias(n.Content[i])
			m[scalarKey(k)] = toValue(n.Content[i+1], depth+1)
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, c := range n.Content {
			l[i] = toValue(c, depth+1)
		}
		return l
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	return nil
}

func scalarKey(k *yaml.Node) string {
	if k.Kind == yaml.ScalarNode {
		return k.Value
	}
	return fmt.Sprint(toValue(k, 190))
}

func scalarValue(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return b
		}
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return i
		}
		var f float64
		if err := n.Decode(&f); err == nil {
			return f
		}
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil {
			return f
		}
	}
	return n.Value
}
