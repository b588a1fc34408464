package catalog

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// ReadFunc reads a file that a descriptor names by a relative path, for the
// $text, $json and $yaml placeholders. It must refuse paths outside the
// descriptor's repository or root folder.
type ReadFunc func(target string) ([]byte, error)

// ParseOptions adjust Parse.
type ParseOptions struct {
	// Read resolves placeholders; nil leaves them as they are (and the
	// kind's schema then usually rejects the mapping).
	Read ReadFunc
}

// ParseWith is Parse with options.
func ParseWith(file string, data []byte, opts ParseOptions) ParseResult {
	return parse(file, data, opts)
}

// substitute replaces placeholder mappings ({$text: ./openapi.yaml}) below n
// in place, as Backstage's PlaceholderProcessor does before validation.
func (p *docParser) substitute(n *yaml.Node, read ReadFunc, depth int) {
	if n == nil || depth > 100 {
		return
	}
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			p.substitute(c, read, depth+1)
		}
	case yaml.MappingNode:
		if len(n.Content) == 2 {
			k, v := n.Content[0], resolveAlias(n.Content[1])
			if k.Kind == yaml.ScalarNode && (k.Value == "$text" || k.Value == "$json" || k.Value == "$yaml") {
				p.placeholder(n, k.Value, v, read)
				return
			}
		}
		for i := 1; i < len(n.Content); i += 2 {
			p.substitute(n.Content[i], read, depth+1)
		}
	}
}

func (p *docParser) placeholder(n *yaml.Node, op string, v *yaml.Node, read ReadFunc) {
	if !isString(v) || v.Value == "" {
		p.errAt(v, op, "placeholder %s needs a file path or URL string, found %s", op, describeNode(v))
		return
	}
	data, err := read(v.Value)
	if err != nil {
		p.errAt(v, op, "placeholder %s %q could not be read: %v", op, v.Value, err)
		return
	}
	line, col := n.Line, n.Column
	switch op {
	case "$text":
		*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(data), Line: line, Column: col}
	case "$json", "$yaml":
		var doc yaml.Node
		if err := decodeOne(data, &doc); err != nil || len(doc.Content) == 0 {
			if err == nil {
				err = fmt.Errorf("empty document")
			}
			p.errAt(v, op, "placeholder %s %q is not valid %s: %s", op, v.Value, strings.TrimPrefix(op, "$"), strings.TrimPrefix(err.Error(), "yaml: "))
			return
		}
		repl := *doc.Content[0]
		setPosition(&repl, line, col)
		*n = repl
	}
}

// setPosition moves a substituted subtree to the placeholder's position, so
// problems inside it point at the line that brought it in.
func setPosition(n *yaml.Node, line, col int) {
	n.Line, n.Column = line-0, col
	for _, c := range n.Content {
		setPosition(c, line, col)
	}
}
