package catalog

import (
	"encoding/json"
	"strings"

	"gopkg.in/yaml.v3"
)

// ReadFunc reads a file that a descriptor names by a relative path, for the
// $text, $json and $yaml placeholders. It must refuse paths outside the
// descriptor's repository or root folder.
type ReadFunc func(target string) ([]byte, error)

// ParseOptions adjust Parse.
type ParseOptions struct {
	// Read resolves placeholders; nil leaves them as they are (the kind's
	// schema then rejects a placeholder where it expects a string).
	Read ReadFunc

	// yamlOnly decodes every document with yaml.v3, never decodeBlock:
	// tests compare the two paths.
	yamlOnly bool
}

// ParseWith is Parse with options.
func ParseWith(file string, data []byte, opts ParseOptions) ParseResult {
	return parse(file, data, opts)
}

// substitute replaces placeholders below n in place, as Backstage's
// PlaceholderProcessor does before validation: a mapping with exactly one
// key, $text, $json or $yaml, becomes the file it names. A mapping with a
// "$" key and other keys, or with another "$" key, is left alone and not
// searched further.
func (p *docParser) substitute(n *yaml.Node, read ReadFunc, depth int) {
	n = resolveAlias(n)
	if n == nil || depth > 10000 {
		return
	}
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			p.substitute(c, read, depth+1)
		}
	case yaml.MappingNode:
		dollar := false
		var names []string
		p.each(n, func(name string, _, _ *yaml.Node) {
			names = append(names, name)
			dollar = dollar || strings.HasPrefix(name, "$")
		})
		if !dollar {
			for i := 1; i < len(n.Content); i += 2 {
				p.substitute(n.Content[i], read, depth+1)
			}
			return
		}
		if len(names) != 1 {
			return
		}
		// The operator is passed as a constant: it becomes problems'
		// Field, which the snapshot keeps, and the decoded key lives in a
		// slab meant to die with the document.
		for _, op := range [...]string{"$text", "$json", "$yaml"} {
			if names[0] == op {
				_, v := p.get(n, op)
				p.placeholder(n, op, v, read)
			}
		}
	}
}

func (p *docParser) placeholder(n *yaml.Node, op string, v *yaml.Node, read ReadFunc) {
	if !p.isString(v) || p.str(v) == "" {
		p.errAt(v, op, "placeholder %s needs a file path or URL, found %s", op, p.describe(v))
		return
	}
	target := p.str(v)
	data, err := read(target)
	if err != nil {
		p.errAt(v, op, "placeholder %s %q could not be read: %v", op, target, err)
		return
	}
	line, col := n.Line, n.Column
	var repl *yaml.Node
	switch op {
	case "$text":
		repl = &yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Tag: "!!str", Value: string(data)}
	case "$json":
		if !json.Valid(data) {
			p.errAt(v, op, "placeholder $json %q is not valid JSON", target)
			return
		}
		repl, err = decodeOne(data)
		if err != nil || repl == nil {
			p.errAt(v, op, "placeholder $json %q could not be read as data", target)
			return
		}
	case "$yaml":
		docs := splitDocuments(nil, data)
		if len(docs) != 1 {
			p.errAt(v, op, "placeholder $yaml %q must hold exactly one YAML document, found %d", target, len(docs))
			return
		}
		repl, err = decodeOne(docs[0].bytes(data))
		if err != nil {
			p.errAt(v, op, "placeholder $yaml %q is not valid YAML: %s", target, strings.TrimPrefix(err.Error(), "yaml: "))
			return
		}
		if repl == nil {
			repl = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""}
		}
	}
	setPosition(repl, line, col, 0)
	p.markSpecial(repl, 0)
	*n = *repl
}

// setPosition moves a substituted subtree to the placeholder's position, so
// problems inside it point at the line that brought it in.
func setPosition(n *yaml.Node, line, col, depth int) {
	if depth > 10000 {
		return
	}
	n.Line, n.Column = line, col
	for _, c := range n.Content {
		setPosition(c, line, col, depth+1)
	}
}

// markSpecial marks the substituted mappings whose keys are not plain
// strings (see docParser.special).
func (p *docParser) markSpecial(n *yaml.Node, depth int) {
	if depth > 10000 || n.Kind == yaml.AliasNode {
		return
	}
	for _, c := range n.Content {
		p.markSpecial(c, depth+1)
	}
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode || p.rawKind(k) != vString {
			if p.special == nil {
				p.special = make(map[*yaml.Node]bool)
			}
			p.special[n] = true
			return
		}
	}
}
