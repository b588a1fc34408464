package boltstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/callboard/callboard/catalog"
	"github.com/callboard/callboard/catalog/catalogtest"
)

// benchEntities is the size of a generated organisation of 100,000
// components.
const benchEntities = 190_000

func openDB(tb testing.TB, path string) *bbolt.DB {
	tb.Helper()
	// The options cmd/callboard opens the store with.
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, InitialMmapSize: 1 << 30, FreelistType: bbolt.FreelistMapType, PageSize: 16 << 10})
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	return db
}

func tempStore(tb testing.TB) (*Store, *bbolt.DB) {
	tb.Helper()
	db := openDB(tb, filepath.Join(tb.TempDir(), "callboard.db"))
	tb.Cleanup(func() { db.Close() })
	return New(db), db
}

// reportCPU reports the process CPU time per operation, which unlike
// wall-clock time does not grow when other processes compete for the cores.
func reportCPU(b *testing.B, cpu time.Duration, ops int) {
	if cpu > 0 {
		b.ReportMetric(cpu.Seconds()/float64(ops), "cpu-s/op")
	}
}

// syntheticSnapshot builds a related snapshot of n entities in memory,
// shaped like a generated organisation: mostly components, APIs and
// resources, one file per component folder, a few hundred warnings. Spec
// values are the types JSON gives back (strings, lists, maps, bools), so a
// round trip through the store compares equal.
func syntheticSnapshot(n int) *catalog.Snapshot {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	snap := &catalog.Snapshot{
		Sources:  []string{"/srv/org/catalog-info.yaml"},
		SyncedAt: time.Date(2025, 11, 24, 15, 4, 5, 123456789, time.UTC),
	}
	kinds := []string{catalog.KindComponent, catalog.KindComponent, catalog.KindComponent, catalog.KindComponent,
		catalog.KindComponent, catalog.KindAPI, catalog.KindAPI, catalog.KindResource, catalog.KindResource, catalog.KindUser}
	files := 0
	for i := range n {
		kind := kinds[i%len(kinds)]
		if i%40 == 0 {
			kind = catalog.KindGroup
		}
		name := fmt.Sprintf("%s-%s-%06d", []string{"payments", "billing", "ledger", "search"}[r.IntN(4)], strings.ToLower(kind), i)
		if kind == catalog.KindComponent || files == 0 {
			files++
		}
		file := fmt.Sprintf("/srv/org/components/c%06d/catalog-info.yaml", files)
		e := &catalog.Entity{
			APIVersion: "backstage.io/v1alpha1",
			Kind:       kind,
			Metadata: catalog.Metadata{
				Name:        name,
				Namespace:   catalog.DefaultNamespace,
				Title:       strings.ToUpper(name[:1]) + name[1:],
				Description: fmt.Sprintf("Handles %d pending payments for the EU and US regions, behind the api-gateway.", r.IntN(1000)),
				Annotations: catalog.KeyValuesOf(map[string]string{
					catalog.AnnotationProjectSlug:             "acme/" + name,
					catalog.AnnotationTechDocsRef:             "dir:.",
					catalog.AnnotationManagedByLocation:       "file:" + file,
					catalog.AnnotationManagedByOriginLocation: "file:/srv/org/catalog-info.yaml",
					catalog.AnnotationSourceLocation:          "file:" + filepath.Dir(file) + "/",
				}),
				Tags:  []string{"go", fmt.Sprintf("tier-%d", 1+r.IntN(3))},
				Links: []catalog.Link{{URL: "https://github.com/acme/" + name, Title: "Repository", Icon: "github"}},
			},
			Spec: catalog.MustSpec(map[string]any{
				"type":      "service",
				"lifecycle": "production",
				"owner":     fmt.Sprintf("group:team-%d", r.IntN(n/40+1)),
				"system":    fmt.Sprintf("system-%d", r.IntN(n/100+1)),
				"dependsOn": []any{fmt.Sprintf("component:dep-%d", r.IntN(n)), fmt.Sprintf("resource:res-%d", r.IntN(n))},
				"profile":   map[string]any{"email": name + "@acme.example", "verified": true},
			}),
			Relations: []catalog.Relation{
				{Type: catalog.RelDependsOn, TargetRef: fmt.Sprintf("component:default/dep-%d", r.IntN(n))},
				{Type: catalog.RelOwnedBy, TargetRef: fmt.Sprintf("group:default/team-%d", r.IntN(n/40+1))},
				{Type: catalog.RelPartOf, TargetRef: fmt.Sprintf("system:default/system-%d", r.IntN(n/100+1))},
			},
			Origin: catalog.Origin{File: file, Doc: int32(i % 3), Line: int32(1 + 40*(i%3))},
		}
		if i%7 == 0 {
			e.Metadata.Labels = catalog.KeyValues{{Key: "tier", Value: "1"}}
		}
		snap.Entities = append(snap.Entities, e)
		if i%500 == 0 {
			snap.Problems = append(snap.Problems, catalog.Problem{
				File: file, Doc: 0, Line: 12, Column: 5, Severity: catalog.SeverityWarning,
				Kind: kind, Name: name, Field: "spec.owner", Code: "dangling-ref",
				Message: fmt.Sprintf("spec.owner %q refers to group team-x, which is not in the catalog", name),
			})
		}
	}
	for i := 1; i <= files; i++ {
		snap.Files = append(snap.Files, catalog.FileState{
			Path: fmt.Sprintf("/srv/org/components/c%06d/catalog-info.yaml", i), Size: 900 + int64(r.IntN(4000)), ModTime: 1732460645e9 + int64(i),
		})
	}
	return snap
}

func BenchmarkSave(b *testing.B) {
	ctx := context.Background()
	snap := syntheticSnapshot(benchEntities)
	b.Run("into=empty", func(b *testing.B) {
		var peak uint64
		var took, cpu time.Duration
		ops := 0
		for b.Loop() {
			b.StopTimer()
			s, db := tempStore(b)
			heap := catalogtest.StartHeapSampler(10 * time.Millisecond)
			start, cpu0 := time.Now(), catalogtest.ProcessCPU()
			b.StartTimer()
			if err := s.Save(ctx, snap); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			took, cpu = took+time.Since(start), cpu+catalogtest.ProcessCPU()-cpu0
			peak = max(peak, heap.Stop())
			ops++
			db.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(benchEntities)*float64(ops)/took.Seconds(), "entities/s")
		b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
		reportCPU(b, cpu, ops)
	})
	b.Run("into=previous", func(b *testing.B) {
		s, _ := tempStore(b)
		if err := s.Save(ctx, snap); err != nil {
			b.Fatal(err)
		}
		heap := catalogtest.StartHeapSampler(10 * time.Millisecond)
		cpu0 := catalogtest.ProcessCPU()
		ops := 0
		for b.Loop() {
			if err := s.Save(ctx, snap); err != nil {
				b.Fatal(err)
			}
			ops++
		}
		reportCPU(b, catalogtest.ProcessCPU()-cpu0, ops)
		b.ReportMetric(float64(heap.Stop())/1e6, "peak-heap-MB")
		b.ReportMetric(float64(benchEntities)*float64(ops)/b.Elapsed().Seconds(), "entities/s")
	})
}

func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	s, _ := tempStore(b)
	if err := s.Save(ctx, syntheticSnapshot(benchEntities)); err != nil {
		b.Fatal(err)
	}
	heap := catalogtest.StartHeapSampler(10 * time.Millisecond)
	cpu0 := catalogtest.ProcessCPU()
	ops := 0
	for b.Loop() {
		snap, err := s.Load(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(snap.Entities) != benchEntities {
			b.Fatalf("Load() = %d entities, want %d", len(snap.Entities), benchEntities)
		}
		ops++
	}
	reportCPU(b, catalogtest.ProcessCPU()-cpu0, ops)
	b.ReportMetric(float64(heap.Stop())/1e6, "peak-heap-MB")
	b.ReportMetric(float64(benchEntities)*float64(ops)/b.Elapsed().Seconds(), "entities/s")
}

// sortedByKey is what Load returns: entities in key order.
func sortedByKey(es []*catalog.Entity) []*catalog.Entity {
	out := slices.Clone(es)
	slices.SortFunc(out, func(a, b *catalog.Entity) int { return strings.Compare(a.Key(), b.Key()) })
	return out
}

// checkStored loads s, checks it holds want and returns what it loaded.
func checkStored(t *testing.T, s *Store, want *catalog.Snapshot) *catalog.Snapshot {
	t.Helper()
	got, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, got, want)
	return got
}

func checkSnapshot(t *testing.T, got, want *catalog.Snapshot) {
	t.Helper()
	wantEntities := sortedByKey(want.Entities)
	if len(got.Entities) != len(wantEntities) {
		t.Fatalf("Load() = %d entities, want %d", len(got.Entities), len(wantEntities))
	}
	for i, w := range wantEntities {
		// Loaded entities carry their stored key; compare with copies
		// that do too.
		want := *w
		if err := want.UseStoredKey(w.Key()); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Entities[i], &want) {
			t.Fatalf("Load() entity %d = %+v\nwant %+v", i, got.Entities[i], &want)
		}
	}
	if !reflect.DeepEqual(got.Problems, want.Problems) {
		t.Errorf("Load() problems = %v, want %v", got.Problems, want.Problems)
	}
	if !slices.Equal(got.Files, want.Files) {
		t.Errorf("Load() files = %v, want %v, in the order saved", got.Files, want.Files)
	}
	if !slices.Equal(got.Sources, want.Sources) {
		t.Errorf("Load() sources = %v, want %v", got.Sources, want.Sources)
	}
	if !got.SyncedAt.Equal(want.SyncedAt) {
		t.Errorf("Load() synced at %v, want %v", got.SyncedAt, want.SyncedAt)
	}
}

func TestStore_SaveLoad(t *testing.T) {
	ctx := context.Background()
	s, _ := tempStore(t)
	first := syntheticSnapshot(2000)
	slices.Reverse(first.Files) // out of order: Load returns them as saved
	if err := s.Save(ctx, first); err != nil {
		t.Fatal(err)
	}
	checkStored(t, s, first)

	t.Run("second save replaces the first", func(t *testing.T) {
		second := syntheticSnapshot(2000)
		gone := second.Entities[1]
		second.Entities = slices.Delete(second.Entities, 1, 2)
		second.Problems = second.Problems[1:]
		second.Files = second.Files[:len(second.Files)-1]
		second.Sources = []string{"/srv/other/catalog-info.yaml", "/srv/more"}
		second.SyncedAt = first.SyncedAt.Add(time.Hour)
		if err := s.Save(ctx, second); err != nil {
			t.Fatal(err)
		}
		got := checkStored(t, s, second)
		for _, e := range got.Entities {
			if e.Key() == gone.Key() {
				t.Errorf("Load() still has %s, removed by the second Save", gone.Key())
			}
		}
	})
}

func TestStore_LoadNoSnapshot(t *testing.T) {
	ctx := context.Background()
	t.Run("fresh file", func(t *testing.T) {
		s, _ := tempStore(t)
		if _, err := s.Load(ctx); !errors.Is(err, catalog.ErrNoSnapshot) {
			t.Errorf("Load() error = %v, want ErrNoSnapshot", err)
		}
	})
	t.Run("other schema version", func(t *testing.T) {
		s, db := tempStore(t)
		if err := s.Save(ctx, syntheticSnapshot(10)); err != nil {
			t.Fatal(err)
		}
		err := db.Update(func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(keySchema, []byte(fmt.Sprint(SchemaVersion+1)))
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(ctx); !errors.Is(err, catalog.ErrNoSnapshot) {
			t.Errorf("Load() error = %v, want ErrNoSnapshot", err)
		}
	})
}

// stopAfter is a context whose Err turns to Canceled after n calls: a save
// cut short at a chosen point, as by a crash between two transactions.
type stopAfter struct {
	context.Context
	n int
}

func (c *stopAfter) Err() error {
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

func snapshotBuckets(t *testing.T, db *bbolt.DB) int {
	t.Helper()
	n := 0
	err := db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
			if _, ok := generationOf(name); ok {
				n++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStore_SaveCutShort(t *testing.T) {
	ctx := context.Background()
	s, db := tempStore(t)
	s.chunk = 100
	first := syntheticSnapshot(1000)
	if err := s.Save(ctx, first); err != nil {
		t.Fatal(err)
	}
	second := syntheticSnapshot(1500)
	second.SyncedAt = first.SyncedAt.Add(time.Hour)
	// Cut after the first transaction, in the middle of the entities and
	// just before the switch.
	for _, at := range []int{1, 5, 15} {
		err := s.Save(&stopAfter{Context: ctx, n: at}, second)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Save cut after %d checks: error %v, want context.Canceled", at, err)
		}
		checkStored(t, s, first)
	}
	if err := s.Save(ctx, second); err != nil {
		t.Fatal(err)
	}
	checkStored(t, s, second)
	if n := snapshotBuckets(t, db); n != 1 {
		t.Errorf("%d snapshot buckets after a complete save, want 1: the unfinished ones must be dropped", n)
	}
}

// TestStore_SaveRefusesUnreadable: a snapshot the store could not read
// back is refused, and the stored one stays.
func TestStore_SaveRefusesUnreadable(t *testing.T) {
	ctx := context.Background()
	s, _ := tempStore(t)
	s.chunk = 100
	first := syntheticSnapshot(300)
	if err := s.Save(ctx, first); err != nil {
		t.Fatal(err)
	}
	for name, tt := range map[string]struct {
		spoil func(*catalog.Snapshot)
		want  string
	}{
		"a relation without a type": {func(s *catalog.Snapshot) {
			s.Entities[250].Relations = append(s.Entities[250].Relations, catalog.Relation{TargetRef: "group:default/team-1"})
		}, "no type"},
		"a relation without a target": {func(s *catalog.Snapshot) {
			s.Entities[250].Relations = append(s.Entities[250].Relations, catalog.Relation{Type: catalog.RelDependsOn})
		}, "no target"},
		"an entity twice": {func(s *catalog.Snapshot) {
			s.Entities = append(s.Entities, s.Entities[7])
		}, "in the snapshot twice"},
		"a file without a path": {func(s *catalog.Snapshot) {
			s.Files = append(s.Files, catalog.FileState{Size: 1})
		}, "path of 0 bytes"},
		"a file with a path too long": {func(s *catalog.Snapshot) {
			s.Files = append(s.Files, catalog.FileState{Path: "/" + strings.Repeat("x", maxPathBytes)})
		}, "is not one a snapshot keeps"},
	} {
		bad := syntheticSnapshot(300)
		bad.SyncedAt = first.SyncedAt.Add(time.Hour)
		tt.spoil(bad)
		if err := s.Save(ctx, bad); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Save(%s) = %v, want an error saying %q", name, err, tt.want)
		}
		checkStored(t, s, first)
	}
}

// TestStore_ReadersSeeWholeSnapshots loads while saves of two different
// snapshots alternate, a few entities per transaction: every load must be
// one snapshot or the other, never a mix.
func TestStore_ReadersSeeWholeSnapshots(t *testing.T) {
	ctx := context.Background()
	s, _ := tempStore(t)
	s.chunk = 50
	a, b := syntheticSnapshot(600), syntheticSnapshot(400)
	b.SyncedAt = a.SyncedAt.Add(time.Hour)
	if err := s.Save(ctx, a); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		for i := range 6 {
			snap := a
			if i%2 == 0 {
				snap = b
			}
			if err := s.Save(ctx, snap); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return
		default:
		}
		got, err := s.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := a
		if got.SyncedAt.Equal(b.SyncedAt) {
			want = b
		}
		if len(got.Entities) != len(want.Entities) || len(got.Problems) != len(want.Problems) || len(got.Files) != len(want.Files) {
			t.Fatalf("Load() during saves: %d entities, %d problems, %d files; want those of one snapshot (%d, %d, %d)",
				len(got.Entities), len(got.Problems), len(got.Files), len(want.Entities), len(want.Problems), len(want.Files))
		}
	}
}

// TestStore_ConcurrentSaves runs saves of different snapshots at once, a
// few entities per transaction: the one stored last must load whole.
func TestStore_ConcurrentSaves(t *testing.T) {
	ctx := context.Background()
	s, db := tempStore(t)
	s.chunk = 40
	snaps := []*catalog.Snapshot{syntheticSnapshot(300), syntheticSnapshot(500), syntheticSnapshot(200)}
	for i, snap := range snaps {
		snap.SyncedAt = snap.SyncedAt.Add(time.Duration(i) * time.Hour)
	}
	errs := make(chan error, len(snaps))
	for _, snap := range snaps {
		go func() { errs <- s.Save(ctx, snap) }()
	}
	for range snaps {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, snap := range snaps {
		if got.SyncedAt.Equal(snap.SyncedAt) {
			checkSnapshot(t, got, snap)
			if n := snapshotBuckets(t, db); n != 1 {
				t.Errorf("%d snapshot buckets after the saves, want 1", n)
			}
			return
		}
	}
	t.Fatalf("Load() synced at %v, which no save wrote", got.SyncedAt)
}
