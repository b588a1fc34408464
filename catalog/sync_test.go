package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.etcd.io/bbolt"

	"github.com/callboard/callboard/catalog"
	"github.com/callboard/callboard/catalog/boltstore"
)

func newSyncer(roots []string, store catalog.Store) (*catalog.Syncer, *catalog.Catalog) {
	c := catalog.NewCatalog()
	var opts catalog.SyncerOptions
	if store != nil {
		opts.Store = store
	}
	return catalog.NewSyncer(&catalog.Loader{Roots: roots}, c, opts), c
}

func syncOnce(t *testing.T, s *catalog.Syncer) catalog.SyncReport {
	t.Helper()
	rep, err := s.Sync(context.Background())
	if err != nil {
		t.Fatalf("Sync() error = %v", err)
	}
	return rep
}

// counts is the part of a SyncReport that does not depend on timing.
type counts struct {
	Entities, Errors, Warnings, Parsed, Reused int
	Unchanged                                  bool
}

func countsOf(r catalog.SyncReport) counts {
	return counts{r.Entities, r.Errors, r.Warnings, r.Parsed, r.Reused, r.Unchanged}
}

func withDescription(doc, desc string) string {
	return strings.Replace(doc, "metadata:\n", "metadata:\n  description: "+desc+"\n", 1)
}

// smallOrg is a root Location, a glob of team files and one component file.
func smallOrg(t *testing.T) (dir, root string) {
	t.Helper()
	dir = writeTree(t, t.TempDir(), map[string]string{
		"catalog-info.yaml":     locationYAML("root", "targets: [./teams/*.yaml, ./svc/catalog-info.yaml]"),
		"teams/payments.yaml":   groupYAML("payments"),
		"teams/ledger.yaml":     groupYAML("ledger"),
		"svc/catalog-info.yaml": docs(withDescription(componentYAML("payments-api", "payments"), "v1"), componentYAML("ledger-service", "ledger")),
	})
	return dir, filepath.Join(dir, "catalog-info.yaml")
}

func description(t *testing.T, ix *catalog.Index, key string) string {
	t.Helper()
	e, ok := ix.Get(key)
	if !ok {
		t.Fatalf("Get(%q) found nothing; index has %v", key, keysOf(ix.All()))
	}
	return e.Metadata.Description
}

func TestSyncer_Sync(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, dir string)
		want   counts
		check  func(t *testing.T, ix *catalog.Index)
	}{
		{
			name:   "nothing changed: no file is read",
			change: func(t *testing.T, dir string) {},
			want:   counts{Entities: 5, Reused: 4, Unchanged: true},
		},
		{
			name: "a changed file is read alone",
			change: func(t *testing.T, dir string) {
				rewrite(t, filepath.Join(dir, "svc", "catalog-info.yaml"),
					docs(withDescription(componentYAML("payments-api", "ledger"), "v2"), componentYAML("ledger-service", "ledger")))
			},
			want: counts{Entities: 5, Parsed: 1, Reused: 3},
			check: func(t *testing.T, ix *catalog.Index) {
				if got := description(t, ix, "component:default/payments-api"); got != "v2" {
					t.Errorf("payments-api description = %q, want v2", got)
				}
				if got := keysOf(ix.ByOwner("group:default/ledger")); !slices.Equal(got, []string{"component:default/ledger-service", "component:default/payments-api"}) {
					t.Errorf("ByOwner(%q) = %v, want both components", "group:default/ledger", got)
				}
				if got := keysOf(ix.ByOwner("group:default/payments")); got != nil {
					t.Errorf("ByOwner(%q) = %v, want nothing", "group:default/payments", got)
				}
			},
		},
		{
			name: "a file added to a glob is read alone",
			change: func(t *testing.T, dir string) {
				writeTree(t, dir, map[string]string{"teams/risk.yaml": groupYAML("risk")})
			},
			want: counts{Entities: 6, Parsed: 1, Reused: 4},
		},
		{
			name: "a removed file's entities disappear",
			change: func(t *testing.T, dir string) {
				if err := os.Remove(filepath.Join(dir, "teams", "ledger.yaml")); err != nil {
					t.Fatal(err)
				}
			},
			// ledger-service's owner now dangles.
			want: counts{Entities: 4, Warnings: 1, Reused: 3},
			check: func(t *testing.T, ix *catalog.Index) {
				if _, ok := ix.Get("group:default/ledger"); ok {
					t.Error("group:default/ledger is still in the catalog")
				}
				p := onlyProblem(t, ix.Problems())
				if p.Code != catalog.CodeDangling || p.Field != "spec.owner" || p.Name != "ledger-service" || p.Line != 18 {
					t.Errorf("problem = %s, want a dangling spec.owner of ledger-service at line 18", p)
				}
			},
		},
		{
			name: "a removed required target is an error",
			change: func(t *testing.T, dir string) {
				if err := os.Remove(filepath.Join(dir, "svc", "catalog-info.yaml")); err != nil {
					t.Fatal(err)
				}
			},
			want: counts{Entities: 3, Errors: 1, Reused: 3},
			check: func(t *testing.T, ix *catalog.Index) {
				p := onlyProblem(t, ix.Problems())
				if p.Code != catalog.CodeLocation || p.Field != "spec.targets[1]" || p.Line != 6 {
					t.Errorf("problem = %s, want a missing spec.targets[1] at line 6", p)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, root := smallOrg(t)
			s, c := newSyncer([]string{root}, nil)
			first := syncOnce(t, s)
			if got, want := countsOf(first), (counts{Entities: 5, Parsed: 4}); got != want {
				t.Fatalf("first Sync() = %+v, want %+v", got, want)
			}
			before := c.Index()
			tt.change(t, dir)
			rep := syncOnce(t, s)
			if got := countsOf(rep); got != tt.want {
				t.Errorf("second Sync() = %+v, want %+v; problems:%s", got, tt.want, problemLines(c.Index().Problems()))
			}
			if tt.want.Unchanged != (c.Index() == before) {
				t.Errorf("second Sync() swapped the index: %v, want %v", c.Index() != before, !tt.want.Unchanged)
			}
			if before.Len() != 5 || description(t, before, "component:default/payments-api") != "v1" {
				t.Errorf("the first index changed under its readers")
			}
			if tt.check != nil {
				tt.check(t, c.Index())
			}
		})
	}
}

func TestSyncer_Sync_KeepsLastGoodVersion(t *testing.T) {
	good := docs(withDescription(componentYAML("payments-api", "payments"), "v1"), withDescription(componentYAML("ledger-service", "payments"), "v1"))
	tests := []struct {
		name      string
		broken    string
		wantKept  []string // keys kept at v1
		wantNewer []string // keys at v2
	}{
		{
			name:     "YAML syntax error",
			broken:   "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: [payments-api\n",
			wantKept: []string{"component:default/ledger-service", "component:default/payments-api"},
		},
		{
			name: "one invalid document",
			broken: docs(
				withDescription(strings.Replace(componentYAML("payments-api", "payments"), "  owner: payments\n", "", 1), "v2"),
				withDescription(componentYAML("ledger-service", "payments"), "v2")),
			wantKept:  []string{"component:default/payments-api"},
			wantNewer: []string{"component:default/ledger-service"},
		},
		{
			name: "YAML error in one document",
			broken: docs(
				withDescription(componentYAML("payments-api", "payments"), "v2"),
				"kind: [Component\n"),
			wantKept:  []string{"component:default/ledger-service"},
			wantNewer: []string{"component:default/payments-api"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, t.TempDir(), map[string]string{
				"catalog-info.yaml": locationYAML("root", "targets: [./svc.yaml, ./team.yaml]"),
				"svc.yaml":          good,
				"team.yaml":         groupYAML("payments"),
			})
			s, c := newSyncer([]string{filepath.Join(dir, "catalog-info.yaml")}, nil)
			syncOnce(t, s)

			check := func(when string) {
				t.Helper()
				ix := c.Index()
				for _, k := range tt.wantKept {
					if got := description(t, ix, k); got != "v1" {
						t.Errorf("%s: %s description = %q, want the last good v1", when, k, got)
					}
				}
				for _, k := range tt.wantNewer {
					if got := description(t, ix, k); got != "v2" {
						t.Errorf("%s: %s description = %q, want v2", when, k, got)
					}
				}
				if got := keysOf(ix.ByOwner("group:default/payments")); len(got) != 2 {
					t.Errorf("%s: ByOwner(%q) = %v, want both components", when, "group:default/payments", got)
				}
				var kept []string
				for _, p := range ix.Problems() {
					if !p.IsError() && strings.Contains(p.Message, "last good version") {
						kept = append(kept, "component:default/"+p.Name)
						if p.File != filepath.Join(dir, "svc.yaml") || p.Line < 1 {
							t.Errorf("%s: warning %s, want it located in svc.yaml", when, p)
						}
					}
				}
				slices.Sort(kept)
				if !slices.Equal(kept, tt.wantKept) {
					t.Errorf("%s: kept-version warnings for %v, want %v; problems:%s", when, kept, tt.wantKept, problemLines(ix.Problems()))
				}
				if ix.Problems().Errors() == 0 {
					t.Errorf("%s: no error reported for the broken file", when)
				}
			}

			rewrite(t, filepath.Join(dir, "svc.yaml"), tt.broken)
			rep := syncOnce(t, s)
			if rep.Parsed != 1 {
				t.Errorf("Sync() after breaking svc.yaml parsed %d files, want 1", rep.Parsed)
			}
			check("broken")

			rep = syncOnce(t, s)
			if !rep.Unchanged || rep.Parsed != 0 {
				t.Errorf("Sync() again = %+v, want unchanged", countsOf(rep))
			}
			check("still broken")

			rewrite(t, filepath.Join(dir, "svc.yaml"), tt.broken+"\n# edited\n")
			syncOnce(t, s)
			check("broken and edited")

			fixed := docs(withDescription(componentYAML("payments-api", "payments"), "v3"))
			rewrite(t, filepath.Join(dir, "svc.yaml"), fixed)
			rep = syncOnce(t, s)
			if rep.Errors != 0 || rep.Warnings != 0 {
				t.Errorf("Sync() after the fix: problems:%s\nwant none", problemLines(c.Index().Problems()))
			}
			if got := description(t, c.Index(), "component:default/payments-api"); got != "v3" {
				t.Errorf("fixed: payments-api description = %q, want v3", got)
			}
			if _, ok := c.Index().Get("component:default/ledger-service"); ok {
				t.Errorf("fixed: ledger-service, removed from a valid file, is still in the catalog")
			}
		})
	}
}

// conflictOrg has one component defined in two files, a.yaml listed first.
func conflictOrg(t *testing.T) (dir, root string) {
	t.Helper()
	dir = writeTree(t, t.TempDir(), map[string]string{
		"catalog-info.yaml": locationYAML("root", "targets: [./a.yaml, ./b.yaml, ./other.yaml]"),
		"a.yaml":            docs(withDescription(componentYAML("svc", "team"), "from-a"), groupYAML("team")),
		"b.yaml":            docs(groupYAML("b-team"), withDescription(componentYAML("svc", "team"), "from-b")),
		"other.yaml":        componentYAML("other", "team"),
	})
	return dir, filepath.Join(dir, "catalog-info.yaml")
}

// wantOwner fails unless component:default/svc comes from file and the other
// file's copy is reported as the one conflict.
func wantOwner(t *testing.T, when string, ix *catalog.Index, dir, owner, loser string) {
	t.Helper()
	if got := description(t, ix, "component:default/svc"); got != "from-"+strings.TrimSuffix(owner, ".yaml") {
		t.Errorf("%s: svc description = %q, want the one in %s", when, got, owner)
	}
	var conflicts catalog.Problems
	for _, p := range ix.Problems() {
		if p.Code == catalog.CodeConflict {
			conflicts = append(conflicts, p)
		}
	}
	if len(conflicts) != 1 {
		t.Errorf("%s: conflicts:%s\nwant one in %s", when, problemLines(conflicts), loser)
		return
	}
	p := conflicts[0]
	if p.File != filepath.Join(dir, loser) || !strings.Contains(p.Message, filepath.Join(dir, owner)) {
		t.Errorf("%s: conflict = %s, want it in %s naming %s", when, p, loser, owner)
	}
}

func TestSyncer_Sync_Conflicts(t *testing.T) {
	t.Run("previous owner keeps the entity when discovery order changes", func(t *testing.T) {
		dir, root := conflictOrg(t)
		s, c := newSyncer([]string{root}, nil)
		syncOnce(t, s)
		wantOwner(t, "first sync", c.Index(), dir, "a.yaml", "b.yaml")

		rewrite(t, root, locationYAML("root", "targets: [./b.yaml, ./a.yaml, ./other.yaml]"))
		syncOnce(t, s)
		wantOwner(t, "after reordering", c.Index(), dir, "a.yaml", "b.yaml")

		// A fresh Syncer has no previous owner: discovery order decides.
		fresh, fc := newSyncer([]string{root}, nil)
		syncOnce(t, fresh)
		wantOwner(t, "fresh syncer", fc.Index(), dir, "b.yaml", "a.yaml")
	})
	t.Run("conflict is still reported after an unrelated change", func(t *testing.T) {
		dir, root := conflictOrg(t)
		s, c := newSyncer([]string{root}, nil)
		syncOnce(t, s)
		rep := syncOnce(t, s)
		if !rep.Unchanged || rep.Errors != 1 {
			t.Errorf("unchanged Sync() = %+v, want unchanged with the conflict error", countsOf(rep))
		}
		wantOwner(t, "unchanged", c.Index(), dir, "a.yaml", "b.yaml")

		rewrite(t, filepath.Join(dir, "other.yaml"), withDescription(componentYAML("other", "team"), "edited"))
		rep = syncOnce(t, s)
		if rep.Parsed != 1 || rep.Errors != 1 {
			t.Errorf("Sync() after editing other.yaml = %+v, want 1 file parsed and the conflict error", countsOf(rep))
		}
		wantOwner(t, "after editing other.yaml", c.Index(), dir, "a.yaml", "b.yaml")
	})
	t.Run("the other definition takes over when the owner drops it", func(t *testing.T) {
		dir, root := conflictOrg(t)
		s, c := newSyncer([]string{root}, nil)
		syncOnce(t, s)
		rewrite(t, filepath.Join(dir, "a.yaml"), groupYAML("team"))
		rep := syncOnce(t, s)
		if rep.Errors != 0 {
			t.Errorf("Sync() after removing svc from a.yaml: problems:%s\nwant none", problemLines(c.Index().Problems()))
		}
		if got := description(t, c.Index(), "component:default/svc"); got != "from-b" {
			t.Errorf("svc description = %q, want from-b", got)
		}
	})
	t.Run("the owner's file is removed", func(t *testing.T) {
		dir, root := conflictOrg(t)
		s, c := newSyncer([]string{root}, nil)
		syncOnce(t, s)
		rewrite(t, root, locationYAML("root", "targets: [./b.yaml, ./other.yaml]"))
		if err := os.Remove(filepath.Join(dir, "a.yaml")); err != nil {
			t.Fatal(err)
		}
		syncOnce(t, s)
		if got := description(t, c.Index(), "component:default/svc"); got != "from-b" {
			t.Errorf("svc description = %q, want from-b", got)
		}
	})
}

// TestSyncer_Open restarts from a bbolt store: the stored snapshot is served
// before any source is read, and the first sync reuses every unchanged file.
func TestSyncer_Open(t *testing.T) {
	ctx := context.Background()
	dir, root := smallOrg(t)
	store := boltstore.New(openBolt(t, filepath.Join(t.TempDir(), "callboard.db")))

	empty, _ := newSyncer([]string{root}, store)
	if found, err := empty.Open(ctx); found || err != nil {
		t.Fatalf("Open() on an empty store = %v, %v; want false, nil", found, err)
	}
	s, _ := newSyncer([]string{root}, store)
	syncOnce(t, s)

	t.Run("same roots", func(t *testing.T) {
		s2, c2 := newSyncer([]string{root}, store)
		if found, err := s2.Open(ctx); !found || err != nil {
			t.Fatalf("Open() = %v, %v; want the stored snapshot", found, err)
		}
		if n := c2.Index().Len(); n != 5 {
			t.Errorf("after Open(), Len() = %d, want 5", n)
		}
		if got := keysOf(c2.Index().ByOwner("group:default/payments")); !slices.Equal(got, []string{"component:default/payments-api"}) {
			t.Errorf("after Open(), ByOwner(%q) = %v, want payments-api", "group:default/payments", got)
		}
		rep := syncOnce(t, s2)
		if got, want := countsOf(rep), (counts{Entities: 5, Reused: 4, Unchanged: true}); got != want {
			t.Errorf("Sync() after Open() = %+v, want %+v", got, want)
		}
	})
	t.Run("other roots", func(t *testing.T) {
		s2, c2 := newSyncer([]string{filepath.Join(dir, "teams")}, store)
		if found, err := s2.Open(ctx); !found || err != nil {
			t.Fatalf("Open() = %v, %v; want the stored snapshot", found, err)
		}
		if n := c2.Index().Len(); n != 5 {
			t.Errorf("after Open(), Len() = %d, want the stored 5 until the first sync", n)
		}
		rep := syncOnce(t, s2)
		if rep.Unchanged || rep.Reused != 0 {
			t.Errorf("Sync() of other roots = %+v, want nothing reused", countsOf(rep))
		}
	})
}

// TestSyncer_Open_Conflicts restarts from a store holding a conflict: the
// copy that lost is not stored, yet it must take over when the owner drops
// the entity.
func TestSyncer_Open_Conflicts(t *testing.T) {
	dir, root := conflictOrg(t)
	store := boltstore.New(openBolt(t, filepath.Join(t.TempDir(), "callboard.db")))
	s, _ := newSyncer([]string{root}, store)
	syncOnce(t, s)

	s2, c2 := newSyncer([]string{root}, store)
	if found, err := s2.Open(context.Background()); !found || err != nil {
		t.Fatalf("Open() = %v, %v; want the stored snapshot", found, err)
	}
	syncOnce(t, s2)
	wantOwner(t, "after restart", c2.Index(), dir, "a.yaml", "b.yaml")

	rewrite(t, filepath.Join(dir, "a.yaml"), groupYAML("team"))
	syncOnce(t, s2)
	if got := description(t, c2.Index(), "component:default/svc"); got != "from-b" {
		t.Errorf("svc description = %q, want from-b", got)
	}
}

func openBolt(t *testing.T, path string) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// failingStore is a Store whose Save always fails.
type failingStore struct{}

var errDiskFull = errors.New("disk full")

func (failingStore) Load(context.Context) (*catalog.Snapshot, error) {
	return nil, catalog.ErrNoSnapshot
}
func (failingStore) Save(context.Context, *catalog.Snapshot) error { return errDiskFull }

func TestSyncer_Sync_StoreFails(t *testing.T) {
	_, root := smallOrg(t)
	s, c := newSyncer([]string{root}, failingStore{})
	rep, err := s.Sync(context.Background())
	if !errors.Is(err, errDiskFull) {
		t.Errorf("Sync() error = %v, want %v", err, errDiskFull)
	}
	if rep.Entities != 5 || c.Index().Len() != 5 {
		t.Errorf("Sync() = %+v, index has %d entities; want the new snapshot served anyway", countsOf(rep), c.Index().Len())
	}
}

// TestSyncer_Sync_ConcurrentReaders runs readers against the Catalog while
// Syncs replace it; run with -race. Every generation of the file describes
// all its components with the same word, so a reader can tell a torn
// snapshot.
func TestSyncer_Sync_ConcurrentReaders(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{
		"catalog-info.yaml": locationYAML("root", "targets: [./team.yaml, ./svc.yaml]"),
		"team.yaml":         groupYAML("team"),
		"svc.yaml":          generation(0),
	})
	s, c := newSyncer([]string{filepath.Join(dir, "catalog-info.yaml")}, nil)
	syncOnce(t, s)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := checkGeneration(c.Index()); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	// A second writer: Syncs may also run concurrently with each other.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if _, err := s.Sync(ctx); err != nil && ctx.Err() == nil {
				errs <- err
				return
			}
		}
	}()
	for g := 1; g <= 20; g++ {
		rewrite(t, filepath.Join(dir, "svc.yaml"), generation(g))
		syncOnce(t, s)
	}
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := checkGeneration(c.Index()); err != nil {
		t.Error(err)
	}
	if got := len(c.Index().ByOwner("group:default/team")); got != 21 {
		t.Errorf("after the last sync, ByOwner(%q) has %d entities, want 21", "group:default/team", got)
	}
}

// generation g is a file of g+1 components described as "gen<g>".
func generation(g int) string {
	var ds []string
	for i := 0; i <= g; i++ {
		ds = append(ds, withDescription(componentYAML(fmt.Sprintf("svc-%d", i), "team"), fmt.Sprintf("gen%d", g)))
	}
	return docs(ds...)
}

func checkGeneration(ix *catalog.Index) error {
	owned := ix.ByOwner("group:default/team")
	if len(owned) == 0 {
		return errors.New("ByOwner(group:default/team) is empty")
	}
	gen := owned[0].Metadata.Description
	if want := fmt.Sprintf("gen%d", len(owned)-1); gen != want {
		return fmt.Errorf("snapshot with %d components describes them as %q, want %q", len(owned), gen, want)
	}
	for _, e := range owned {
		if e.Metadata.Description != gen {
			return fmt.Errorf("torn snapshot: %s is %q, %s is %q", owned[0].Key(), gen, e.Key(), e.Metadata.Description)
		}
		if got, ok := ix.Get(e.Key()); !ok || got != e {
			return fmt.Errorf("Get(%q) = %v, %v; want the entity ByOwner returned", e.Key(), got, ok)
		}
		if !slices.Contains(e.RelationTargets(catalog.RelOwnedBy), "group:default/team") {
			return fmt.Errorf("%s relations = %v, want ownedBy group:default/team", e.Key(), e.Relations)
		}
	}
	if _, total := ix.Search(gen, 1); total != len(owned) {
		return fmt.Errorf("Search(%q) total = %d, want %d", gen, total, len(owned))
	}
	if ix.Len() != len(owned)+2 {
		return fmt.Errorf("Len() = %d with %d components, want components + group + Location", ix.Len(), len(owned))
	}
	return nil
}

// TestSyncer_Run syncs on every tick until the context ends.
func TestSyncer_Run(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir, root := smallOrg(t)
		s, c := newSyncer([]string{root}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			s.Run(ctx, time.Minute, nil)
			close(done)
		}()

		synctest.Wait()
		if n := c.Index().Len(); n != 0 {
			t.Errorf("before the first tick, Len() = %d, want 0", n)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := c.Index().Len(); n != 5 {
			t.Errorf("after the first tick, Len() = %d, want 5", n)
		}
		writeTree(t, dir, map[string]string{"teams/risk.yaml": groupYAML("risk")})
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := c.Index().Len(); n != 6 {
			t.Errorf("after the second tick, Len() = %d, want 6", n)
		}
		cancel()
		<-done
	})
}

// TestSyncer_Sync_OriginChanges reaches an unchanged file through another
// root Location: the reused entity gets the new origin, and the index
// readers already hold keeps the old one.
func TestSyncer_Sync_OriginChanges(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{
		"first.yaml":  locationYAML("first", "targets: []"),
		"second.yaml": locationYAML("second", "targets: [./svc.yaml]"),
		"svc.yaml":    componentYAML("svc", "team"),
	})
	first, second := filepath.Join(dir, "first.yaml"), filepath.Join(dir, "second.yaml")
	s, c := newSyncer([]string{first, second}, nil)
	syncOnce(t, s)
	old := c.Index()

	rewrite(t, first, locationYAML("first", "targets: [./svc.yaml]"))
	rep := syncOnce(t, s)
	if rep.Parsed != 1 || rep.Reused != 2 {
		t.Errorf("Sync() = %+v, want first.yaml parsed and the rest reused", countsOf(rep))
	}
	origin := func(ix *catalog.Index) string {
		e, ok := ix.Get("component:default/svc")
		if !ok {
			t.Fatalf("Get(%q) found nothing", "component:default/svc")
		}
		return e.Annotation(catalog.AnnotationManagedByOriginLocation)
	}
	if got := origin(c.Index()); got != "file:"+first {
		t.Errorf("svc origin = %q, want file:%s", got, first)
	}
	if got := origin(old); got != "file:"+second {
		t.Errorf("in the old index, svc origin = %q, want file:%s", got, second)
	}
}

func TestSyncer_Sync_UnreadableRootKeepsSnapshot(t *testing.T) {
	dir := t.TempDir()
	org := filepath.Join(dir, "org")
	if err := os.MkdirAll(org, 0o755); err != nil {
		t.Fatal(err)
	}
	doc := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: svc}\nspec: {type: service, lifecycle: production, owner: team}\n"
	if err := os.WriteFile(filepath.Join(org, "catalog-info.yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	c := catalog.NewCatalog()
	s := catalog.NewSyncer(&catalog.Loader{Roots: []string{org}}, c, catalog.SyncerOptions{})
	if _, err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(org, org+".moved"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sync(context.Background()); !errors.Is(err, catalog.ErrSourceUnreadable) {
		t.Fatalf("Sync with the root gone = %v, want ErrSourceUnreadable", err)
	}
	if _, ok := c.Index().Get("component:default/svc"); !ok {
		t.Error("the last snapshot was dropped when its root became unreadable")
	}
}

// TestSyncer_Sync_WorkingFolderChanges syncs a relative root, then the
// same files (same sizes and times) in another working folder: they are
// reused, but their location annotations change, so the sync is not
// unchanged and the index serves the new locations.
func TestSyncer_Sync_WorkingFolderChanges(t *testing.T) {
	files := map[string]string{
		"org/catalog-info.yaml": locationYAML("root", "targets: [./svc.yaml]"),
		"org/svc.yaml":          componentYAML("svc", "team"),
	}
	a, b := writeTree(t, t.TempDir(), files), writeTree(t, t.TempDir(), files)
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, dir := range []string{a, b} {
		for rel := range files {
			if err := os.Chtimes(filepath.Join(dir, rel), when, when); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Chdir(a)
	s, c := newSyncer([]string{"org/catalog-info.yaml"}, nil)
	syncOnce(t, s)
	t.Chdir(b)
	rep := syncOnce(t, s)
	if rep.Unchanged || rep.Parsed != 0 || rep.Reused != 2 {
		t.Errorf("Sync() in another folder = %+v, want both files reused and the sync not unchanged", countsOf(rep))
	}
	e, ok := c.Index().Get("component:default/svc")
	if !ok {
		t.Fatal("svc is gone")
	}
	want := "file:" + filepath.Join(b, "org", "svc.yaml")
	if got := e.Annotation(catalog.AnnotationManagedByLocation); got != want {
		t.Errorf("svc location = %q, want %q", got, want)
	}
}
