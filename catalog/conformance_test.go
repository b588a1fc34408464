package catalog_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/callboard/callboard/catalog"
)

// A conformance corpus holds YAML files and the verdict the real Backstage
// packages gave every document in them (see testdata/conformance/verdicts.mjs,
// which computed it). -conformance points the test at other corpora of the
// same layout, such as one generated while chasing a difference.
var conformanceDirs = flag.String("conformance",
	filepath.Join("testdata", "conformance")+","+filepath.Join("testdata", "conformance-extra"),
	"comma-separated conformance corpora: folders with cases/*.yaml and verdicts.json")

// verdict is one entry of verdicts.json.
type verdict struct {
	File    string `json:"file"`
	Doc     int    `json:"doc"`
	Valid   bool   `json:"valid"`
	Message string `json:"message"`
}

func loadVerdicts(t *testing.T, dir string) map[string][]verdict {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "verdicts.json"))
	if err != nil {
		t.Fatalf("read verdicts: %v", err)
	}
	var all []verdict
	if err := json.Unmarshal(data, &all); err != nil {
		t.Fatalf("decode verdicts.json: %v", err)
	}
	byFile := map[string][]verdict{}
	for _, v := range all {
		byFile[v.File] = append(byFile[v.File], v)
	}
	return byFile
}

// TestConformance checks that every document of the corpus gets the verdict
// Backstage gave it, and that every problem is located.
func TestConformance(t *testing.T) {
	for _, dir := range strings.Split(*conformanceDirs, ",") {
		t.Run(filepath.Base(dir), func(t *testing.T) { testConformance(t, dir) })
	}
}

func testConformance(t *testing.T, dir string) {
	byFile := loadVerdicts(t, dir)
	files := make([]string, 0, len(byFile))
	for f := range byFile {
		files = append(files, f)
	}
	sort.Strings(files)

	total, matched := 0, 0
	for _, file := range files {
		verdicts := byFile[file]
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(file)))
		if err != nil {
			t.Errorf("read %s: %v", file, err)
			continue
		}
		res := catalog.Parse(file, data)
		checkLocated(t, file, res)

		want := map[int]verdict{}
		for _, v := range verdicts {
			want[v.Doc] = v
		}
		for _, v := range verdicts {
			total++
			invalid := slices.Contains(res.Invalid, v.Doc)
			if invalid == !v.Valid {
				matched++
				continue
			}
			t.Errorf("%s doc %d: Backstage says %s, we say %s\n  Backstage: %s\n  ours:%s",
				file, v.Doc, validity(!v.Valid), validity(invalid), oneLine(v.Message), problemsOf(res, v.Doc))
		}
		// A document Backstage skips (empty, null) or never saw must not
		// be flagged either.
		for _, d := range res.Invalid {
			if _, ok := want[d]; !ok {
				t.Errorf("%s doc %d: Backstage has no verdict (an empty or absent document), we say invalid:%s", file, d, problemsOf(res, d))
			}
		}
		for _, e := range res.Entities {
			if v, ok := want[int(e.Origin.Doc)]; !ok || !v.Valid {
				t.Errorf("%s doc %d: entity %s returned, but Backstage accepts no entity there", file, e.Origin.Doc, e.Ref())
			}
		}
	}
	t.Logf("conformance: %d/%d documents match Backstage's verdict", matched, total)
	if matched != total {
		t.Errorf("conformance: %d/%d documents match Backstage's verdict", matched, total)
	}
}

// checkLocated reports problems that lack a position or a valid document
// index.
func checkLocated(t *testing.T, file string, res catalog.ParseResult) {
	t.Helper()
	for _, p := range res.Problems {
		if p.File != file {
			t.Errorf("%s: problem names file %q: %s", file, p.File, p)
		}
		if p.Doc < -1 || p.Doc >= res.Docs {
			t.Errorf("%s: problem has document index %d, file has %d documents: %s", file, p.Doc, res.Docs, p)
		}
		if p.Doc != -1 && (p.Line < 1 || p.Column < 1) {
			t.Errorf("%s doc %d: problem has no position: %s", file, p.Doc, p)
		}
		if p.IsError() && p.Doc >= 0 && !slices.Contains(res.Invalid, p.Doc) {
			t.Errorf("%s doc %d: error problem, but the document is not listed as invalid: %s", file, p.Doc, p)
		}
	}
}

func validity(invalid bool) string {
	if invalid {
		return "invalid"
	}
	return "valid"
}

func problemsOf(res catalog.ParseResult, doc int) string {
	var b strings.Builder
	for _, p := range res.Problems {
		if p.Doc == doc {
			fmt.Fprintf(&b, "\n    %s [field %q]", p, p.Field)
		}
	}
	if b.Len() == 0 {
		return " (no problems)"
	}
	return b.String()
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.ReplaceAll(s, "\n", `\n`)
}
