package catalog_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/callboard/callboard/catalog"
)

// FuzzParse feeds Parse arbitrary files. Properties: it never panics;
// every problem names the file and a document of it, and is located unless
// it is about the whole file; an entity never comes from a document listed
// as invalid, and an error always lists its document as invalid; parsing
// the same input twice gives the same result.
func FuzzParse(f *testing.F) {
	// Seeds: every document of the conformance cases on its own, and the
	// small files whose point is how documents follow one another. Small
	// seeds keep the fuzzer's minimization quick.
	seeds, _ := filepath.Glob(filepath.Join("testdata", "conformance*", "cases", "*.yaml"))
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) < 2000 {
			f.Add(data)
			continue
		}
		for _, d := range bytes.Split(data, []byte("\n---\n")) {
			f.Add(d)
		}
	}
	f.Add([]byte("%YAML 1.1\n---\na: &x [*x]\n"))
	f.Add([]byte("a: 'x\n---\nb: \"y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "fuzz/catalog-info.yaml"
		res := catalog.Parse(file, data)
		for _, p := range res.Problems {
			if p.File != file {
				t.Fatalf("problem names file %q: %s", p.File, p)
			}
			if p.Doc < -1 || p.Doc >= res.Docs {
				t.Fatalf("problem in document %d of %d: %s", p.Doc, res.Docs, p)
			}
			if p.Doc != -1 && (p.Line < 1 || p.Column < 1) {
				t.Fatalf("problem without a position: %s", p)
			}
			if p.IsError() && p.Doc >= 0 && !slices.Contains(res.Invalid, p.Doc) {
				t.Fatalf("error in document %d, which is not listed as invalid: %s", p.Doc, p)
			}
		}
		for _, e := range res.Entities {
			if e.Origin.Doc < 0 || int(e.Origin.Doc) >= res.Docs || slices.Contains(res.Invalid, int(e.Origin.Doc)) {
				t.Fatalf("entity %s from document %d (of %d; invalid %v)", e.Ref(), e.Origin.Doc, res.Docs, res.Invalid)
			}
			if e.Origin.File != file || e.Origin.Line < 1 {
				t.Fatalf("entity %s has origin %+v", e.Ref(), e.Origin)
			}
		}
		for _, d := range res.Invalid {
			if d < 0 || d >= res.Docs {
				t.Fatalf("invalid document %d of %d", d, res.Docs)
			}
		}
		again := catalog.Parse(file, data)
		if !reflect.DeepEqual(res.Problems, again.Problems) || !slices.Equal(res.Invalid, again.Invalid) || len(res.Entities) != len(again.Entities) {
			t.Fatalf("a second Parse gave a different result")
		}
	})
}
