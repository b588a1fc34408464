package catalog_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/callboard/callboard/catalog"
)

// TestLoader_Load_FIFO: a FIFO is never opened for a read that waits for a
// writer. A glob does not match one; a target naming one is an error.
func TestLoader_Load_FIFO(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{
		"catalog-info.yaml":       locationYAML("root", "targets: [./svc/*/catalog-info.yaml, ./named.yaml]"),
		"svc/a/catalog-info.yaml": componentYAML("a", "team"),
		"svc/b/keep":              "",
	})
	for _, p := range []string{"svc/b/catalog-info.yaml", "named.yaml"} {
		if err := syscall.Mkfifo(filepath.Join(dir, p), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l := &catalog.Loader{Roots: []string{filepath.Join(dir, "catalog-info.yaml")}}
	loaded := func(prev *catalog.Snapshot) *catalog.LoadResult {
		t.Helper()
		done := make(chan *catalog.LoadResult, 1)
		go func() {
			res, err := l.Load(context.Background(), prev)
			if err != nil {
				t.Errorf("Load() error = %v", err)
			}
			done <- res
		}()
		select {
		case res := <-done:
			return res
		case <-time.After(10 * time.Second):
			t.Fatal("Load() still waiting after 10 s: a FIFO was opened for reading")
			return nil
		}
	}
	first := loaded(nil)
	again := loaded(&catalog.Snapshot{Entities: first.Entities, Problems: first.Problems, Files: first.Files, Sources: l.Roots})
	for name, res := range map[string]*catalog.LoadResult{"first load": first, "second load": again} {
		if got, want := entityKeys(res.Entities), []string{"component:default/a", "location:default/root"}; !slices.Equal(got, want) {
			t.Errorf("%s: entities %v, want %v", name, got, want)
		}
		if len(res.Problems) != 1 || !res.Problems[0].IsError() || res.Problems[0].File != filepath.Join(dir, "named.yaml") ||
			!strings.Contains(res.Problems[0].Message, "not a regular file") {
			t.Errorf("%s: problems %v, want one error: named.yaml is not a regular file", name, res.Problems)
		}
	}
}

// TestSyncer_Sync_UnreadableFileKeepsEntities: a file that cannot be read
// any more (here replaced by a FIFO) keeps its entities' last good
// versions, sync after sync, though it has no recorded state to reuse.
func TestSyncer_Sync_UnreadableFileKeepsEntities(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{
		"catalog-info.yaml": locationYAML("root", "targets: [./svc.yaml, ./other.yaml]"),
		"svc.yaml":          componentYAML("svc", "team"),
		"other.yaml":        componentYAML("other", "team"),
	})
	s, c := newSyncer([]string{filepath.Join(dir, "catalog-info.yaml")}, nil)
	syncOnce(t, s)
	svc := filepath.Join(dir, "svc.yaml")
	if err := os.Remove(svc); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(svc, 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		rep := syncOnce(t, s)
		if _, ok := c.Index().Get("component:default/svc"); !ok {
			t.Fatalf("sync %d after svc.yaml became unreadable: svc is gone (%+v)", i+1, countsOf(rep))
		}
		if rep.Errors != 1 {
			t.Errorf("sync %d: %d errors, want the one saying svc.yaml cannot be read", i+1, rep.Errors)
		}
		rewrite(t, filepath.Join(dir, "other.yaml"), withDescription(componentYAML("other", "team"), fmt.Sprint("v", i)))
	}
}
