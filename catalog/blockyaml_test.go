package catalog

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/callboard/callboard/catalog/catalogtest"
)

// treeDiff describes the first difference between a tree decodeBlock built
// and the one yaml.v3 built, or returns "".
func treeDiff(got, want *yaml.Node, path string) string {
	switch {
	case got == nil && want == nil:
		return ""
	case got == nil || want == nil:
		return fmt.Sprintf("%s: got %v, want %v", path, got, want)
	}
	tagged := !(want.Kind == yaml.ScalarNode && want.Style == 0)
	if got.Kind != want.Kind || got.Style != want.Style || got.Value != want.Value ||
		got.Line != want.Line || got.Column != want.Column || got.Anchor != want.Anchor ||
		(tagged && got.Tag != want.Tag) || len(got.Content) != len(want.Content) {
		return fmt.Sprintf("%s: got kind %d style %d tag %q value %q at %d:%d with %d children; want kind %d style %d tag %q value %q at %d:%d with %d children",
			path, got.Kind, got.Style, got.Tag, got.Value, got.Line, got.Column, len(got.Content),
			want.Kind, want.Style, want.Tag, want.Value, want.Line, want.Column, len(want.Content))
	}
	for i := range got.Content {
		if d := treeDiff(got.Content[i], want.Content[i], fmt.Sprintf("%s/%d", path, i)); d != "" {
			return d
		}
	}
	return ""
}

func TestBlockLineStarts(t *testing.T) {
	for _, text := range []string{"a: 1", "a: 1\n", "a: 1\n\nb: 2\n", "a: |\n  x\n\n", "# c\na: b\n  \n"} {
		sc := new(scratch)
		if _, ok := sc.decodeBlock([]byte(text)); !ok {
			t.Fatalf("%q: declined", text)
		}
		got := slices.Clone(sc.blockLineStarts([]byte(text)))
		p := docParser{text: []byte(text), sc: new(scratch)}
		p.buildLines()
		if !slices.Equal(got, p.lineStarts) {
			t.Errorf("%q: blockLineStarts = %v, buildLines = %v", text, got, p.lineStarts)
		}
	}
}

// blockMismatch decodes one document's text both ways. It reports whether
// decodeBlock accepted the text and, if it did, how its tree differs from
// yaml.v3's ("" when they are the same).
func blockMismatch(text []byte) (accepted bool, diff string) {
	sc := new(scratch)
	got, ok := sc.decodeBlock(text)
	if !ok {
		return false, ""
	}
	want, err := decodeOne(text)
	if err != nil {
		return true, fmt.Sprintf("accepted a document yaml.v3 rejects: %v", err)
	}
	return true, treeDiff(got, want, "")
}

// documentTexts splits a file into its documents' texts as parse does.
func documentTexts(data []byte) [][]byte {
	var out [][]byte
	for _, d := range splitDocuments(nil, data) {
		out = append(out, d.bytes(data))
	}
	return out
}

func TestBlockYAMLCases(t *testing.T) {
	accept := []string{
		"a: b\n",
		"a: b",
		"# head\n---\napiVersion: v1 # c\nkind: Component\n",
		"--- # c\na: 1\n",
		"a:\nb: 1\n",
		"a:\n  # c\nb: 2",
		"x:\n  a:   # c\n\n  b: 1\n",
		"k:\n- a\n-\n- \n",
		"k:\n  - a\n  -   b # c\n",
		"l:\n- a: 1\n  b:\n  c: 'x'\n-   d: \"y\"\n    e: z\n",
		"a: |\n  x\n\n  y\n\n",
		"a: |-\n  x\n    y\n  z\nb: 1\n",
		"a: |\n  x\n  # not a comment\n# a comment\nb: 1\n",
		"a: >\n  x\n  y\n\n  z\n",
		"a: >-\n  one\n  two\n\n\n  three\n",
		"a: |\n  x",
		"a: 'it''s'\nb: '' # empty\nc: \"\"\n",
		"a: https://example.com/x#y\nb: c:d\nc: foo#bar\n",
		"a: -1\nb: -x\nc: 0x1F\nd: ~\ne: null\nf: 2024-01-02\ng: yes\n",
		"spec:\n  profile:\n    displayName: Zoë Ångström\n  desc: naïve café 😀\n",
		"k: v\n  # deeper comment\n",
		"  a: 1\n  b:\n    c: 2\n",
		"a:\n  - x:\n      y: 1\n  - |\n    text\n",
		"a:\n  b\nc: d\n",
		"a:\n  'b'\n",
		"1: one\ntrue: yes\n",
		"a: [\n",
		"a: []\nb: {} # c\nc:\n  - []\n",
	}
	for _, text := range accept {
		accepted, diff := blockMismatch([]byte(text))
		if diff != "" {
			t.Errorf("%q: %s", text, diff)
		}
		if !accepted && text != "a: [\n" {
			t.Errorf("%q: declined; want it read by decodeBlock", text)
		}
	}
	decline := []string{
		"a: [1, 2]\n", "a: {b: c}\n", "a: [ ]\n", "a: []x\n", "a: &x b\nc: *x\n", "a: !!str 1\n",
		"a:\tb\n", "a: b\r\n", "a: \"x\\ny\"\n", "a: 'multi\n  line'\n",
		"a: plain\n  continued\n", "a: |+\n  keep\n", "a: |2\n   x\n", "a: >\n  x\n    more\n",
		"? complex\n: key\n", "- root sequence\n", "scalar root\n", "\"quoted\": key\n",
		"a: b: c\n", "a: b:\n", "a:\n - x\n b: y\n", "a: 1\n b: 2\n", "a: 'x' y\n", "a: |\n",
		"a: |\n\n   \n  x\n", "a: - b\n", "a: @x\n", "a: `x`\n", "%YAML 1.1\n---\na: 1\n",
		"a: b\n- c\n", "a: x\u0085y\n", "a: x\u2028y\n", "\ufeffa: 1\n", "a: \x01\n", "--- x\n",
		"a: \"x\" \"y\"\n", "a: b\nkey with no colon\n",
	}
	for _, text := range decline {
		if accepted, _ := blockMismatch([]byte(text)); accepted {
			t.Errorf("%q: accepted; want it left to yaml.v3", text)
		}
	}
}

// TestBlockYAMLCorpora decodes every document of the conformance corpora,
// the example organisation and a generated organisation both ways. The
// example and generated organisations are what descriptor files look like
// in practice: decodeBlock must read every one of their documents (template
// skeletons aside: they are templates, not YAML), or the ingest silently
// falls back to the slow path.
func TestBlockYAMLCorpora(t *testing.T) {
	gen := t.TempDir()
	if _, err := catalogtest.GenerateOrg(gen, 60); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		root      string
		mustTakes bool
	}{
		{filepath.Join("testdata", "conformance"), false},
		{filepath.Join("testdata", "conformance-extra"), false},
		{filepath.Join("..", "examples", "org"), true},
		{gen, true},
	} {
		docs, accepted := 0, 0
		err := filepath.WalkDir(c.root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				return err
			}
			if filepath.Base(path) == "mkdocs.yml" {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for i, text := range documentTexts(data) {
				docs++
				ok, diff := blockMismatch(text)
				if diff != "" {
					t.Errorf("%s, document %d: %s", path, i, diff)
				}
				if ok {
					accepted++
				} else if c.mustTakes && !strings.Contains(path, "skeleton") && looksLikeDescriptor(text) {
					t.Errorf("%s, document %d: declined", path, i)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if docs == 0 {
			t.Fatalf("no documents under %s", c.root)
		}
		t.Logf("%s: decodeBlock read %d of %d documents", c.root, accepted, docs)
	}
}

// FuzzBlockYAML checks decodeBlock's contract: whatever it accepts, yaml.v3
// reads without error into the same tree.
func FuzzBlockYAML(f *testing.F) {
	for _, s := range []string{
		"a: b\nc:\n  - d\n  - e: f\n    g: 'h'\n",
		"a: |\n  x\n\n  y\nb: >-\n  p\n  q\n",
		"k:\n- a\n-\n  b: 1\n",
		"m:\n  n: \"v\" # c\n  o: ~\n",
	} {
		f.Add([]byte(s))
	}
	seeds, _ := filepath.Glob(filepath.Join("testdata", "conformance", "cases", "*.yaml"))
	for _, path := range seeds {
		if data, err := os.ReadFile(path); err == nil && len(data) < 2000 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, diff := blockMismatch(data); diff != "" {
			t.Fatal(diff)
		}
	})
}

// sameParse parses a file with and without decodeBlock and describes the
// first difference in entities, problems or verdicts, or returns "".
func sameParse(data []byte) string {
	read := func(target string) ([]byte, error) { return []byte("text of " + target), nil }
	fast := parse("f.yaml", data, ParseOptions{Read: read})
	slow := parse("f.yaml", data, ParseOptions{Read: read, yamlOnly: true})
	if !reflect.DeepEqual(fast.Problems, slow.Problems) {
		return fmt.Sprintf("problems differ:\nblock:   %v\nyaml.v3: %v", fast.Problems, slow.Problems)
	}
	if !slices.Equal(fast.Invalid, slow.Invalid) || fast.Docs != slow.Docs || len(fast.Entities) != len(slow.Entities) {
		return fmt.Sprintf("verdicts differ: block %d docs, invalid %v, %d entities; yaml.v3 %d docs, invalid %v, %d entities",
			fast.Docs, fast.Invalid, len(fast.Entities), slow.Docs, slow.Invalid, len(slow.Entities))
	}
	for i := range fast.Entities {
		if !reflect.DeepEqual(fast.Entities[i], slow.Entities[i]) {
			return fmt.Sprintf("entity %d differs:\nblock:   %+v\nyaml.v3: %+v", i, fast.Entities[i], slow.Entities[i])
		}
	}
	return ""
}

// TestParseDecodersCorpora parses every file of the conformance corpora and
// the example organisation both ways.
func TestParseDecodersCorpora(t *testing.T) {
	var files []string
	for _, root := range []string{"testdata", filepath.Join("..", "examples", "org")} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				files = append(files, path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 100 {
		t.Fatalf("found %d files", len(files))
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if diff := sameParse(data); diff != "" {
			t.Errorf("%s: %s", path, diff)
		}
	}
}

// FuzzParseDecoders parses whole files with and without decodeBlock: the
// entities, problems and verdicts must be the same. Seeds are kept small so
// that the fuzzer's minimization stays quick.
func FuzzParseDecoders(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "conformance*", "cases", "*.yaml"))
	for _, path := range seeds {
		if data, err := os.ReadFile(path); err == nil && len(data) < 2000 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if diff := sameParse(data); diff != "" {
			t.Fatal(diff)
		}
	})
}
