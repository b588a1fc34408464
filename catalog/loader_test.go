package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callboard/callboard/catalog"
)

// writeTree writes files (slash-separated paths relative to dir) and
// returns dir.
func writeTree(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// rewrite replaces a file's content at once, as editors and git do, and
// moves its modification time on, so the change is seen even on file
// systems with coarse timestamps.
func rewrite(t *testing.T, path, content string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	later := info.ModTime().Add(time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
}

func componentYAML(name, owner string) string {
	return fmt.Sprintf(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: %s
spec:
  type: service
  lifecycle: production
  owner: %s
`, name, owner)
}

func groupYAML(name string) string {
	return fmt.Sprintf(`apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: %s
spec:
  type: team
  children: []
`, name)
}

// locationYAML is a Location entity with the given spec lines, e.g.
// "target: ./a.yaml" or "presence: optional".
func locationYAML(name string, spec ...string) string {
	return fmt.Sprintf(`apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: %s
spec:
  %s
`, name, strings.Join(spec, "\n  "))
}

func docs(ds ...string) string { return strings.Join(ds, "---\n") }

func load(t *testing.T, l *catalog.Loader, prev *catalog.Snapshot) *catalog.LoadResult {
	t.Helper()
	res, err := l.Load(context.Background(), prev)
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	return res
}

func entityKeys(es []*catalog.Entity) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.Key())
	}
	slices.Sort(out)
	return out
}

func findEntity(es []*catalog.Entity, key string) *catalog.Entity {
	for _, e := range es {
		if e.Key() == key {
			return e
		}
	}
	return nil
}

// problemLines renders problems one a line for failure messages.
func problemLines(ps catalog.Problems) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("\n\t" + p.String())
	}
	if b.Len() == 0 {
		return " (none)"
	}
	return b.String()
}

func noProblems(t *testing.T, ps catalog.Problems) {
	t.Helper()
	if len(ps) > 0 {
		t.Errorf("problems:%s\nwant none", problemLines(ps))
	}
}

// onlyProblem fails unless ps holds exactly one problem and returns it.
func onlyProblem(t *testing.T, ps catalog.Problems) catalog.Problem {
	t.Helper()
	if len(ps) != 1 {
		t.Fatalf("problems:%s\nwant exactly one", problemLines(ps))
	}
	return ps[0]
}

func TestLoader_Load_Roots(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		roots []string // relative to the tree
		want  []string
	}{
		{
			name: "folder walk finds catalog-info.yaml at every depth",
			files: map[string]string{
				"catalog-info.yaml":             componentYAML("top", "team"),
				"svc/a/catalog-info.yaml":       componentYAML("a", "team"),
				"svc/b/deep/catalog-info.yaml":  componentYAML("b", "team"),
				"svc/b/deep/other.yaml":         componentYAML("other", "team"),
				"svc/b/deep/catalog-info.yml":   componentYAML("yml", "team"),
				"svc/b/deep/catalog-info.yaml~": componentYAML("backup", "team"),
			},
			roots: []string{"."},
			want:  []string{"component:default/a", "component:default/b", "component:default/top"},
		},
		{
			name: "folder walk skips hidden folders, node_modules and template skeletons",
			files: map[string]string{
				"svc/catalog-info.yaml":                      componentYAML("svc", "team"),
				".git/catalog-info.yaml":                     componentYAML("in-git", "team"),
				"svc/.cache/catalog-info.yaml":               componentYAML("in-cache", "team"),
				"web/node_modules/lib/catalog-info.yaml":     componentYAML("in-node-modules", "team"),
				"templates/go/template.yaml":                 "kind: Template\n",
				"templates/go/skeleton/catalog-info.yaml":    componentYAML("${{ values.name }}", "team"),
				"templates/go/skeleton/sub/catalog-info.yml": componentYAML("nested-skeleton", "team"),
				"docs/skeleton/catalog-info.yaml":            componentYAML("not-a-template-skeleton", "team"),
			},
			roots: []string{"."},
			want:  []string{"component:default/not-a-template-skeleton", "component:default/svc"},
		},
		{
			name: "single file",
			files: map[string]string{
				"one.yaml":              docs(componentYAML("one", "team"), componentYAML("two", "team")),
				"sub/catalog-info.yaml": componentYAML("not-read", "team"),
			},
			roots: []string{"one.yaml"},
			want:  []string{"component:default/one", "component:default/two"},
		},
		{
			name: "glob within one folder",
			files: map[string]string{
				"org/a.yaml":     componentYAML("a", "team"),
				"org/b.yaml":     componentYAML("b", "team"),
				"org/c.yml":      componentYAML("c", "team"),
				"org/sub/d.yaml": componentYAML("d", "team"),
			},
			roots: []string{"org/*.yaml"},
			want:  []string{"component:default/a", "component:default/b"},
		},
		{
			name: "glob with ** across folders",
			files: map[string]string{
				"catalog-info.yaml":             componentYAML("top", "team"),
				"svc/a/catalog-info.yaml":       componentYAML("a", "team"),
				"svc/b/deep/catalog-info.yaml":  componentYAML("b", "team"),
				"svc/b/deep/other.yaml":         componentYAML("other", "team"),
				"svc/.hidden/catalog-info.yaml": componentYAML("hidden", "team"),
			},
			roots: []string{"svc/**/catalog-info.yaml"},
			want:  []string{"component:default/a", "component:default/b"},
		},
		{
			name: "several roots",
			files: map[string]string{
				"a/catalog-info.yaml": componentYAML("a", "team"),
				"b.yaml":              componentYAML("b", "team"),
			},
			roots: []string{"a", "b.yaml"},
			want:  []string{"component:default/a", "component:default/b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, t.TempDir(), tt.files)
			var roots []string
			for _, r := range tt.roots {
				roots = append(roots, filepath.Join(dir, r))
			}
			res := load(t, &catalog.Loader{Roots: roots}, nil)
			noProblems(t, res.Problems)
			if got := entityKeys(res.Entities); !slices.Equal(got, tt.want) {
				t.Errorf("Load(%v) entities = %v, want %v", tt.roots, got, tt.want)
			}
		})
	}
}

func TestLoader_Load_MissingRoot(t *testing.T) {
	dir := t.TempDir()
	for _, root := range []string{"absent.yaml", "absent/*.yaml", "absent-folder"} {
		t.Run(root, func(t *testing.T) {
			res := load(t, &catalog.Loader{Roots: []string{filepath.Join(dir, root)}}, nil)
			p := onlyProblem(t, res.Problems)
			if !p.IsError() || p.File != filepath.Join(dir, root) {
				t.Errorf("Load(%q) problem = %s, want an error for the root", root, p)
			}
		})
	}
}

// TestLoader_Load_RelativeRoots checks that roots given relative to the
// working directory are reported relative, as the user typed them.
func TestLoader_Load_RelativeRoots(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{
		"org/catalog-info.yaml":     locationYAML("root", "target: ./teams/team.yaml"),
		"org/teams/team.yaml":       componentYAML("svc", "missing-team"),
		"org/svc/catalog-info.yaml": componentYAML("walked", "team"),
	})
	t.Chdir(dir)
	tests := []struct {
		root     string
		wantFile string // of the component "svc"
	}{
		{"org", filepath.Join("org", "teams", "team.yaml")},
		{"org/catalog-info.yaml", filepath.Join("org", "teams", "team.yaml")},
		{"org/*/team.yaml", filepath.Join("org", "teams", "team.yaml")},
	}
	for _, tt := range tests {
		t.Run(tt.root, func(t *testing.T) {
			res := load(t, &catalog.Loader{Roots: []string{tt.root}}, nil)
			noProblems(t, res.Problems)
			e := findEntity(res.Entities, "component:default/svc")
			if e == nil {
				t.Fatalf("Load(%q) entities = %v, want component:default/svc", tt.root, entityKeys(res.Entities))
			}
			if e.Origin.File != tt.wantFile {
				t.Errorf("Load(%q): svc Origin.File = %q, want %q", tt.root, e.Origin.File, tt.wantFile)
			}
			wantLoc := "file:" + filepath.Join(dir, "org", "teams", "team.yaml")
			if got := e.Annotation(catalog.AnnotationManagedByLocation); got != wantLoc {
				t.Errorf("Load(%q): svc managed-by-location = %q, want %q", tt.root, got, wantLoc)
			}
		})
	}
}

func TestLoader_Load_LocationTargets(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name: "target",
			files: map[string]string{
				"catalog-info.yaml": locationYAML("root", "target: ./svc/a.yaml"),
				"svc/a.yaml":        componentYAML("a", "team"),
			},
			want: []string{"component:default/a", "location:default/root"},
		},
		{
			name: "target and targets together",
			files: map[string]string{
				"catalog-info.yaml": locationYAML("root", "target: a.yaml", "targets: [./b.yaml, sub/c.yaml]"),
				"a.yaml":            componentYAML("a", "team"),
				"b.yaml":            componentYAML("b", "team"),
				"sub/c.yaml":        componentYAML("c", "team"),
			},
			want: []string{"component:default/a", "component:default/b", "component:default/c", "location:default/root"},
		},
		{
			name: "parent folder",
			files: map[string]string{
				"locations/catalog-info.yaml": locationYAML("root", "target: ../shared/a.yaml"),
				"shared/a.yaml":               componentYAML("a", "team"),
			},
			want: []string{"component:default/a", "location:default/root"},
		},
		{
			name: "glob relative to the Location file",
			files: map[string]string{
				"catalog-info.yaml":     locationYAML("root", "targets: [./org/*.yaml]"),
				"org/a.yaml":            componentYAML("a", "team"),
				"org/b.yaml":            componentYAML("b", "team"),
				"org/readme.md":         "# not yaml",
				"catalog-info-b.yaml":   componentYAML("not-a-target", "team"),
				"org/sub/ignored.yaml":  componentYAML("ignored", "team"),
				"other/org/other.yaml":  componentYAML("other", "team"),
				"other/catalog-in.yaml": componentYAML("other2", "team"),
			},
			want: []string{"component:default/a", "component:default/b", "location:default/root"},
		},
		{
			name: "glob with ** relative to the Location file",
			files: map[string]string{
				"catalog-info.yaml":                locationYAML("root", "target: ./components/**/catalog-info.yaml"),
				"components/catalog-info.yaml":     componentYAML("zero-depth", "team"),
				"components/a/catalog-info.yaml":   componentYAML("a", "team"),
				"components/b/c/catalog-info.yaml": componentYAML("c", "team"),
				"components/b/c/api.yaml":          componentYAML("not-matched", "team"),
			},
			want: []string{"component:default/a", "component:default/c", "component:default/zero-depth", "location:default/root"},
		},
		{
			name: "nested Locations",
			files: map[string]string{
				"catalog-info.yaml":        locationYAML("root", "target: ./teams/catalog-info.yaml"),
				"teams/catalog-info.yaml":  locationYAML("teams", "targets: [./payments/*.yaml]"),
				"teams/payments/svc.yaml":  docs(componentYAML("svc", "payments"), locationYAML("deeper", "target: ../../deep.yaml")),
				"teams/payments/team.yaml": groupYAML("payments"),
				"deep.yaml":                componentYAML("deep", "payments"),
			},
			want: []string{"component:default/deep", "component:default/svc", "group:default/payments",
				"location:default/deeper", "location:default/root", "location:default/teams"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, t.TempDir(), tt.files)
			root := filepath.Join(dir, "catalog-info.yaml")
			if _, err := os.Stat(root); err != nil {
				root = filepath.Join(dir, "locations", "catalog-info.yaml")
			}
			res := load(t, &catalog.Loader{Roots: []string{root}}, nil)
			noProblems(t, res.Problems)
			if got := entityKeys(res.Entities); !slices.Equal(got, tt.want) {
				t.Errorf("Load() entities = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLoader_Load_AbsoluteTarget(t *testing.T) {
	shared := writeTree(t, t.TempDir(), map[string]string{"a.yaml": componentYAML("a", "team")})
	dir := writeTree(t, t.TempDir(), map[string]string{
		"catalog-info.yaml": locationYAML("root", "target: "+filepath.Join(shared, "a.yaml")),
	})
	res := load(t, &catalog.Loader{Roots: []string{filepath.Join(dir, "catalog-info.yaml")}}, nil)
	noProblems(t, res.Problems)
	e := findEntity(res.Entities, "component:default/a")
	if e == nil {
		t.Fatalf("Load() entities = %v, want component:default/a", entityKeys(res.Entities))
	}
	if want := filepath.Join(shared, "a.yaml"); e.Origin.File != want {
		t.Errorf("a Origin.File = %q, want %q", e.Origin.File, want)
	}
}

func TestLoader_Load_LocationCycle(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		want      []string
		wantWarns int
		wantAt    string // file:line of the warning, when set
	}{
		{
			name: "Location targets itself",
			files: map[string]string{
				"catalog-info.yaml": docs(locationYAML("root", "target: ./catalog-info.yaml"), componentYAML("a", "team")),
			},
			want:      []string{"component:default/a", "location:default/root"},
			wantWarns: 1,
		},
		{
			name: "two Locations target each other",
			files: map[string]string{
				"catalog-info.yaml": locationYAML("root", "target: ./b/catalog-info.yaml"),
				"b/catalog-info.yaml": docs(locationYAML("b", "target: ../catalog-info.yaml"),
					componentYAML("b", "team")),
			},
			want:      []string{"component:default/b", "location:default/b", "location:default/root"},
			wantWarns: 1,
			wantAt:    "b/catalog-info.yaml:6",
		},
		{
			name: "a longer cycle",
			files: map[string]string{
				"catalog-info.yaml": locationYAML("root", "target: ./b.yaml"),
				"b.yaml":            locationYAML("b", "target: ./c.yaml"),
				"c.yaml":            docs(locationYAML("c", "target: ./catalog-info.yaml"), componentYAML("c", "team")),
			},
			want:      []string{"component:default/c", "location:default/b", "location:default/c", "location:default/root"},
			wantWarns: 1,
		},
		{
			name: "glob matching its own Location",
			files: map[string]string{
				"catalog-info.yaml":   locationYAML("root", "target: ./**/*.yaml"),
				"svc/component.yaml":  componentYAML("svc", "team"),
				"svc/more/group.yaml": groupYAML("team"),
			},
			want:      []string{"component:default/svc", "group:default/team", "location:default/root"},
			wantWarns: 1,
		},
		{
			name: "cycle between two Locations both reached from the root",
			files: map[string]string{
				"catalog-info.yaml": locationYAML("root", "targets: [./b.yaml, ./c.yaml]"),
				"b.yaml":            docs(locationYAML("b", "target: ./c.yaml"), componentYAML("b", "team")),
				"c.yaml":            locationYAML("c", "target: ./b.yaml"),
			},
			want:      []string{"component:default/b", "location:default/b", "location:default/c", "location:default/root"},
			wantWarns: 1,
			wantAt:    "c.yaml:6",
		},
		{
			name: "diamond is not a cycle",
			files: map[string]string{
				"catalog-info.yaml": locationYAML("root", "targets: [./b.yaml, ./c.yaml]"),
				"b.yaml":            locationYAML("b", "target: ./d.yaml"),
				"c.yaml":            locationYAML("c", "target: ./d.yaml"),
				"d.yaml":            componentYAML("d", "team"),
			},
			want: []string{"component:default/d", "location:default/b", "location:default/c", "location:default/root"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, t.TempDir(), tt.files)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			res, err := (&catalog.Loader{Roots: []string{filepath.Join(dir, "catalog-info.yaml")}}).Load(ctx, nil)
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			if got := entityKeys(res.Entities); !slices.Equal(got, tt.want) {
				t.Errorf("Load() entities = %v, want %v", got, tt.want)
			}
			warns := 0
			for _, p := range res.Problems {
				if p.IsError() {
					t.Errorf("Load() error %s, want only cycle warnings", p)
					continue
				}
				if p.Code != catalog.CodeLocation || !strings.Contains(p.Message, "cycle") || p.Kind != catalog.KindLocation {
					t.Errorf("Load() warning %s, want a location cycle warning", p)
				}
				if tt.wantAt != "" {
					at, want := fmt.Sprintf("%s:%d", p.File, p.Line), filepath.Join(dir, filepath.FromSlash(tt.wantAt))
					if at != want || p.Column < 3 {
						t.Errorf("Load() warning at %s:%d, want %s", at, p.Column, want)
					}
				}
				warns++
			}
			if warns != tt.wantWarns {
				t.Errorf("Load() gave %d cycle warnings, want %d:%s", warns, tt.wantWarns, problemLines(res.Problems))
			}
		})
	}
}

func TestLoader_Load_MissingTargets(t *testing.T) {
	const locFile = "catalog-info.yaml"
	tests := []struct {
		name      string
		location  string
		asWarning bool
		want      catalog.Severity // "" for no problem
		wantField string
		wantLine  int
	}{
		{
			name:      "required target is an error at the field",
			location:  locationYAML("root", "type: file", "target: ./missing.yaml"),
			want:      catalog.SeverityError,
			wantField: "spec.target",
			wantLine:  7,
		},
		{
			name:      "required item of targets is an error at the item",
			location:  locationYAML("root", "targets:", "  - ./present.yaml", "  - ./missing.yaml"),
			want:      catalog.SeverityError,
			wantField: "spec.targets[1]",
			wantLine:  8,
		},
		{
			name:      "required glob matching nothing is an error",
			location:  locationYAML("root", "targets:", "  - ./present.yaml", "  - ./missing/*.yaml"),
			want:      catalog.SeverityError,
			wantField: "spec.targets[1]",
			wantLine:  8,
		},
		{
			name:      "required glob whose folders hold no such file is an error",
			location:  locationYAML("root", "targets:", "  - ./present.yaml", "  - ./missing-files/*/catalog-info.yaml"),
			want:      catalog.SeverityError,
			wantField: "spec.targets[1]",
			wantLine:  8,
		},
		{
			name:     "optional glob whose folders hold no such file is silent",
			location: locationYAML("root", "presence: optional", "targets: [./present.yaml, ./missing-files/*/catalog-info.yaml]"),
		},
		{
			name:     "optional target is silent",
			location: locationYAML("root", "target: ./missing.yaml", "presence: optional"),
		},
		{
			name:     "optional glob matching nothing is silent",
			location: locationYAML("root", "presence: optional", "targets: [./present.yaml, ./missing/**/*.yaml]"),
		},
		{
			name:      "presence required is the default",
			location:  locationYAML("root", "presence: required", "target: ./missing.yaml"),
			want:      catalog.SeverityError,
			wantField: "spec.target",
			wantLine:  7,
		},
		{
			name:      "warning when missing targets are warnings",
			location:  locationYAML("root", "target: ./missing.yaml"),
			asWarning: true,
			want:      catalog.SeverityWarning,
			wantField: "spec.target",
			wantLine:  6,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, t.TempDir(), map[string]string{
				locFile:        tt.location,
				"present.yaml": componentYAML("present", "team"),
				// Folders a glob's * matches, none with the file it names:
				// one is empty, one has a folder by that name.
				"missing-files/a/README.md":               "# a",
				"missing-files/b/catalog-info.yaml/notes": "not a descriptor",
			})
			l := &catalog.Loader{Roots: []string{filepath.Join(dir, locFile)}, MissingTargetsAreWarnings: tt.asWarning}
			res := load(t, l, nil)
			if tt.want == "" {
				noProblems(t, res.Problems)
				return
			}
			p := onlyProblem(t, res.Problems)
			want := catalog.Problem{
				File: filepath.Join(dir, locFile), Line: tt.wantLine, Severity: tt.want,
				Kind: catalog.KindLocation, Name: "root", Field: tt.wantField, Code: catalog.CodeLocation,
			}
			got := p
			got.Doc, got.Column, got.Message = 0, 0, ""
			if got != want {
				t.Errorf("Load() problem = %+v\nwant %+v", p, want)
			}
			if p.Column < 3 {
				t.Errorf("Load() problem column = %d, want the column of the target value", p.Column)
			}
			if !strings.Contains(p.Message, "missing") {
				t.Errorf("Load() problem message = %q, want it to name the missing target", p.Message)
			}
		})
	}
}

// TestLoader_Load_GlobMatchesOnlyFiles: a glob matches the files it names
// and nothing else, whether its matches are stat'ed first (a sync after
// another) or found out by reading them (a first sync).
func TestLoader_Load_GlobMatchesOnlyFiles(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{
		"catalog-info.yaml":              locationYAML("root", "targets: [./svc/*/catalog-info.yaml, ./org/*.yaml]"),
		"svc/a/catalog-info.yaml":        componentYAML("a", "team"),
		"svc/b/README.md":                "# no descriptor here",
		"svc/c/catalog-info.yaml/readme": "a folder named like the file",
		"svc/d/catalog-info.yaml":        componentYAML("d", "team"),
		"org/team.yaml":                  "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team\nspec:\n  type: team\n  children: []\n",
		"org/sub/ignored.yaml":           componentYAML("ignored", "team"),
	})
	l := &catalog.Loader{Roots: []string{filepath.Join(dir, "catalog-info.yaml")}}
	first := load(t, l, nil)
	noProblems(t, first.Problems)
	want := []string{"component:default/a", "component:default/d", "group:default/team", "location:default/root"}
	if got := entityKeys(first.Entities); !slices.Equal(got, want) {
		t.Fatalf("first load: entities %v, want %v", got, want)
	}
	var files []string
	for _, f := range first.Files {
		files = append(files, filepath.ToSlash(strings.TrimPrefix(f.Path, dir)))
	}
	slices.Sort(files)
	if wantFiles := []string{"/catalog-info.yaml", "/org/team.yaml", "/svc/a/catalog-info.yaml", "/svc/d/catalog-info.yaml"}; !slices.Equal(files, wantFiles) {
		t.Errorf("first load: files %v, want %v", files, wantFiles)
	}
	prev := &catalog.Snapshot{Entities: first.Entities, Problems: first.Problems, Files: first.Files, Sources: l.Roots}
	again := load(t, l, prev)
	noProblems(t, again.Problems)
	if got := entityKeys(again.Entities); !slices.Equal(got, want) {
		t.Errorf("second load: entities %v, want %v", got, want)
	}
	if again.Parsed != 0 || again.Reused != len(first.Files) {
		t.Errorf("second load parsed %d and reused %d files, want 0 and %d", again.Parsed, again.Reused, len(first.Files))
	}
}

// TestLoader_Load_GlobAndOtherRoutes: a file a glob matches that is also
// reached another way still counts as the glob's match, and a missing file
// a glob looked at is still reported when a target names it.
func TestLoader_Load_GlobAndOtherRoutes(t *testing.T) {
	tests := []struct {
		name     string
		targets  string
		wantProb string // the target a problem must name, or ""
	}{
		{name: "a match also found by the folder walk", targets: "targets: [./*/catalog-info.yaml]"},
		{name: "a match also named", targets: "targets: [./svc/catalog-info.yaml, ./*/catalog-info.yaml]"},
		{name: "a non-match named", targets: "targets: [./*/catalog-info.yaml, ./docs/catalog-info.yaml]", wantProb: "docs/catalog-info.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, t.TempDir(), map[string]string{
				"catalog-info.yaml":     locationYAML("root", tt.targets),
				"svc/catalog-info.yaml": componentYAML("svc", "team"),
				"docs/index.md":         "# docs",
			})
			for _, prev := range []bool{false, true} {
				l := &catalog.Loader{Roots: []string{dir}}
				var snap *catalog.Snapshot
				if prev {
					first := load(t, l, nil)
					snap = &catalog.Snapshot{Entities: first.Entities, Problems: first.Problems, Files: first.Files, Sources: l.Roots}
				}
				res := load(t, l, snap)
				if tt.wantProb == "" {
					noProblems(t, res.Problems)
				} else if p := onlyProblem(t, res.Problems); !p.IsError() || !strings.Contains(p.Message, tt.wantProb) {
					t.Errorf("problem %+v, want an error naming %s", p, tt.wantProb)
				}
				if got, want := entityKeys(res.Entities), []string{"component:default/svc", "location:default/root"}; !slices.Equal(got, want) {
					t.Errorf("entities %v, want %v", got, want)
				}
			}
		})
	}
}

// TestLoader_Load_MissingRootIsNotAWarning checks that
// MissingTargetsAreWarnings only softens targets of Locations, not the roots
// the user named.
func TestLoader_Load_MissingRootIsNotAWarning(t *testing.T) {
	dir := t.TempDir()
	res := load(t, &catalog.Loader{Roots: []string{filepath.Join(dir, "absent.yaml")}, MissingTargetsAreWarnings: true}, nil)
	if p := onlyProblem(t, res.Problems); !p.IsError() {
		t.Errorf("Load() problem = %s, want an error", p)
	}
}

func TestLoader_Load_BadTargets(t *testing.T) {
	// Targets ending in a slash may be rejected when the Location is
	// validated or when its targets are followed; either way the error
	// points at the target.
	tests := []struct {
		name      string
		spec      []string
		want      catalog.Severity
		wantField string
		wantLine  int
	}{
		{"target ending in a slash", []string{"target: ./svc/"}, catalog.SeverityError, "spec.target", 6},
		{"item of targets ending in a slash", []string{"targets:", "  - ./svc/catalog-info.yaml", "  - ./svc/"}, catalog.SeverityError, "spec.targets[1]", 8},
		{"url location", []string{"type: url", "target: https://github.com/o/r/blob/main/catalog-info.yaml"}, catalog.SeverityWarning, "spec.target", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, t.TempDir(), map[string]string{
				"catalog-info.yaml":     locationYAML("root", tt.spec...),
				"svc/catalog-info.yaml": componentYAML("svc", "team"),
			})
			res := load(t, &catalog.Loader{Roots: []string{filepath.Join(dir, "catalog-info.yaml")}}, nil)
			var bad catalog.Problems
			for _, p := range res.Problems {
				if p.Field == tt.wantField {
					bad = append(bad, p)
				}
			}
			p := onlyProblem(t, bad)
			if p.Severity != tt.want || p.Line != tt.wantLine || p.Column < 3 || p.File != filepath.Join(dir, "catalog-info.yaml") {
				t.Errorf("Load() problem = %s (%s), want a %s at line %d, at the target", p, p.Severity, tt.want, tt.wantLine)
			}
			if len(res.Problems) != 1 {
				t.Errorf("Load() problems:%s\nwant only the one for %s", problemLines(res.Problems), tt.wantField)
			}
		})
	}
}

// TestLoader_Load_FileReachedTwice walks a folder whose Location also
// names files the walk finds: each file is read once and its entities are
// not reported as conflicting with themselves.
func TestLoader_Load_FileReachedTwice(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{
		"catalog-info.yaml":     locationYAML("root", "targets: [./svc/catalog-info.yaml, ./svc/catalog-info.yaml, ./team.yaml]"),
		"svc/catalog-info.yaml": componentYAML("svc", "team"),
		"team.yaml":             groupYAML("team"),
	})
	res := load(t, &catalog.Loader{Roots: []string{dir, filepath.Join(dir, "catalog-info.yaml")}}, nil)
	noProblems(t, res.Problems)
	want := []string{"component:default/svc", "group:default/team", "location:default/root"}
	if got := entityKeys(res.Entities); !slices.Equal(got, want) {
		t.Errorf("Load() entities = %v, want %v", got, want)
	}
	if res.Parsed != 3 || len(res.Files) != 3 {
		t.Errorf("Load() Parsed = %d, Files = %v; want 3 files read once each", res.Parsed, res.Files)
	}
}

func TestLoader_Load_Annotations(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{
		"catalog-info.yaml":       locationYAML("root", "target: ./teams/catalog-info.yaml"),
		"teams/catalog-info.yaml": locationYAML("teams", "target: ./payments/svc.yaml"),
		"teams/payments/svc.yaml": docs(componentYAML("svc", "team"), `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: elsewhere
  annotations:
    backstage.io/source-location: url:https://github.com/acme/elsewhere/tree/main/
    github.com/project-slug: acme/elsewhere
spec:
  type: service
  lifecycle: production
  owner: team
`),
		"walked/catalog-info.yaml": componentYAML("walked", "team"),
	})
	root := filepath.Join(dir, "catalog-info.yaml")
	svcFile := filepath.Join(dir, "teams", "payments", "svc.yaml")
	walkedFile := filepath.Join(dir, "walked", "catalog-info.yaml")
	sep := string(filepath.Separator)
	tests := []struct {
		key  string
		want map[string]string
	}{
		{"location:default/root", map[string]string{
			catalog.AnnotationManagedByLocation:       "file:" + root,
			catalog.AnnotationManagedByOriginLocation: "file:" + root,
			catalog.AnnotationSourceLocation:          "file:" + dir + sep,
		}},
		{"location:default/teams", map[string]string{
			catalog.AnnotationManagedByLocation:       "file:" + filepath.Join(dir, "teams", "catalog-info.yaml"),
			catalog.AnnotationManagedByOriginLocation: "file:" + root,
			catalog.AnnotationSourceLocation:          "file:" + filepath.Join(dir, "teams") + sep,
		}},
		{"component:default/svc", map[string]string{
			catalog.AnnotationManagedByLocation:       "file:" + svcFile,
			catalog.AnnotationManagedByOriginLocation: "file:" + root,
			catalog.AnnotationSourceLocation:          "file:" + filepath.Dir(svcFile) + sep,
		}},
		{"component:default/elsewhere", map[string]string{
			catalog.AnnotationManagedByLocation:       "file:" + svcFile,
			catalog.AnnotationManagedByOriginLocation: "file:" + root,
			catalog.AnnotationSourceLocation:          "url:https://github.com/acme/elsewhere/tree/main/",
			catalog.AnnotationProjectSlug:             "acme/elsewhere",
		}},
		// A walked file is its own origin: no Location led to it.
		{"component:default/walked", map[string]string{
			catalog.AnnotationManagedByLocation:       "file:" + walkedFile,
			catalog.AnnotationManagedByOriginLocation: "file:" + walkedFile,
			catalog.AnnotationSourceLocation:          "file:" + filepath.Dir(walkedFile) + sep,
		}},
	}
	res := load(t, &catalog.Loader{Roots: []string{root, filepath.Join(dir, "walked")}}, nil)
	noProblems(t, res.Problems)
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			e := findEntity(res.Entities, tt.key)
			if e == nil {
				t.Fatalf("Load() entities = %v, want %s", entityKeys(res.Entities), tt.key)
			}
			if got := e.Metadata.Annotations.Map(); !mapsEqual(got, tt.want) {
				t.Errorf("%s annotations = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestLoader_Load_Conflicts(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		targets   string
		wantOwner string // file keeping the entity
		wantLoser string // file reported
	}{
		{
			name: "same name in two files",
			files: map[string]string{
				"a.yaml": componentYAML("svc", "team-a"),
				"b.yaml": componentYAML("svc", "team-b"),
			},
			targets:   "targets: [./a.yaml, ./b.yaml]",
			wantOwner: "a.yaml", wantLoser: "b.yaml",
		},
		{
			name: "discovery order decides",
			files: map[string]string{
				"a.yaml": componentYAML("svc", "team-a"),
				"b.yaml": componentYAML("svc", "team-b"),
			},
			targets:   "targets: [./b.yaml, ./a.yaml]",
			wantOwner: "b.yaml", wantLoser: "a.yaml",
		},
		{
			name: "names differing only in case",
			files: map[string]string{
				"a.yaml": componentYAML("Payments-API", "team-a"),
				"b.yaml": "# leading comment\n\n" + componentYAML("payments-api", "team-b"),
			},
			targets:   "targets: [./a.yaml, ./b.yaml]",
			wantOwner: "a.yaml", wantLoser: "b.yaml",
		},
		{
			name: "explicit default namespace",
			files: map[string]string{
				"a.yaml": componentYAML("svc", "team-a"),
				"b.yaml": strings.Replace(componentYAML("svc", "team-b"), "  name: svc\n", "  name: svc\n  namespace: default\n", 1),
			},
			targets:   "targets: [./a.yaml, ./b.yaml]",
			wantOwner: "a.yaml", wantLoser: "b.yaml",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.files["catalog-info.yaml"] = locationYAML("root", tt.targets)
			dir := writeTree(t, t.TempDir(), tt.files)
			res := load(t, &catalog.Loader{Roots: []string{filepath.Join(dir, "catalog-info.yaml")}}, nil)
			p := onlyProblem(t, res.Problems)
			owner, loser := filepath.Join(dir, tt.wantOwner), filepath.Join(dir, tt.wantLoser)
			if !p.IsError() || p.Code != catalog.CodeConflict || p.File != loser || p.Kind != catalog.KindComponent {
				t.Errorf("Load() problem = %s (code %q), want a conflict error in %s", p, p.Code, loser)
			}
			wantLine := 1
			if strings.HasPrefix(tt.files[tt.wantLoser], "#") {
				wantLine = 3
			}
			if p.Line != wantLine {
				t.Errorf("conflict line = %d, want %d", p.Line, wantLine)
			}
			if !strings.Contains(p.Message, owner+":1") {
				t.Errorf("conflict message = %q, want it to name %s:1", p.Message, owner)
			}
			e := findEntity(res.Entities, "component:default/payments-api")
			if e == nil {
				e = findEntity(res.Entities, "component:default/svc")
			}
			if e == nil || e.Origin.File != owner {
				t.Errorf("kept entity = %+v, want the one from %s", e, owner)
			}
			if n := len(res.Entities); n != 2 {
				t.Errorf("Load() gave %d entities (%v), want the Location and one component", n, entityKeys(res.Entities))
			}
		})
	}
}

func TestLoader_Load_SameKindDifferentNamespaces(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{
		"a.yaml": componentYAML("svc", "team"),
		"b.yaml": strings.Replace(componentYAML("svc", "team"), "  name: svc\n", "  name: svc\n  namespace: ops\n", 1),
		"c.yaml": groupYAML("svc"),
	})
	res := load(t, &catalog.Loader{Roots: []string{filepath.Join(dir, "*.yaml")}}, nil)
	noProblems(t, res.Problems)
	want := []string{"component:default/svc", "component:ops/svc", "group:default/svc"}
	if got := entityKeys(res.Entities); !slices.Equal(got, want) {
		t.Errorf("Load() entities = %v, want %v", got, want)
	}
}

// TestLoader_Load_ExampleOrg loads the organisation bundled in examples/.
func TestLoader_Load_ExampleOrg(t *testing.T) {
	root := filepath.Join("..", "examples", "org", "catalog-info.yaml")
	c := catalog.NewCatalog()
	rep, err := catalog.NewSyncer(&catalog.Loader{Roots: []string{root}}, c, catalog.SyncerOptions{}).Sync(context.Background())
	if err != nil {
		t.Fatalf("Sync() error = %v", err)
	}
	ix := c.Index()
	if rep.Entities != 111 || ix.Len() != 111 || rep.Errors != 0 || rep.Warnings != 0 {
		t.Errorf("Sync() = %+v with problems:%s\nwant 111 entities, no errors and no warnings", rep, problemLines(ix.Problems()))
	}
	for _, p := range ix.Problems() {
		if p.Code == catalog.CodeDangling {
			t.Errorf("dangling reference: %s", p)
		}
	}

	api, ok := ix.Get("component:default/payments-api")
	if !ok {
		t.Fatal(`Get("component:default/payments-api") found nothing`)
	}
	if got, want := ix.Owners(api), []string{"group:default/payments-team"}; !slices.Equal(got, want) {
		t.Errorf("Owners(payments-api) = %v, want %v", got, want)
	}
	wantOrigin := "file:" + mustAbs(t, root)
	if got := api.Annotation(catalog.AnnotationManagedByOriginLocation); got != wantOrigin {
		t.Errorf("payments-api managed-by-origin-location = %q, want %q", got, wantOrigin)
	}
	found := false
	for _, o := range ix.ByOwnerTransitive("group:default/payments-platform") {
		if o.Entity == api {
			found = true
			if o.Via != "group:default/payments-team" {
				t.Errorf("ByOwnerTransitive(%q) has payments-api via %q, want %q", "group:default/payments-platform", o.Via, "group:default/payments-team")
			}
		}
	}
	if !found {
		t.Errorf("ByOwnerTransitive(%q) lacks payments-api", "group:default/payments-platform")
	}
	// The template skeletons are not reachable from the root Location.
	for _, e := range ix.All() {
		if strings.Contains(e.Origin.File, "skeleton") {
			t.Errorf("entity %s read from template skeleton %s", e.Key(), e.Origin.File)
		}
	}
}

// TestLoader_Load_ExampleOrgFolder walks the example organisation's folder:
// every file the walk finds is also reached through the root Location, and
// the template skeletons are skipped.
func TestLoader_Load_ExampleOrgFolder(t *testing.T) {
	dir := filepath.Join("..", "examples", "org")
	byFile := load(t, &catalog.Loader{Roots: []string{filepath.Join(dir, "catalog-info.yaml")}}, nil)
	byFolder := load(t, &catalog.Loader{Roots: []string{dir}}, nil)
	noProblems(t, byFolder.Problems)
	if got, want := entityKeys(byFolder.Entities), entityKeys(byFile.Entities); !slices.Equal(got, want) {
		t.Errorf("walking %s found %d entities, the root Location %d; want the same", dir, len(got), len(want))
	}
	if byFolder.Parsed != byFile.Parsed {
		t.Errorf("walking %s parsed %d files, the root Location %d; want each file read once", dir, byFolder.Parsed, byFile.Parsed)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func TestLoader_Load_Canceled(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{"catalog-info.yaml": componentYAML("a", "team")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (&catalog.Loader{Roots: []string{dir}}).Load(ctx, nil); err == nil {
		t.Error("Load() with a canceled context succeeded, want an error")
	}
}

// endsAfter is a context whose Err turns to Canceled after n calls.
type endsAfter struct {
	context.Context
	n atomic.Int32
}

func (c *endsAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestLoader_Load_CanceledMidWave ends the context while a wave of files
// is being read: Load must fail, not return the files read so far as the
// catalog.
func TestLoader_Load_CanceledMidWave(t *testing.T) {
	files := map[string]string{}
	for i := range 40 {
		files[fmt.Sprintf("c%02d/catalog-info.yaml", i)] = componentYAML(fmt.Sprintf("c%02d", i), "team")
	}
	dir := writeTree(t, t.TempDir(), files)
	for _, checks := range []int{1, 2, 5, 20} {
		ctx := &endsAfter{Context: context.Background()}
		ctx.n.Store(int32(checks))
		res, err := (&catalog.Loader{Roots: []string{dir}}).Load(ctx, nil)
		if !errors.Is(err, context.Canceled) {
			n := 0
			if res != nil {
				n = len(res.Entities)
			}
			t.Errorf("context ending after %d checks: Load() = %d entities, error %v; want context.Canceled", checks, n, err)
		}
	}
}

// An unchanged load through the public Load is a whole result: the same
// entities and problems as the load before it. (A Syncer's own loads stop
// early when unchanged and serve the snapshot.)
func TestLoader_Load_UnchangedIsWhole(t *testing.T) {
	ctx := context.Background()
	comp := func(name string) string {
		return "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: " + name + "\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
	}
	dir := writeTree(t, t.TempDir(), map[string]string{
		"a/catalog-info.yaml": comp("payments-api") + "---\n" + comp("ledger"),
		"b/catalog-info.yaml": comp("refunds") + "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: bad_\n",
	})
	l := &catalog.Loader{Roots: []string{dir}}
	first, err := l.Load(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	snap := &catalog.Snapshot{Entities: first.Entities, Problems: first.Problems, Files: first.Files, Sources: l.Roots}
	again, err := l.Load(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Unchanged || again.Parsed != 0 {
		t.Fatalf("second Load(): unchanged %v, parsed %d; want unchanged, nothing parsed", again.Unchanged, again.Parsed)
	}
	keys := func(es []*catalog.Entity) (out []string) {
		for _, e := range es {
			out = append(out, e.Key())
		}
		return out
	}
	if got, want := keys(again.Entities), keys(first.Entities); !slices.Equal(got, want) || len(want) != 3 {
		t.Errorf("second Load() entities = %v, want %v", got, want)
	}
	if len(first.Problems) == 0 || !reflect.DeepEqual(again.Problems, first.Problems) {
		t.Errorf("second Load() problems = %v, want the first load's %v", again.Problems, first.Problems)
	}
}
