package catalog

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// A component that every rule below starts from; each case replaces one
// part of it.
const baseComponent = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: svc
spec:
  type: service
  lifecycle: production
  owner: team-a
`

// doc edits baseComponent: every pair of arguments replaces the first
// occurrence of old with new.
func doc(pairs ...string) string {
	s := baseComponent
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			panic(fmt.Sprintf("doc: %q not in the base document", pairs[i]))
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

// meta adds lines to the component's metadata.
func meta(lines string) string { return doc("  name: svc\n", "  name: svc\n"+lines) }

// spec adds lines to the component's spec.
func spec(lines string) string { return baseComponent + lines }

// ruleCase is one document and Backstage's verdict on it. For an invalid
// document, field is the problem's field and at a unique piece of the
// text where the problem must point (its first character).
type ruleCase struct {
	name  string
	yaml  string
	valid bool
	field string
	at    string
}

// TestParse_Rules has a passing and a failing document for every
// validation rule, in the order of Backstage's pipeline.
func TestParse_Rules(t *testing.T) {
	tests := []ruleCase{
		// YAML: YAML 1.2 core schema scalars.
		{name: "yes is a string", yaml: meta("  annotations:\n    a: yes\n"), valid: true},
		{name: "True is a boolean", yaml: meta("  annotations:\n    a: True\n"), field: "metadata.annotations.a", at: "True"},
		{name: "1_000 is a string", yaml: meta("  labels:\n    a: 1_000\n"), valid: true},
		{name: "0x1F is a number", yaml: meta("  labels:\n    a: 0x1F\n"), field: "metadata.labels.a", at: "0x1F"},
		{name: "1:30 and 0b101 are strings", yaml: meta("  annotations:\n    a: '1:30'\n    b: 1:30\n    c: 0b101\n"), valid: true},
		{name: ".5 is a number", yaml: meta("  annotations:\n    a: .5\n"), field: "metadata.annotations.a", at: ".5"},
		{name: "!!str makes a number a string", yaml: doc("name: svc", "name: !!str 123"), valid: true},
		{name: "! makes a number a string", yaml: meta("  annotations:\n    a: ! 12\n"), valid: true},
		{name: "an unknown tag keeps the string", yaml: meta("  description: !custom text\n"), valid: true},
		{name: "!!int on a non-number keeps the string", yaml: meta("  annotations:\n    a: !!int abc\n"), valid: true},
		{name: "duplicate key", yaml: doc("kind: Component\n", "kind: Component\nkind: Component\n"), field: "kind", at: "kind: Component\nmetadata"},
		{name: "duplicate key nested", yaml: spec("  type: library\n"), field: "spec.type", at: "type: library"},
		{name: "keys 1 and 1.0 are the same number", yaml: spec("  x:\n    1: a\n    1.0: b\n"), field: "spec.x.1.0", at: "1.0"},
		{name: "keys 1 and \"1\" differ", yaml: spec("  x:\n    1: a\n    \"1\": b\n"), valid: true},
		{name: "root is a list", yaml: "- a: b\n", field: "", at: "- a"},
		{name: "root is an empty mapping", yaml: "{}\n", field: "apiVersion", at: "{}"},
		{name: "<< is an ordinary key at the root", yaml: baseComponent + "<<: {a: b}\n", field: "<<", at: "<<"},
		{name: "<< is an ordinary key in spec", yaml: spec("  <<: {a: b}\n"), valid: true},
		{name: "tab indentation", yaml: doc("  name: svc", "\tname: svc"), field: "", at: "\tname"},
		{name: "multi-line quoted value indented enough", yaml: meta("  description: \"one\n   two\"\n"), valid: true},
		{name: "multi-line quoted value not indented enough", yaml: meta("  description: \"one\n  two\"\n"), field: "", at: "two\""},
		{name: "flow sequence indented enough", yaml: meta("  tags: [a,\n   b]\n"), valid: true},
		{name: "flow sequence not indented enough", yaml: meta("  tags: [a,\n  b]\n"), field: "", at: "b]"},
		{name: "plain value starting with %", yaml: meta("  description: %x\n"), field: "", at: "%x"},
		{name: "plain value starting with % in a flow", yaml: meta("  description: [%x]\n"), field: "", at: "%x"},
		{name: "content after the root node", yaml: " " + strings.Replace(baseComponent, "\n", "\n ", 1), field: "", at: "kind"},
		{name: "alias to an earlier anchor", yaml: spec("  system: &s sys\n  x: *s\n"), valid: true},
		{name: "alias to its own container", yaml: spec("  x: &a\n    y: *a\n"), field: "spec.x.y", at: "*a"},
		{name: "100 aliases of an anchor", yaml: spec("  x: &a 1\n  y: [" + strings.Repeat("*a, ", 98) + "*a]\n"), valid: true},
		{name: "101 aliases of an anchor", yaml: spec("  x: &a 1\n  y: [" + strings.Repeat("*a, ", 99) + "*a]\n"), field: "", at: "*a]"},

		// Output collector: the envelope and annotations.
		{name: "apiVersion missing", yaml: doc("apiVersion: backstage.io/v1alpha1\n", ""), field: "apiVersion", at: "kind"},
		{name: "apiVersion a number", yaml: doc("backstage.io/v1alpha1", "1"), field: "apiVersion", at: "1\n"},
		{name: "kind empty", yaml: doc("kind: Component", "kind: ''"), field: "kind", at: "''"},
		{name: "metadata a list", yaml: doc("metadata:\n  name: svc", "metadata: [svc]"), field: "metadata", at: "[svc]"},
		{name: "metadata.name missing", yaml: doc("  name: svc\n", "  title: Svc\n"), field: "metadata.name", at: "metadata"},
		{name: "metadata.name a number", yaml: doc("name: svc", "name: 1e3"), field: "metadata.name", at: "1e3"},
		{name: "metadata.namespace empty", yaml: meta("  namespace: ''\n"), field: "metadata.namespace", at: "''"},
		{name: "annotations null, false, 0 or empty", yaml: meta("  annotations: ~\n"), valid: true},
		{name: "annotations empty string", yaml: meta("  annotations: ''\n"), valid: true},
		{name: "annotations a list", yaml: meta("  annotations: []\n"), field: "metadata.annotations", at: "[]"},
		{name: "annotations true", yaml: meta("  annotations: true\n"), field: "metadata.annotations", at: "true"},
		{name: "labels null", yaml: meta("  labels: ~\n"), field: "metadata.labels", at: "~"},

		// SchemaValidEntityPolicy: EntityMeta.
		{name: "title one space", yaml: meta("  title: ' '\n"), valid: true},
		{name: "title empty", yaml: meta("  title: ''\n"), field: "metadata.title", at: "''"},
		{name: "description empty", yaml: meta("  description: ''\n"), valid: true},
		{name: "description a number", yaml: meta("  description: 5\n"), field: "metadata.description", at: "5"},
		{name: "uid null", yaml: meta("  uid: ~\n"), field: "metadata.uid", at: "~"},
		{name: "etag set", yaml: meta("  etag: abc\n"), valid: true},
		{name: "annotation value a number", yaml: meta("  annotations:\n    a: 17\n"), field: "metadata.annotations.a", at: "17"},
		{name: "tag empty", yaml: meta("  tags: ['']\n"), field: "metadata.tags[0]", at: "''"},
		{name: "tags a string", yaml: meta("  tags: java\n"), field: "metadata.tags", at: "java"},
		{name: "link with extra keys", yaml: meta("  links:\n    - url: https://e.com\n      extra: 1\n"), valid: true},
		{name: "link without url", yaml: meta("  links:\n    - title: Docs\n"), field: "metadata.links[0].url", at: "title"},
		{name: "link title a number", yaml: meta("  links:\n    - url: https://e.com\n      title: 5\n"), field: "metadata.links[0].title", at: "5"},
		{name: "extra metadata keys", yaml: meta("  owner: x\n  nested: {a: [1]}\n"), valid: true},

		// NoForeignRootFieldsEntityPolicy.
		{name: "status at the root", yaml: baseComponent + "status: {}\n", field: "status", at: "status"},
		{name: "Spec at the root", yaml: doc("spec:", "Spec:"), field: "Spec", at: "Spec"},
		{name: "spec null", yaml: doc("spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n", "spec: ~\n"), field: "spec", at: "~"},

		// FieldFormatEntityPolicy.
		{name: "apiVersion with two slashes", yaml: doc("backstage.io/v1alpha1", "a/b/c"), field: "apiVersion", at: "a/b/c"},
		{name: "kind starting with a digit", yaml: doc("kind: Component", "kind: 1Component"), field: "kind", at: "1Component"},
		{name: "name of 63 characters", yaml: doc("name: svc", "name: "+strings.Repeat("a", 63)), valid: true},
		{name: "name of 64 characters", yaml: doc("name: svc", "name: "+strings.Repeat("a", 64)), field: "metadata.name", at: strings.Repeat("a", 64)},
		{name: "name from a literal block keeps its newline", yaml: doc("name: svc", "name: |\n    svc"), field: "metadata.name", at: "|"},
		{name: "namespace a--b", yaml: meta("  namespace: a--b\n"), valid: true},
		{name: "namespace uppercase", yaml: meta("  namespace: Team\n"), field: "metadata.namespace", at: "Team"},
		{name: "label key with prefix", yaml: meta("  labels:\n    example.com/Tier: gold\n"), valid: true},
		{name: "label key with empty prefix", yaml: meta("  labels:\n    /tier: gold\n"), field: "metadata.labels./tier", at: "/tier"},
		{name: "label value empty", yaml: meta("  labels:\n    tier: ''\n"), valid: true},
		{name: "label value with a slash", yaml: meta("  labels:\n    tier: a/b\n"), field: "metadata.labels.tier", at: "a/b"},
		{name: "annotation key with a space", yaml: meta("  annotations:\n    'a b': x\n"), field: "metadata.annotations.a b", at: "'a b'"},
		{name: "tag colon", yaml: meta("  tags: [':', 'a:b', c++]\n"), valid: true},
		{name: "tag a--b", yaml: meta("  tags: [a--b]\n"), field: "metadata.tags[0]", at: "a--b"},
		{name: "tag uppercase", yaml: meta("  tags: [Java]\n"), field: "metadata.tags[0]", at: "Java"},
		{name: "link url forms new URL() accepts", yaml: meta("  links:\n    - url: https://example.com/a b\n    - url: javascript:void(0)\n    - url: foo:bar\n    - url: https://例え.jp\n"), valid: true},
		{name: "link url without scheme", yaml: meta("  links:\n    - url: //example.com\n"), field: "metadata.links[0].url", at: "//example.com"},
		{name: "link url with a bad port", yaml: meta("  links:\n    - url: https://example.com:99999\n"), field: "metadata.links[0].url", at: "https"},
		{name: "link title white space", yaml: meta("  links:\n    - url: https://e.com\n      title: '  '\n"), field: "metadata.links[0].title", at: "'  '"},
		{name: "link icon white space", yaml: meta("  links:\n    - url: https://e.com\n      icon: ' '\n"), field: "metadata.links[0].icon", at: "' '"},
		{name: "link type white space", yaml: meta("  links:\n    - url: https://e.com\n      type: ' '\n"), valid: true},

		// Kind validation: a processor must recognise kind and apiVersion.
		{name: "v1beta1", yaml: doc("v1alpha1", "v1beta1"), valid: true},
		{name: "kind in lowercase", yaml: doc("kind: Component", "kind: component"), field: "kind", at: "component"},
		{name: "unknown kind", yaml: doc("kind: Component", "kind: Service"), field: "kind", at: "Service"},
		{name: "apiVersion v1beta2", yaml: doc("v1alpha1", "v1beta2"), field: "apiVersion", at: "backstage.io"},
		{name: "Component with the scaffolder apiVersion", yaml: doc("backstage.io/v1alpha1", "scaffolder.backstage.io/v1beta3"), field: "apiVersion", at: "scaffolder"},

		// Kind schemas.
		{name: "component owner missing", yaml: doc("  owner: team-a\n", ""), field: "spec.owner", at: "spec:"},
		{name: "component lifecycle a number", yaml: doc("production", "17"), field: "spec.lifecycle", at: "17"},
		{name: "component providesApis a string", yaml: spec("  providesApis: x\n"), field: "spec.providesApis", at: "x\n"},
		{name: "component dependencyOf is not in the schema", yaml: spec("  dependencyOf: component:x\n"), valid: true},
		{name: "api with definition", yaml: api("  definition: 'openapi: 3.0.0'\n"), valid: true},
		{name: "mcp-server api without definition", yaml: strings.Replace(api("  remotes: [{type: sse, url: https://e.com}]\n"), "openapi", "mcp-server", 1), field: "spec.definition", at: "spec:"},
		{name: "group children empty", yaml: group("  children: []\n"), valid: true},
		{name: "group without children", yaml: group(""), field: "spec.children", at: "spec:"},
		{name: "group profile email is not checked", yaml: group("  children: []\n  profile: {email: not-an-email}\n"), valid: true},
		{name: "group profile picture empty", yaml: group("  children: []\n  profile: {picture: ''}\n"), field: "spec.profile.picture", at: "''"},
		{name: "user memberOf empty", yaml: user("  memberOf: []\n"), valid: true},
		{name: "user without memberOf", yaml: user("  profile: {}\n"), field: "spec.memberOf", at: "spec:"},
		{name: "location spec empty", yaml: location("{}"), valid: true},
		{name: "location presence other", yaml: location("{presence: maybe}"), field: "spec.presence", at: "maybe"},
		{name: "resource without type", yaml: strings.Replace(doc("kind: Component", "kind: Resource"), "  type: service\n", "", 1), field: "spec.type", at: "spec:"},
		{name: "system domain a number", yaml: system("  domain: 5\n"), field: "spec.domain", at: "5"},
		{name: "system domain", yaml: system("  domain: payments\n"), valid: true},

		// Template.
		{name: "template action empty", yaml: template("steps: [{action: ''}]"), valid: true},
		{name: "template step without action", yaml: template("steps: [{id: fetch}]"), field: "spec.steps[0].action", at: "{id"},
		{name: "template parameters a list", yaml: template("steps: []\n  parameters: [{when: true}]"), valid: true},
		{name: "template parameters a string", yaml: template("steps: []\n  parameters: name"), field: "spec.parameters", at: "name\n"},
		{name: "template step if a number", yaml: template("steps: [{action: a, if: 1}]"), field: "spec.steps[0].if", at: "1}"},
		{name: "template output extra string", yaml: template("steps: []\n  output: {url: x}"), valid: true},
		{name: "template output extra number", yaml: template("steps: []\n  output: {count: 1}"), field: "spec.output.count", at: "1}"},
		{name: "template v1beta2", yaml: strings.Replace(template("steps: []"), "v1beta3", "v1beta2", 1), field: "apiVersion", at: "scaffolder"},
		{name: "template dependsOn is not parsed", yaml: template("steps: []\n  dependsOn: [db]"), valid: true},

		// The Location step.
		{name: "location target a file", yaml: location("{target: ./a/catalog-info.yaml}"), valid: true},
		{name: "location target ending in a slash", yaml: location("{target: ./a/}"), field: "spec.target", at: "./a/"},
		{name: "url location target ending in a slash", yaml: location("{type: url, target: 'https://e.com/a/'}"), valid: true},

		// Entity refs.
		{name: "owner Team A", yaml: doc("owner: team-a", "owner: Team A"), valid: true},
		{name: "owner a/b/c and a:b:c", yaml: doc("owner: team-a", "owner: a/b/c\n  system: a:b:c"), valid: true},
		{name: "owner group:", yaml: doc("owner: team-a", "owner: 'group:'"), field: "spec.owner", at: "'group:'"},
		{name: "owner /x", yaml: doc("owner: team-a", "owner: /x"), field: "spec.owner", at: "/x"},
		{name: "dependsOn with kind", yaml: spec("  dependsOn: [resource:db]\n"), valid: true},
		{name: "dependsOn without kind", yaml: spec("  dependsOn: [resource:db, cache]\n"), field: "spec.dependsOn[1]", at: "cache"},
		{name: "dependencyOf a compound ref", yaml: spec("  dependencyOf: [{kind: Component, name: x}]\n"), valid: true},
		{name: "dependencyOf a compound ref without kind", yaml: spec("  dependencyOf: [{name: x}]\n"), field: "spec.dependencyOf[0]", at: "{name"},
		{name: "dependencyOf null", yaml: spec("  dependencyOf: ~\n"), valid: true},
		{name: "dependencyOf a number", yaml: spec("  dependencyOf: 123\n"), field: "spec.dependencyOf", at: "123"},
		{name: "dependencyOf an empty item", yaml: spec("  dependencyOf: ['']\n"), field: "spec.dependencyOf[0]", at: "''"},

		// Keys that differ only in case.
		{name: "spec keys in different case", yaml: spec("  Type: x\n"), field: "spec.Type", at: "Type"},
		{name: "metadata ETag", yaml: meta("  ETag: x\n"), valid: true},
		{name: "metadata Name", yaml: meta("  Name: x\n"), field: "metadata.Name", at: "Name"},
		{name: "tag item and a key", yaml: meta("  tags: [java]\n  tags.Java: x\n"), field: "metadata.tags.Java", at: "tags.Java"},
		{name: "tag items in different case count once", yaml: spec("  list: [Java, java]\n"), valid: true},
		{name: "link titles in different case", yaml: meta("  links:\n    - url: https://e.com\n      title: A\n    - url: https://e.com\n      Title: B\n"), field: "metadata.links.Title", at: "Title"},
		{name: "annotation against the catalog's own", yaml: meta("  annotations:\n    backstage.io/Managed-By-Location: x\n"), field: "metadata.annotations.backstage.io/Managed-By-Location", at: "backstage.io/Managed"},
		{name: "dotted key against a path", yaml: spec("  a:\n    b: 1\n  a.B: 2\n"), field: "spec.a.B", at: "a.B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkRule(t, tt) })
	}
}

func api(lines string) string {
	return strings.Replace(doc("kind: Component", "kind: API", "type: service", "type: openapi"), "  owner: team-a\n", "  owner: team-a\n"+lines, 1)
}

func group(lines string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n" + lines
}

func user(lines string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: jdoe\nspec:\n" + lines
}

func system(lines string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: sys\nspec:\n  owner: team-a\n" + lines
}

func location(spec string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: loc\nspec: " + spec + "\n"
}

func template(spec string) string {
	return "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: tpl\nspec:\n  type: service\n  " + spec + "\n"
}

// checkRule parses one document and checks the verdict and, for an
// invalid document, that a problem names the field at the position.
func checkRule(t *testing.T, tt ruleCase) {
	t.Helper()
	res := Parse("catalog-info.yaml", []byte(tt.yaml))
	invalid := slices.Contains(res.Invalid, 0)
	if invalid == tt.valid {
		t.Fatalf("Parse() verdict = %s, want %s\n%s\nproblems:%s", verdictWord(!invalid), verdictWord(tt.valid), tt.yaml, listProblems(res.Problems))
	}
	if tt.valid {
		if len(res.Entities) != 1 {
			t.Errorf("Parse() returned %d entities, want 1", len(res.Entities))
		}
		return
	}
	if len(res.Entities) != 0 {
		t.Errorf("Parse() returned an entity for an invalid document")
	}
	line, col := positionOf(tt.yaml, tt.at)
	for _, p := range res.Problems {
		if p.Field == tt.field && p.Line == line && p.Column == col && p.IsError() {
			return
		}
	}
	t.Errorf("Parse() problems:%s\nwant an error for field %q at %d:%d", listProblems(res.Problems), tt.field, line, col)
}

func verdictWord(valid bool) string {
	if valid {
		return "valid"
	}
	return "invalid"
}

func listProblems(ps Problems) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "\n  %s [field %q]", p, p.Field)
	}
	return b.String()
}

// positionOf returns the 1-based line and column (in characters) where
// needle first occurs in text.
func positionOf(text, needle string) (line, col int) {
	i := strings.Index(text, needle)
	if i < 0 {
		panic(fmt.Sprintf("positionOf: %q not in the document", needle))
	}
	before := text[:i]
	line = strings.Count(before, "\n") + 1
	col = len([]rune(before[strings.LastIndexByte(before, '\n')+1:])) + 1
	return line, col
}

func TestParse_ProblemFormat(t *testing.T) {
	res := Parse("org/payments/catalog-info.yaml", []byte(doc("name: svc", "name: payments_api!")))
	if len(res.Problems) != 1 {
		t.Fatalf("Parse() problems:%s\nwant one", listProblems(res.Problems))
	}
	got := res.Problems[0].String()
	want := `org/payments/catalog-info.yaml:4:9: component "payments_api!": metadata.name is not valid: 1–63 characters [A-Za-z0-9] separated by [-_.]`
	if got != want {
		t.Errorf("Problem.String() = %q, want %q", got, want)
	}
}

func TestValidURL(t *testing.T) {
	tests := []struct {
		url  string
		want bool
	}{
		{"https://example.com", true},
		{"https://example.com/a b", true},
		{"HTTPS://EXAMPLE.COM/", true},
		{"javascript:alert(1)", true},
		{"foo:bar", true},
		{"mailto:team@example.com", true},
		{"https://例え.jp", true},
		{"http://[::1]:8080/x", true},
		{"http://[2001:db8::1]", true},
		{"http://[::ffff:1.2.3.4]/", true},
		{"https:example.com", true},
		{"https://user:pass@example.com", true},
		{"http://1.2.3", true},
		{"http://0x7f.1", true},
		{"file:///etc/hosts", true},
		{"foo://", true},
		{"  https://example.com  ", true},
		{"https://ex%41mple.com", true},
		{"https://example.com:", true},
		{"//x", false},
		{"/docs", false},
		{"example.com", false},
		{"https://", false},
		{"https://exa mple.com", false},
		{"https://example.com:99999", false},
		{"https://example.com:8o", false},
		{"http://300.1.1.1", false},
		{"http://1.2.3.4.5", false},
		{"http://example.123", false},
		{"http://[::1", false},
		{"http://[1:2:3:4:5:6:7:8:9]", false},
		{"http://user@", false},
		{"http://:80", false},
		{"http://a<b", false},
		{"http://%zz", false},
		{"foo://a b", false},
		{"1http://x", false},
		{"", false},
		{"http://xn--a.com", false},
		{"http://xn--bcher-kva.example", true},
	}
	for _, tt := range tests {
		if got := validURL(tt.url); got != tt.want {
			t.Errorf("validURL(%q) = %v, want %v", tt.url, got, tt.want)
		}
	}
}

func TestFormatRules(t *testing.T) {
	tests := []struct {
		rule  string
		check func(string) bool
		value string
		want  bool
	}{
		{"name", validObjectName, "a", true},
		{"name", validObjectName, "a.b_c-d", true},
		{"name", validObjectName, "a..b", true},
		{"name", validObjectName, "-a", false},
		{"name", validObjectName, "a-", false},
		{"name", validObjectName, "a b", false},
		{"name", validObjectName, "a\n", false},
		{"name", validObjectName, "", false},
		{"namespace", validDNSLabel, "a--b", true},
		{"namespace", validDNSLabel, "1a", true},
		{"namespace", validDNSLabel, "a.b", false},
		{"namespace", validDNSLabel, "A", false},
		{"namespace", validDNSLabel, strings.Repeat("a", 64), false},
		{"key", validPrefixedName, "a.b/c", true},
		{"key", validPrefixedName, "/c", false},
		{"key", validPrefixedName, "a/b/c", false},
		{"key", validPrefixedName, "A.b/c", false},
		{"key", validPrefixedName, strings.Repeat("a", 63) + "/b", true},
		{"key", validPrefixedName, strings.Repeat("a", 64) + "/b", false},
		{"apiVersion", validAPIVersion, "v1", true},
		{"apiVersion", validAPIVersion, "backstage.io/V1alpha1", true},
		{"apiVersion", validAPIVersion, "/v1", false},
		{"apiVersion", validAPIVersion, "a/b/c", false},
		{"apiVersion", validAPIVersion, "a/" + strings.Repeat("v", 64), false},
		{"kind", validKind, "Component", true},
		{"kind", validKind, "a1", true},
		{"kind", validKind, "1a", false},
		{"kind", validKind, "A-b", false},
		{"tag", validTag, ":", true},
		{"tag", validTag, "c++", true},
		{"tag", validTag, "a-b", true},
		{"tag", validTag, "a--b", false},
		{"tag", validTag, "-a", false},
		{"tag", validTag, "a_b", false},
	}
	for _, tt := range tests {
		if got := tt.check(tt.value); got != tt.want {
			t.Errorf("%s rule(%q) = %v, want %v", tt.rule, tt.value, got, tt.want)
		}
	}
}
