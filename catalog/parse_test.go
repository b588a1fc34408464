package catalog

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func comp(name string) string {
	return strings.Replace(baseComponent, "name: svc", "name: "+name, 1)
}

// TestParse_Documents checks how a file splits into documents: the
// indexes, which ones are empty, and what stops the rest of a file.
func TestParse_Documents(t *testing.T) {
	tests := []struct {
		name        string
		yaml        string
		docs        int
		entities    []int // documents that yield an entity
		invalid     []int
		problemDocs []int // documents with a problem, in order
	}{
		{name: "empty file", yaml: "", docs: 0},
		{name: "comments only", yaml: "# nothing\n\n# here\n", docs: 0},
		{name: "one document", yaml: comp("a"), docs: 1, entities: []int{0}},
		{name: "leading comments and marker", yaml: "# c\n---\n" + comp("a"), docs: 1, entities: []int{0}},
		{name: "empty documents count", yaml: comp("a") + "---\n# c\n---\n---\n" + comp("b"), docs: 4, entities: []int{0, 3}},
		{name: "null document", yaml: "~\n---\n" + comp("b"), docs: 2, entities: []int{1}},
		{name: "trailing marker", yaml: comp("a") + "---\n", docs: 2, entities: []int{0}},
		{name: "document end marker", yaml: comp("a") + "...\n---\n" + comp("b"), docs: 2, entities: []int{0, 1}},
		{name: "document after end marker without ---", yaml: comp("a") + "...\n" + comp("b"), docs: 2, entities: []int{0, 1}},
		{name: "two end markers make an empty document", yaml: comp("a") + "...\n...\n" + comp("b"), docs: 3, entities: []int{0, 2}},
		{name: "syntax error does not stop the next document", yaml: comp("a") + "  tags: [x\n---\n" + comp("b"), docs: 2, entities: []int{1}, invalid: []int{0}, problemDocs: []int{0}},
		{name: "undefined alias stops the file", yaml: comp("a") + "---\n" + comp("b") + "  system: *nope\n---\n" + comp("c") + "---\n~\n", docs: 4, entities: []int{0}, invalid: []int{1, 2}, problemDocs: []int{1, 2}},
		{name: "undefined alias after a syntax error does not stop the file", yaml: comp("a") + "  system: *nope\n  x: [\n---\n" + comp("b"), docs: 2, entities: []int{1}, invalid: []int{0}, problemDocs: []int{0}},
		{name: "undefined alias with a duplicate key does not stop the file", yaml: comp("a") + "  system: *nope\n  type: library\n---\n" + comp("b"), docs: 2, entities: []int{1}, invalid: []int{0}, problemDocs: []int{0}},
		{name: "unclosed quote swallows the rest", yaml: comp("a") + "  system: 'oops\n---\n" + comp("b"), docs: 1, invalid: []int{0}, problemDocs: []int{0, 0}},
		{name: "quote closed in a later document", yaml: comp("a") + "  system: 'oops\n---\n" + comp("b") + "  x: 'y'\n", docs: 2, entities: []int{1}, invalid: []int{0}, problemDocs: []int{0}},
		{name: "block scalar ends at ---", yaml: comp("a") + "  x: |\n    text\n---\n" + comp("b"), docs: 2, entities: []int{0, 1}},
		{name: "BOM and CRLF", yaml: "\ufeff" + strings.ReplaceAll(comp("a"), "\n", "\r\n"), docs: 1, entities: []int{0}},
		{name: "directive without ---", yaml: "%YAML 1.2\n" + comp("a"), docs: 1, invalid: []int{0}, problemDocs: []int{0}},
		{name: "% inside a document", yaml: comp("a") + "%YAML 1.1\n", docs: 1, invalid: []int{0}, problemDocs: []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Parse("f.yaml", []byte(tt.yaml))
			if res.Docs != tt.docs {
				t.Errorf("Docs = %d, want %d", res.Docs, tt.docs)
			}
			var got []int
			for _, e := range res.Entities {
				got = append(got, int(e.Origin.Doc))
			}
			if !slices.Equal(got, tt.entities) {
				t.Errorf("entities from documents %v, want %v", got, tt.entities)
			}
			if !slices.Equal(res.Invalid, tt.invalid) {
				t.Errorf("Invalid = %v, want %v%s", res.Invalid, tt.invalid, listProblems(res.Problems))
			}
			var docs []int
			for _, p := range res.Problems {
				docs = append(docs, p.Doc)
				if p.Line < 1 || p.Column < 1 {
					t.Errorf("problem without a position: %s", p)
				}
			}
			if !slices.Equal(docs, tt.problemDocs) {
				t.Errorf("problems in documents %v, want %v%s", docs, tt.problemDocs, listProblems(res.Problems))
			}
		})
	}
}

// TestParse_YAML11 checks that %YAML 1.1 switches to the YAML 1.1 schema
// for its document and the ones after it, until a %YAML 1.2 directive.
func TestParse_YAML11(t *testing.T) {
	yes := strings.Replace(baseComponent, "  name: svc\n", "  name: svc\n  annotations:\n    a: yes\n", 1)
	file := "%YAML 1.1\n---\n" + yes + "---\n" + yes + "...\n%YAML 1.2\n---\n" + yes
	res := Parse("f.yaml", []byte(file))
	if want := []int{0, 1}; !slices.Equal(res.Invalid, want) {
		t.Errorf("Invalid = %v, want %v%s", res.Invalid, want, listProblems(res.Problems))
	}
}

func TestParse_YAML11Merge(t *testing.T) {
	file := "%YAML 1.1\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: m\nspec:\n  <<: {type: service, lifecycle: production, owner: team-a}\n  lifecycle: experimental\n"
	res := Parse("f.yaml", []byte(file))
	if len(res.Entities) != 1 {
		t.Fatalf("Parse() problems:%s\nwant an entity", listProblems(res.Problems))
	}
	if got := res.Entities[0].SpecString("lifecycle"); got != "experimental" {
		t.Errorf("spec.lifecycle = %q, want the mapping's own value over the merged one", got)
	}
}

func TestParse_Entity(t *testing.T) {
	file := "# header\n---\n" + strings.Replace(baseComponent, "  name: svc\n", `  name: svc
  namespace: payments
  title: Service
  labels: {tier: gold}
  annotations: {github.com/project-slug: acme/svc}
  tags: [go]
  links: [{url: 'https://e.com', title: Docs}]
`, 1) + "  providesApis: [svc-api]\n  port: 8080\n  ratio: 0.5\n  on: yes\n  nothing: ~\n"
	res := Parse("f.yaml", []byte(file))
	if len(res.Entities) != 1 {
		t.Fatalf("Parse() problems:%s\nwant an entity", listProblems(res.Problems))
	}
	e := res.Entities[0]
	want := Metadata{
		Name: "svc", Namespace: "payments", Title: "Service",
		Labels:      KeyValuesOf(map[string]string{"tier": "gold"}),
		Annotations: KeyValuesOf(map[string]string{"github.com/project-slug": "acme/svc"}),
		Tags:        []string{"go"},
		Links:       []Link{{URL: "https://e.com", Title: "Docs"}},
	}
	if !reflect.DeepEqual(e.Metadata, want) {
		t.Errorf("Metadata = %+v, want %+v", e.Metadata, want)
	}
	wantSpec := map[string]any{
		"type": "service", "lifecycle": "production", "owner": "team-a",
		"providesApis": []any{"svc-api"}, "port": int64(8080), "ratio": 0.5, "on": "yes", "nothing": nil,
	}
	if got := e.Spec.Map(); !reflect.DeepEqual(got, wantSpec) {
		t.Errorf("Spec = %#v, want %#v", got, wantSpec)
	}
	if e.Origin != (Origin{File: "f.yaml", Doc: 0, Line: 3}) {
		t.Errorf("Origin = %+v, want line 3 of document 0", e.Origin)
	}
	if p, ok := e.refPosition(specRef{"providesApis", 0}); !ok || p != (position{17, 18}) {
		t.Errorf("position of spec.providesApis[0] = %v, %v; want 17:18", p, ok)
	}
}

func TestParse_SyntaxErrorPosition(t *testing.T) {
	res := Parse("f.yaml", []byte(comp("a")+"---\n"+comp("b")+"  tags: [x, y\n"))
	if len(res.Problems) == 0 {
		t.Fatal("Parse() found no problem")
	}
	p := res.Problems[0]
	if p.Doc != 1 || p.Line < 10 || p.Column < 1 || !strings.Contains(p.Message, "YAML syntax error") {
		t.Errorf("problem = %s (doc %d), want a YAML syntax error in document 1 at line 10 or later", p, p.Doc)
	}
}

func TestResolvePlain(t *testing.T) {
	tests := []struct {
		s    string
		v11  bool
		kind vkind
		num  float64
	}{
		{"", false, vNull, 0},
		{"~", false, vNull, 0},
		{"Null", false, vNull, 0},
		{"nULL", false, vString, 0},
		{"true", false, vBool, 1},
		{"TRUE", false, vBool, 1},
		{"tRUE", false, vString, 0},
		{"yes", false, vString, 0},
		{"on", false, vString, 0},
		{"NO", false, vString, 0},
		{"012", false, vNumber, 12},
		{"0o17", false, vNumber, 15},
		{"0x1F", false, vNumber, 31},
		{"0X1F", false, vString, 0},
		{"+1", false, vNumber, 1},
		{"-5", false, vNumber, -5},
		{"1_000", false, vString, 0},
		{"0b101", false, vString, 0},
		{"1:30", false, vString, 0},
		{"1.", false, vNumber, 1},
		{".5", false, vNumber, 0.5},
		{"1e3", false, vNumber, 1000},
		{"1.5E-1", false, vNumber, 0.15},
		{"e3", false, vString, 0},
		{".", false, vString, 0},
		{"2020-01-01", false, vString, 0},
		{"1.2.3", false, vString, 0},
		{"yes", true, vBool, 1},
		{"Off", true, vBool, 0},
		{"y", true, vBool, 1},
		{"1_000", true, vNumber, 1000},
		{"0b101", true, vNumber, 5},
		{"012", true, vNumber, 10},
		{"-0x_1F", true, vNumber, -31},
		{"1:30", true, vNumber, 90},
		{"1:30.5", true, vNumber, 90.5},
		{"1_0.5", true, vNumber, 10.5},
		{"2020-01-01", true, vDate, 0},
		{"2001-12-14t21:59:43.10-05:00", true, vDate, 0},
		{"2001-12-14t21:59:43.10-05:00", false, vString, 0},
	}
	for _, tt := range tests {
		kind, num := resolvePlain(tt.s, tt.v11)
		if kind != tt.kind || kind == vNumber && num != tt.num {
			t.Errorf("resolvePlain(%q, v11=%v) = %v, %v; want %v, %v", tt.s, tt.v11, kind, num, tt.kind, tt.num)
		}
	}
	if k, f := resolvePlain(".nan", false); k != vNumber || !math.IsNaN(f) {
		t.Errorf("resolvePlain(.nan) = %v, %v; want NaN", k, f)
	}
	if k, f := resolvePlain("-.Inf", false); k != vNumber || !math.IsInf(f, -1) {
		t.Errorf("resolvePlain(-.Inf) = %v, %v; want -Inf", k, f)
	}
}

func TestJSNumber(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0"}, {1, "1"}, {-1.5, "-1.5"}, {1000, "1000"}, {0.000001, "0.000001"},
		{1e-7, "1e-7"}, {1e21, "1e+21"}, {123456789012345680000, "123456789012345680000"},
		{1.5e300, "1.5e+300"}, {math.NaN(), "NaN"}, {math.Inf(1), "Infinity"},
	}
	for _, tt := range tests {
		if got := jsNumber(tt.f); got != tt.want {
			t.Errorf("jsNumber(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestDateISO(t *testing.T) {
	tests := map[string]string{
		"2001-12-14":                   "2001-12-14T00:00:00.000Z",
		"2001-12-14t21:59:43.10-05:00": "2001-12-15T02:59:43.100Z",
		"2001-12-14 21:59:43.10 -5":    "2001-12-15T02:59:43.100Z",
		"2002-12-14T21:59:43Z":         "2002-12-14T21:59:43.000Z",
	}
	for in, want := range tests {
		if got := dateISO(in); got != want {
			t.Errorf("dateISO(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAppendJSLower(t *testing.T) {
	tests := map[string]string{
		"Spec.Type": "spec.type",
		"İx":        "i\u0307x",
		"ΑΣ":        "ας",
		"ΑΣΑ":       "ασα",
		"Σ":         "σ",
	}
	for in, want := range tests {
		if got := string(appendJSLower(nil, []byte(in))); got != want {
			t.Errorf("appendJSLower(%q) = %q, want %q", in, got, want)
		}
	}
}
