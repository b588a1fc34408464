package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"gopkg.in/yaml.v3"

	"github.com/callboard/callboard/catalog"
	"github.com/callboard/callboard/catalog/boltstore"
	"github.com/callboard/callboard/catalog/catalogtest"
)

// The benchmarks below run once per organisation size listed in
// CALLBOARD_BENCH_SIZES (components, comma-separated; default
// "10000,100000"). An organisation is generated on first use into
// os.TempDir() and reused by later runs (see catalogtest.GenerateOrgCached);
// 100,000 components are 400,000 files, 2.3 GB on disk.
//
//	CALLBOARD_BENCH_SIZES=10000 go test -run='^$' -bench=. -benchtime=1x ./catalog/
//
// Targets on a 2-core machine for 100,000 components (~190,000 entities):
// Ingest ≥ 35,000 entities/s and peak-heap-MB < 600, Resync < 2 s,
// Reopen < 1.5 s.
const benchSizesEnv = "CALLBOARD_BENCH_SIZES"

func benchSizes(b *testing.B) []int {
	b.Helper()
	v := os.Getenv(benchSizesEnv)
	if v == "" {
		v = "10000,100000"
	}
	var sizes []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			b.Fatalf("%s=%q: %q is not a number of components", benchSizesEnv, v, f)
		}
		sizes = append(sizes, n)
	}
	return sizes
}

// forEachSize runs bench as a sub-benchmark per size over a cached
// organisation.
func forEachSize(b *testing.B, bench func(b *testing.B, dir string, st catalogtest.Stats)) {
	for _, n := range benchSizes(b) {
		b.Run(fmt.Sprintf("components=%d", n), func(b *testing.B) {
			dir := catalogtest.GenerateOrgCached(b, n)
			st, err := catalogtest.ReadStats(dir)
			if err != nil {
				b.Fatal(err)
			}
			bench(b, dir, st)
		})
	}
}

func newLoader(dir string) *catalog.Loader {
	return &catalog.Loader{Roots: []string{filepath.Join(dir, catalogtest.RootFile)}}
}

func openDB(tb testing.TB, path string) *bbolt.DB {
	tb.Helper()
	// The options cmd/callboard opens the store with.
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, InitialMmapSize: 1 << 30, FreelistType: bbolt.FreelistMapType, PageSize: 16 << 10})
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	return db
}

// checkClean fails unless a sync of a generated organisation found every
// entity and no problem.
func checkClean(b *testing.B, rep catalog.SyncReport, st catalogtest.Stats) {
	b.Helper()
	if rep.Entities != st.Entities || rep.Errors != 0 || rep.Warnings != 0 {
		b.Fatalf("sync found %d entities, %d errors, %d warnings; want %d entities and no problems",
			rep.Entities, rep.Errors, rep.Warnings, st.Entities)
	}
}

func reportMs(b *testing.B, d time.Duration, ops int) {
	b.ReportMetric(float64(d)/float64(time.Millisecond)/float64(ops), "ms/op")
}

// reportCPU reports the process CPU time per operation: on a shared machine
// wall-clock figures include waiting for the cores, CPU time does not.
func reportCPU(b *testing.B, cpu time.Duration, ops int) {
	if cpu > 0 {
		b.ReportMetric(cpu.Seconds()/float64(ops), "cpu-s/op")
	}
}

// BenchmarkIngest is a first sync: read, parse, validate, relate, index and
// store every file into a fresh Catalog and an empty bbolt file.
func BenchmarkIngest(b *testing.B) {
	forEachSize(b, func(b *testing.B, dir string, st catalogtest.Stats) {
		ctx := context.Background()
		b.SetBytes(st.DescriptorBytes)
		var peak, live uint64
		var took, cpu time.Duration
		ops := 0
		for b.Loop() {
			b.StopTimer()
			dbDir := b.TempDir()
			db := openDB(b, filepath.Join(dbDir, "callboard.db"))
			c := catalog.NewCatalog()
			s := catalog.NewSyncer(newLoader(dir), c, catalog.SyncerOptions{Store: boltstore.New(db)})
			heap := catalogtest.StartHeapSampler(10 * time.Millisecond)
			start, cpu0 := time.Now(), catalogtest.ProcessCPU()
			b.StartTimer()

			rep, err := s.Sync(ctx)

			b.StopTimer()
			took, cpu = took+time.Since(start), cpu+catalogtest.ProcessCPU()-cpu0
			peak = max(peak, heap.Stop())
			ops++
			if err != nil {
				b.Fatal(err)
			}
			checkClean(b, rep, st)
			live = catalogtest.LiveHeap()
			runtime.KeepAlive(s)
			if err := db.Close(); err != nil {
				b.Fatal(err)
			}
			os.RemoveAll(dbDir)
			b.StartTimer()
		}
		b.ReportMetric(float64(st.Entities)*float64(ops)/took.Seconds(), "entities/s")
		b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
		b.ReportMetric(float64(live)/1e6, "retained-MB")
		reportCPU(b, cpu, ops)
	})
}

// BenchmarkIngestPhases times the steps of Ingest one by one to tell which
// one to work on: load (read, parse, validate), relate (after sorting by
// key, as Syncer.Sync does), index and save. Sync builds the index while
// the store writes; here they run one after the other, so the phases add
// up to more than an ingest.
func BenchmarkIngestPhases(b *testing.B) {
	forEachSize(b, func(b *testing.B, dir string, st catalogtest.Stats) {
		ctx := context.Background()
		var load, relate, index, save, cpu time.Duration
		ops := 0
		for b.Loop() {
			b.StopTimer()
			dbDir := b.TempDir()
			db := openDB(b, filepath.Join(dbDir, "callboard.db"))
			runtime.GC()
			cpu0 := catalogtest.ProcessCPU()
			b.StartTimer()

			t0 := time.Now()
			res, err := newLoader(dir).Load(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			// In key order, as Sync relates them.
			slices.SortFunc(res.Entities, func(x, y *catalog.Entity) int { return strings.Compare(x.Key(), y.Key()) })
			problems := append(res.Problems, catalog.Relate(res.Entities)...)
			t2 := time.Now()
			ix := catalog.NewIndex(slices.Clone(res.Entities), problems, t0)
			t3 := time.Now()
			err = boltstore.New(db).Save(ctx, &catalog.Snapshot{
				Entities: res.Entities, Problems: problems, Files: res.Files, Sources: newLoader(dir).Roots, SyncedAt: t0,
			})
			t4 := time.Now()

			b.StopTimer()
			cpu += catalogtest.ProcessCPU() - cpu0
			if err != nil {
				b.Fatal(err)
			}
			if ix.Len() != st.Entities || len(problems) != 0 {
				b.Fatalf("loaded %d entities and %d problems, want %d and none", ix.Len(), len(problems), st.Entities)
			}
			load, relate, index, save = load+t1.Sub(t0), relate+t2.Sub(t1), index+t3.Sub(t2), save+t4.Sub(t3)
			ops++
			if err := db.Close(); err != nil {
				b.Fatal(err)
			}
			os.RemoveAll(dbDir)
			b.StartTimer()
		}
		for _, m := range []struct {
			d    time.Duration
			unit string
		}{{load, "load-ms"}, {relate, "relate-ms"}, {index, "index-ms"}, {save, "save-ms"}} {
			b.ReportMetric(float64(m.d)/float64(time.Millisecond)/float64(ops), m.unit)
		}
		reportCPU(b, cpu, ops)
	})
}

// BenchmarkRelate relates a loaded organisation in key order, as Sync does:
// the one step of an ingest that reads no file and writes nothing, so its
// figure moves least with the machine's disk and neighbours.
func BenchmarkRelate(b *testing.B) {
	forEachSize(b, func(b *testing.B, dir string, st catalogtest.Stats) {
		res, err := newLoader(dir).Load(context.Background(), nil)
		if err != nil {
			b.Fatal(err)
		}
		es := res.Entities
		slices.SortFunc(es, func(x, y *catalog.Entity) int { return strings.Compare(x.Key(), y.Key()) })
		var cpu time.Duration
		for b.Loop() {
			cpu0 := catalogtest.ProcessCPU()
			if warnings := catalog.Relate(es); len(warnings) != 0 {
				b.Fatalf("%d warnings, want none", len(warnings))
			}
			cpu += catalogtest.ProcessCPU() - cpu0
		}
		b.ReportMetric(float64(len(es))*float64(b.N)/b.Elapsed().Seconds(), "entities/s")
		reportCPU(b, cpu, b.N)
	})
}

// BenchmarkResync is a sync when nothing changed since the last one on the
// same Syncer: every file is stat'ed and found unchanged.
func BenchmarkResync(b *testing.B) {
	forEachSize(b, func(b *testing.B, dir string, st catalogtest.Stats) {
		ctx := context.Background()
		db := openDB(b, filepath.Join(b.TempDir(), "callboard.db"))
		defer db.Close()
		s := catalog.NewSyncer(newLoader(dir), catalog.NewCatalog(), catalog.SyncerOptions{Store: boltstore.New(db)})
		rep, err := s.Sync(ctx)
		if err != nil {
			b.Fatal(err)
		}
		checkClean(b, rep, st)
		heap := catalogtest.StartHeapSampler(10 * time.Millisecond)
		cpu0 := catalogtest.ProcessCPU()
		ops := 0
		for b.Loop() {
			rep, err := s.Sync(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if !rep.Unchanged || rep.Parsed != 0 {
				b.Fatalf("resync parsed %d files, unchanged %v; want nothing parsed", rep.Parsed, rep.Unchanged)
			}
			ops++
		}
		reportCPU(b, catalogtest.ProcessCPU()-cpu0, ops)
		b.ReportMetric(float64(heap.Stop())/1e6, "peak-heap-MB")
		reportMs(b, b.Elapsed(), ops)
	})
}

// BenchmarkReopen is a restart: open the bbolt file a sync wrote and serve
// its snapshot with Syncer.Open, reading no source.
func BenchmarkReopen(b *testing.B) {
	forEachSize(b, func(b *testing.B, dir string, st catalogtest.Stats) {
		ctx := context.Background()
		path := filepath.Join(b.TempDir(), "callboard.db")
		db := openDB(b, path)
		rep, err := catalog.NewSyncer(newLoader(dir), catalog.NewCatalog(), catalog.SyncerOptions{Store: boltstore.New(db)}).Sync(ctx)
		if err != nil {
			b.Fatal(err)
		}
		checkClean(b, rep, st)
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		var peak uint64
		var took, cpu time.Duration
		ops := 0
		for b.Loop() {
			b.StopTimer()
			heap := catalogtest.StartHeapSampler(10 * time.Millisecond)
			start, cpu0 := time.Now(), catalogtest.ProcessCPU()
			b.StartTimer()

			db := openDB(b, path)
			c := catalog.NewCatalog()
			found, err := catalog.NewSyncer(newLoader(dir), c, catalog.SyncerOptions{Store: boltstore.New(db)}).Open(ctx)

			b.StopTimer()
			took, cpu = took+time.Since(start), cpu+catalogtest.ProcessCPU()-cpu0
			peak = max(peak, heap.Stop())
			ops++
			if err != nil || !found {
				b.Fatalf("Open() = %v, %v; want the stored snapshot", found, err)
			}
			if n := c.Index().Len(); n != st.Entities {
				b.Fatalf("reopened catalog has %d entities, want %d", n, st.Entities)
			}
			if err := db.Close(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		reportMs(b, took, ops)
		reportCPU(b, cpu, ops)
		b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	})
}

// BenchmarkCollect is garbage collection with a synced catalog in memory:
// serve's heap is mostly the index, every collection traces all of it, and
// under load one comes every few tens of thousands of answers. Each op is
// ten collections; cpu-ms/collection is their median CPU (the collector
// works on every core), min-cpu-ms the least, which this machine's slow
// stretches disturb least.
func BenchmarkCollect(b *testing.B) {
	forEachSize(b, func(b *testing.B, dir string, st catalogtest.Stats) {
		ix := loadIndex(b, dir, st)
		runtime.GC()
		var cpus []float64
		for b.Loop() {
			for range 10 {
				cpu0 := catalogtest.ProcessCPU()
				runtime.GC()
				cpus = append(cpus, float64(catalogtest.ProcessCPU()-cpu0)/float64(time.Millisecond))
			}
		}
		slices.Sort(cpus)
		b.ReportMetric(cpus[len(cpus)/2], "cpu-ms/collection")
		b.ReportMetric(cpus[0], "min-cpu-ms")
		runtime.KeepAlive(ix)
	})
}

// loadIndex syncs a generated organisation into memory only.
func loadIndex(b *testing.B, dir string, st catalogtest.Stats) *catalog.Index {
	b.Helper()
	c := catalog.NewCatalog()
	rep, err := catalog.NewSyncer(newLoader(dir), c, catalog.SyncerOptions{}).Sync(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	checkClean(b, rep, st)
	return c.Index()
}

// misspell swaps two letters in the middle of a name: a typo two edits away.
func misspell(name string) string {
	r := []rune(name)
	i := len(r) / 2
	r[i-1], r[i] = r[i], r[i-1]
	if string(r) == name {
		r = append(r[:i:i], r[i+1:]...)
	}
	return string(r)
}

// BenchmarkSuggestMiss is the did-you-mean path: a name that is not in the
// catalog, close to one that is.
func BenchmarkSuggestMiss(b *testing.B) {
	forEachSize(b, func(b *testing.B, dir string, st catalogtest.Stats) {
		ix := loadIndex(b, dir, st)
		comps := ix.OfKind(catalog.KindComponent)
		var queries, want []string
		for i := 0; i < len(comps) && len(queries) < 64; i += len(comps)/64 + 1 {
			name := comps[i].Metadata.Name
			q := misspell(name)
			if _, err := ix.Resolve(q); !errors.Is(err, catalog.ErrNotFound) {
				continue
			}
			queries, want = append(queries, q), append(want, name)
		}
		for i, q := range queries {
			if got := ix.Suggest(q, 5); !contains(got, want[i]) {
				b.Fatalf("Suggest(%q, 5) = %v, want it to include %q", q, got, want[i])
			}
		}
		i := 0
		for b.Loop() {
			ix.Suggest(queries[i%len(queries)], 5)
			i++
		}
	})
}

// BenchmarkResolveExact resolves a bare name that names one entity.
func BenchmarkResolveExact(b *testing.B) {
	forEachSize(b, func(b *testing.B, dir string, st catalogtest.Stats) {
		ix := loadIndex(b, dir, st)
		es, err := ix.Resolve(catalogtest.KnownComponent)
		if err != nil || len(es) != 1 || es[0].Kind != catalog.KindComponent {
			b.Fatalf("Resolve(%q) = %d entities, %v; want the one component", catalogtest.KnownComponent, len(es), err)
		}
		for b.Loop() {
			ix.Resolve(catalogtest.KnownComponent)
		}
	})
}

// BenchmarkSearch is a free-text search matching many entities (every
// payments-api-NNN and its APIs and resources); the exact name ranks first.
func BenchmarkSearch(b *testing.B) {
	const query = catalogtest.KnownComponent
	forEachSize(b, func(b *testing.B, dir string, st catalogtest.Stats) {
		ix := loadIndex(b, dir, st)
		hits, total := ix.Search(query, 10)
		if len(hits) == 0 || hits[0].Entity.Metadata.Name != catalogtest.KnownComponent {
			b.Fatalf("Search(%q) = %d of %d hits, want %s first", query, len(hits), total, catalogtest.KnownComponent)
		}
		b.ReportMetric(float64(total), "matches")
		for b.Loop() {
			ix.Search(query, 10)
		}
	})
}

// BenchmarkYAMLDecodeBaseline decodes the same descriptor files into
// yaml.Node trees with yaml.v3 alone, on as many goroutines as the Loader
// uses, with the files already in memory: the floor under Ingest's parse
// step.
func BenchmarkYAMLDecodeBaseline(b *testing.B) {
	forEachSize(b, func(b *testing.B, dir string, st catalogtest.Stats) {
		files := descriptorFiles(b, dir)
		b.SetBytes(st.DescriptorBytes)
		var docs int
		ops := 0
		cpu0 := catalogtest.ProcessCPU()
		for b.Loop() {
			docs = sumInParallel(files, func(data []byte) int {
				n := 0
				dec := yaml.NewDecoder(bytes.NewReader(data))
				for {
					var node yaml.Node
					err := dec.Decode(&node)
					if errors.Is(err, io.EOF) {
						return n
					}
					if err != nil {
						panic(err)
					}
					n++
				}
			})
			ops++
		}
		if docs != st.Entities {
			b.Fatalf("decoded %d documents, want %d", docs, st.Entities)
		}
		reportCPU(b, catalogtest.ProcessCPU()-cpu0, ops)
		b.ReportMetric(float64(docs)*float64(ops)/b.Elapsed().Seconds(), "entities/s")
	})
}

// BenchmarkParse parses and validates the same files as
// BenchmarkYAMLDecodeBaseline the way the Loader does, files in memory:
// Ingest's parse step without reading, relating, indexing or storing.
func BenchmarkParse(b *testing.B) {
	forEachSize(b, func(b *testing.B, dir string, st catalogtest.Stats) {
		files := descriptorFiles(b, dir)
		b.SetBytes(st.DescriptorBytes)
		read := catalog.ParseOptions{Read: func(string) ([]byte, error) { return nil, os.ErrNotExist }}
		var entities int
		ops := 0
		cpu0 := catalogtest.ProcessCPU()
		for b.Loop() {
			entities = sumInParallel(files, func(data []byte) int {
				res := catalog.ParseWith("catalog-info.yaml", data, read)
				if len(res.Problems) > 0 {
					panic(res.Problems[0].String())
				}
				return len(res.Entities)
			})
			ops++
		}
		if entities != st.Entities {
			b.Fatalf("parsed %d entities, want %d", entities, st.Entities)
		}
		reportCPU(b, catalogtest.ProcessCPU()-cpu0, ops)
		b.ReportMetric(float64(entities)*float64(ops)/b.Elapsed().Seconds(), "entities/s")
	})
}

// sumInParallel calls count for every file, on as many goroutines as the
// Loader uses, and adds up what it returns.
func sumInParallel(files [][]byte, count func(data []byte) int) int {
	workers := runtime.GOMAXPROCS(0)
	counts := make([]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(files); i += workers {
				counts[w] += count(files[i])
			}
		})
	}
	wg.Wait()
	total := 0
	for _, c := range counts {
		total += c
	}
	return total
}

// descriptorFiles reads the files the root Location leads to.
func descriptorFiles(b *testing.B, dir string) [][]byte {
	b.Helper()
	paths := []string{filepath.Join(dir, catalogtest.RootFile)}
	for _, pattern := range []string{"org/*.yaml", "components/*/catalog-info.yaml"} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			b.Fatal(err)
		}
		paths = append(paths, m...)
	}
	files := make([][]byte, len(paths))
	for i, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		files[i] = data
	}
	return files
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestGenerateOrg_Valid loads a small generated organisation: every
// document must be valid and every reference must resolve, or the
// benchmarks would measure error paths.
func TestGenerateOrg_Valid(t *testing.T) {
	dir := t.TempDir()
	st, err := catalogtest.GenerateOrg(dir, 200)
	if err != nil {
		t.Fatal(err)
	}
	res, err := newLoader(dir).Load(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	problems := append(res.Problems, catalog.Relate(res.Entities)...)
	for _, p := range problems {
		t.Errorf("generated organisation has a problem: %s", p)
	}
	if res.Parsed != st.DescriptorFiles {
		t.Errorf("Load parsed %d files, GenerateOrg wrote %d descriptor files", res.Parsed, st.DescriptorFiles)
	}
	kinds := map[string]int{}
	for _, e := range res.Entities {
		kinds[e.Kind]++
	}
	for _, k := range []string{catalog.KindLocation, catalog.KindDomain, catalog.KindSystem, catalog.KindGroup,
		catalog.KindUser, catalog.KindComponent, catalog.KindAPI, catalog.KindResource} {
		if kinds[k] == 0 || kinds[k] != st.Kinds[k] {
			t.Errorf("loaded %d entities of kind %s, Stats.Kinds[%s] = %d; want the same, not zero", kinds[k], k, k, st.Kinds[k])
		}
	}
	if len(res.Entities) != st.Entities {
		t.Errorf("loaded %d entities, Stats.Entities = %d", len(res.Entities), st.Entities)
	}

	ix := catalog.NewIndex(res.Entities, problems, time.Now())
	es, err := ix.Resolve(catalogtest.KnownComponent)
	if err != nil || len(es) != 1 || es[0].Kind != catalog.KindComponent {
		t.Fatalf("Resolve(%q) = %v, %v; want one component", catalogtest.KnownComponent, es, err)
	}
	owners := ix.Related(es[0], catalog.RelOwnedBy)
	if len(owners) != 1 || owners[0].Kind != catalog.KindGroup {
		t.Errorf("%s is owned by %v, want one Group", catalogtest.KnownComponent, owners)
	}
	// Group hierarchy: every parent lists the child, every child names the
	// parent, and every group has members or children.
	for _, g := range ix.OfKind(catalog.KindGroup) {
		for _, p := range g.RelationTargets(catalog.RelChildOf) {
			pe, _ := ix.Get(p)
			if !contains(pe.SpecStrings("children"), "group:"+g.Metadata.Name) {
				t.Errorf("group %s names parent %s, which does not list it as a child", g.Metadata.Name, p)
			}
		}
		if len(ix.Members(g)) == 0 && len(g.RelationTargets(catalog.RelParentOf)) == 0 {
			t.Errorf("group %s has neither members nor children", g.Metadata.Name)
		}
		if g.ProfileField("email") == "" || g.Annotation(catalog.AnnotationSlackNotify) == "" {
			t.Errorf("group %s lacks a profile email or %s", g.Metadata.Name, catalog.AnnotationSlackNotify)
		}
	}
	userOwned := 0
	for _, c := range ix.OfKind(catalog.KindComponent) {
		for _, o := range ix.Owners(c) {
			if catalog.KindOfKey(o) == "user" {
				userOwned++
			}
		}
	}
	if userOwned == 0 {
		t.Error("no component is owned by a user")
	}
}
