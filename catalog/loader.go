package catalog

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Problem codes for problems that depend on more than one file and are
// therefore worked out afresh on every load.
const (
	CodeDangling = "dangling-ref"
	CodeConflict = "conflict"
	CodeLocation = "location"
)

// FileState fingerprints a file so an unchanged file is not read again.
type FileState struct {
	Path    string `json:"path"` // as found under the root, for messages
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime"` // Unix nanoseconds
}

// Loader finds descriptor files on the local file system, following
// Location entities, and parses them. The zero value is not usable: set Roots.
type Loader struct {
	// Roots are folders (walked for catalog-info.yaml), files (a Location
	// or any descriptor file) or glob patterns, as given by the user.
	Roots []string
	// AllYAML makes folder walks take every .yaml and .yml file that looks
	// like a descriptor, as `catalog validate` does.
	AllYAML bool
	// MissingTargetsAreWarnings reports Location targets that do not exist
	// as warnings rather than errors.
	MissingTargetsAreWarnings bool
	// Workers bounds parallel parsing; zero means GOMAXPROCS.
	Workers int
}

// LoadResult is what a load found.
type LoadResult struct {
	Entities []*Entity // unique keys, in key order
	Problems Problems
	Files    []FileState
	// Unchanged is true when every file was reused from the previous
	// snapshot and the set of files is the same, so nothing needs storing.
	Unchanged bool
	Parsed    int // files read and parsed
	Reused    int // files taken from the previous snapshot unread
	// UnreadableRoots are roots that could not be read at all (a folder
	// moved away, a pattern matching nothing): the load saw none of what
	// they hold, which is no reason to believe it is gone.
	UnreadableRoots []string

	shadowed []*Entity // copies that lost a conflict; see Snapshot.shadowed
	// shared[i] tells that Entities[i] came from the previous snapshot's
	// entities, which readers may still hold: it must be copied before
	// it is changed.
	shared []bool
}

type loadItem struct {
	display  string // path as the user would recognize it
	abs      string
	origin   string // managed-by-origin-location value
	optional bool
	walked   bool      // found by a folder walk, not named
	from     *Entity   // the Location that named the file, if any
	fromFile string    // absolute path of from's file
	field    string    // from's field naming the file
	stat     *fileStat // the stat a glob took of the file, if any
}

type loadedFile struct {
	item     *loadItem
	state    FileState
	entities []*Entity
	problems Problems
	reused   bool
	// relocated tells that a reused file's entities got new location
	// annotations: the same file reached at another path or from
	// another root, as after a relative root's working folder changed.
	relocated bool
	kept      int  // entities[kept:] are last good versions from the previous snapshot
	skip      bool // not a descriptor after all
	missing   bool
	targets   [][]loadItem // what the file's Locations name
}

// Load reads the roots. prev, when not nil, is the last snapshot: files whose
// size and modification time are unchanged are taken from it unread. Load
// returns an error only when the context ends; every problem with the files
// is in the result.
func (l *Loader) Load(ctx context.Context, prev *Snapshot) (*LoadResult, error) {
	return l.load(ctx, prev, true)
}

// load is Load. Unless whole, a result that is Unchanged stops before
// deciding which copy of each key is kept and lists no entities: the
// caller serves prev, which a whole result would repeat.
func (l *Loader) load(ctx context.Context, prev *Snapshot, whole bool) (*LoadResult, error) {
	var before *snapshotFiles // nil: nothing to reuse
	lastFiles := 0            // how many files the last snapshot had
	if prev != nil {
		before, lastFiles = prev.files(), len(prev.Files)
	}

	res := &LoadResult{}
	// Runs of items to read, each shared with the file whose Location
	// named them: a loadItem is a hundred bytes, and a large catalog a
	// hundred thousand files, all held until the load ends.
	var items [][]loadItem
	for _, root := range l.Roots {
		found, probs := l.expandRoot(root)
		items = append(items, found)
		res.Problems = append(res.Problems, probs...)
		if len(found) == 0 && len(probs) > 0 {
			res.UnreadableRoots = append(res.UnreadableRoots, root)
		}
	}

	// Sized for a catalog like the last one: grown from empty, the maps
	// below rehashed a 100,000-file catalog a dozen times per sync.
	visited := make(map[string]bool, lastFiles)
	var files []*loadedFile
	for len(items) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("load catalog: %w", err)
		}
		var wave []*loadedFile
		n := 0
		for _, run := range items {
			n += len(run)
		}
		slab := make([]loadedFile, 0, n) // one allocation per wave
		for _, run := range items {
			for i := range run {
				it := &run[i]
				if visited[it.abs] {
					continue
				}
				visited[it.abs] = true
				slab = append(slab, loadedFile{item: it})
				wave = append(wave, &slab[len(slab)-1])
			}
		}
		l.readWave(ctx, wave, before)
		if err := ctx.Err(); err != nil {
			// The wave stopped part way: what it has is no catalog.
			return nil, fmt.Errorf("load catalog: %w", err)
		}
		items = nil
		for _, f := range wave {
			if f.skip {
				continue
			}
			files = append(files, f)
			for _, e := range f.entities {
				if e.Kind == KindLocation {
					next, probs := l.locationTargets(f, e)
					if len(next) > 0 {
						items = append(items, next)
						f.targets = append(f.targets, next)
					}
					res.Problems = append(res.Problems, probs...)
				}
			}
		}
	}

	res.Problems = append(res.Problems, cycleWarnings(files)...)

	relocated := false
	for _, f := range files {
		if f.state.Path != "" {
			res.Files = append(res.Files, f.state)
		}
		switch {
		case f.reused:
			res.Reused++
			relocated = relocated || f.relocated
		case !f.missing:
			res.Parsed++
		}
		res.Problems = append(res.Problems, f.problems...)
	}
	// With the same files, all reused where they were, previous owners
	// win again: the result, conflicts included, is the previous one.
	res.Unchanged = prev != nil && res.Parsed == 0 && !relocated && len(res.Files) == len(prev.Files)
	if res.Unchanged && !whole {
		return res, nil
	}
	owned, conflicts := owners(files, before)
	res.Entities = make([]*Entity, len(owned))
	res.shared = make([]bool, len(owned))
	for i, c := range owned {
		res.Entities[i], res.shared[i] = c.e, c.shared
	}
	res.shadowed = make([]*Entity, len(conflicts))
	for i, c := range conflicts {
		e := c.e
		res.shadowed[i] = e
		res.Problems = append(res.Problems, Problem{
			File: e.Origin.File, Doc: int(e.Origin.Doc), Line: int(e.Origin.Line), Column: 1,
			Severity: SeverityError, Kind: e.Kind, Name: e.Metadata.Name, Field: "metadata.name",
			Code: CodeConflict,
			Message: fmt.Sprintf("conflicting entity: %s is already defined in %s:%d, which keeps it; rename one of them",
				e.Ref().Short(), c.owner.Origin.File, c.owner.Origin.Line),
		})
	}
	return res, nil
}

// candidate is an entity of a loaded file, up for its key.
type candidate struct {
	key    string
	rank   int // discovery order
	e      *Entity
	shared bool    // from the previous snapshot (see LoadResult.shared)
	owner  *Entity // for a copy that lost: the one that kept the key
}

// owners decides which copy of each key the catalog keeps: the one in the
// file that owned the key last time, if that file still defines it,
// otherwise the first in discovery order. It returns the kept ones in key
// order and the others in the order they lose. The copies are sorted by
// key in discovery order on two cores (a map of every key was a fifth of a
// second of one core on a large catalog, and a sync sorts by key anyway);
// only a key with several copies asks before who owned it.
func owners(files []*loadedFile, before *snapshotFiles) (kept, lost []candidate) {
	n := 0
	for _, f := range files {
		n += len(f.entities)
	}
	all := make([]candidate, 0, n)
	for _, f := range files {
		for i, e := range f.entities {
			all = append(all, candidate{key: e.Key(), rank: len(all), e: e, shared: f.reused || i >= f.kept})
		}
	}
	sorted := make([]candidate, len(all))
	sortHalves(all, sorted, func(a, b candidate) int {
		return cmp.Or(strings.Compare(a.key, b.key), cmp.Compare(a.rank, b.rank))
	})
	kept = all[:0] // sorted holds them all now
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j].key == sorted[i].key {
			j++
		}
		run := sorted[i:j]
		if len(run) > 1 {
			// The copy in the file that owned the key keeps it.
			file, ok := before.owner(run[0].key)
			if k := slices.IndexFunc(run, func(c candidate) bool { return c.e.Origin.File == file }); ok && k > 0 {
				keeper := run[k]
				copy(run[1:k+1], run[:k])
				run[0] = keeper
			}
		}
		for _, c := range run[1:] {
			c.owner = run[0].e
			lost = append(lost, c)
		}
		kept = append(kept, run[0])
		i = j
	}
	slices.SortFunc(lost, func(a, b candidate) int { return cmp.Compare(a.rank, b.rank) })
	return kept, lost
}

// readWave fills in each file's entities, reusing unchanged files from the
// previous snapshot and parsing the rest, in parallel: on a large tree the
// stat calls alone take a core for a second.
func (l *Loader) readWave(ctx context.Context, wave []*loadedFile, before *snapshotFiles) {
	workers := l.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	jobs := make(chan *loadedFile, 256)
	var wg sync.WaitGroup
	for range min(workers, len(wave)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for f := range jobs {
				buf = l.readFile(f, buf, before)
			}
		}()
	}
	for _, f := range wave {
		if ctx.Err() != nil {
			break
		}
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	for _, f := range wave {
		if !f.reused && !f.missing {
			keepLastGood(f, before.entities(f.item.display))
		}
	}
}

// readFile fills in one file: unchanged ones from the previous snapshot,
// the others parsed. buf is the worker's read buffer; readFile returns it,
// grown if need be. Nothing parsed keeps a reference to it.
func (l *Loader) readFile(f *loadedFile, buf []byte, before *snapshotFiles) []byte {
	it := f.item
	var st fileStat
	var err error
	if it.stat != nil {
		st = *it.stat
	} else {
		st, _, err = statFile(it.abs)
	}
	if err != nil {
		f.missing = true
		if !it.optional {
			f.problems = append(f.problems, l.missing(it, err))
		}
		return buf
	}
	f.state = FileState{Path: it.display, Size: st.size, ModTime: st.modTime}
	if old, ok := before.state(it.display); ok && old == f.state {
		f.reused = true
		// Clipped: the lists belong to the previous snapshot's index,
		// which later loads read too; an append must copy.
		f.entities = before.entities(it.display)
		f.problems = before.fileProblems(it.display)
		l.annotate(f)
		return buf
	}
	data, st, err := readInto(buf, it.abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Gone since a glob saw it: as if the glob had not.
		f.missing = true
		if !it.optional {
			f.problems = append(f.problems, l.missing(it, err))
		}
		return buf
	case err != nil:
		f.problems = append(f.problems, Problem{File: it.display, Doc: -1, Severity: SeverityError, Message: fmt.Sprintf("cannot read: %v", unwrapPathError(err))})
		return buf
	}
	// The state recorded is that of the version read.
	f.state = FileState{Path: it.display, Size: st.size, ModTime: st.modTime}
	l.parseData(f, data)
	return data[:0]
}

// keepLastGood keeps the previous version of entities a changed file no
// longer yields because of errors in it, as Backstage keeps an entity's last
// good version when its new one fails: a typo must not make a service
// disappear from the catalog. Entities removed from a file without errors
// are gone.
func keepLastGood(f *loadedFile, prev []*Entity) {
	f.kept = len(f.entities)
	if len(prev) == 0 || f.problems.Errors() == 0 {
		return
	}
	have := make(map[string]bool, len(f.entities))
	for _, e := range f.entities {
		have[e.Key()] = true
	}
	for _, e := range prev {
		if have[e.Key()] {
			continue
		}
		f.entities = append(f.entities, e)
		f.problems = append(f.problems, Problem{
			File: f.item.display, Doc: int(e.Origin.Doc), Line: int(e.Origin.Line), Column: 1,
			Severity: SeverityWarning, Kind: e.Kind, Name: e.Metadata.Name,
			Message: "kept the last good version of this entity until the errors in this file are fixed",
		})
	}
}

func (l *Loader) missing(it *loadItem, err error) Problem {
	sev := SeverityError
	if l.MissingTargetsAreWarnings && it.from != nil {
		sev = SeverityWarning
	}
	p := Problem{File: it.display, Doc: -1, Severity: sev, Code: CodeLocation, Message: fmt.Sprintf("cannot read: %v", unwrapPathError(err))}
	if it.from != nil {
		p = Problem{
			File: it.from.Origin.File, Doc: int(it.from.Origin.Doc), Line: int(it.from.Origin.Line), Column: 1,
			Severity: sev, Kind: it.from.Kind, Name: it.from.Metadata.Name, Field: it.field, Code: CodeLocation,
			Message: fmt.Sprintf("location target %s does not exist (set spec.presence: optional if that is expected)", it.display),
		}
		p = atField(p, it.from, it.fromFile)
	}
	return p
}

// atField moves a problem about a Location's target to the target's line
// and column. The parser records the positions of reference fields only, so
// the file is read again: problems with targets are rare.
func atField(p Problem, e *Entity, file string) Problem {
	for r := range e.refPositions() {
		if int(r.field) < len(refFieldNames) && (specRef{refFieldNames[r.field], int(r.index)}).String() == p.Field {
			p.Line, p.Column = int(r.line), int(r.col)
			return p
		}
	}
	if pos, ok := locateField(file, e, p.Field); ok {
		p.Line, p.Column = pos.line, pos.col
	}
	return p
}

// locateField finds a field such as "spec.target" or "spec.targets[1]" of
// entity e in the file it was read from.
func locateField(file string, e *Entity, field string) (pos position, ok bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return position{}, false
	}
	defer func() {
		if recover() != nil {
			pos, ok = position{}, false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if dec.Decode(&doc) != nil {
			return position{}, false
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		kind := mappingValue(root, "kind")
		name := mappingValue(mappingValue(root, "metadata"), "name")
		if kind == nil || kind.Value != e.Kind || name == nil || name.Value != e.Metadata.Name {
			continue
		}
		n := root
		for _, part := range strings.Split(field, ".") {
			key, idx := part, -1
			if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
				key = part[:i]
				if idx, err = strconv.Atoi(part[i+1 : len(part)-1]); err != nil {
					return position{}, false
				}
			}
			if n = mappingValue(n, key); n == nil {
				return position{}, false
			}
			if idx >= 0 {
				if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
					return position{}, false
				}
				n = n.Content[idx]
			}
		}
		return position{n.Line, n.Column}, true
	}
}

// mappingValue returns the value of key in a mapping node, or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseData parses a file's contents into its entities and problems.
func (l *Loader) parseData(f *loadedFile, data []byte) {
	if f.item.walked && l.AllYAML && !looksLikeDescriptor(data) {
		f.skip = true
		return
	}
	dir := filepath.Dir(f.item.abs)
	root := filepath.Dir(strings.TrimPrefix(f.item.origin, "file:"))
	res := parse(f.item.display, data, ParseOptions{Read: func(target string) ([]byte, error) {
		return readWithin(root, dir, target)
	}})
	f.entities = res.Entities
	f.problems = append(f.problems, res.Problems...)
	l.annotate(f)
}

// looksLikeDescriptor tells descriptor files from other YAML (mkdocs.yml,
// CI workflows, OpenAPI documents) met on a folder walk.
func looksLikeDescriptor(data []byte) bool {
	s := string(data)
	return strings.Contains(s, "apiVersion") || strings.Contains(s, "kind:")
}

// readWithin reads target relative to dir, refusing anything outside root:
// placeholders may only read files of the same tree, as Backstage allows
// only the same repository.
func readWithin(root, dir, target string) ([]byte, error) {
	if strings.Contains(target, "://") {
		return nil, fmt.Errorf("remote placeholder targets are not supported for local files")
	}
	p := filepath.Clean(filepath.Join(dir, target))
	rel, err := filepath.Rel(root, p)
	if err != nil || !filepath.IsLocal(rel) {
		return nil, fmt.Errorf("%s is outside %s", target, root)
	}
	return os.ReadFile(p)
}

// annotate sets the location annotations Backstage sets. A freshly parsed
// entity is changed in place; one reused from the previous snapshot is
// shared with that snapshot's readers and is copied before any change.
func (l *Loader) annotate(f *loadedFile) {
	if f.reused && !slices.ContainsFunc(f.entities, func(e *Entity) bool { return !annotatedAt(e, f.item) }) {
		// The usual re-sync: nothing to change, nothing to copy.
		return
	}
	loc := "file:" + f.item.abs
	var src string
	if dir := filepath.Dir(f.item.abs); len(dir) < len(f.item.abs) && f.item.abs[:len(dir)] == dir && os.IsPathSeparator(f.item.abs[len(dir)]) {
		src = loc[:len("file:")+len(dir)+1] // a prefix of loc: one string for both
	} else {
		src = "file:" + dir + string(filepath.Separator)
	}
	if f.reused {
		// The slice itself came from the previous snapshot's grouping.
		f.entities = append([]*Entity(nil), f.entities...)
	} else if f.item.display == f.item.abs {
		// The path the snapshot keeps, for the file and each entity's
		// origin, shares loc's bytes: a copy per file less.
		path := loc[len("file:"):]
		f.state.Path = path
		for _, e := range f.entities {
			e.Origin.File = path
		}
	}
	for i, e := range f.entities {
		if annotatedAt(e, f.item) {
			continue
		}
		a := e.Metadata.Annotations
		_, hasSrc := a.Lookup(AnnotationSourceLocation)
		if f.reused {
			f.relocated = true
			a = slices.Grow(slices.Clone(a), 3)
			c := *e
			e = &c
			f.entities[i] = e
		}
		a = a.set(AnnotationManagedByLocation, loc)
		a = a.set(AnnotationManagedByOriginLocation, f.item.origin)
		if !hasSrc {
			a = a.set(AnnotationSourceLocation, src)
		}
		e.Metadata.Annotations = a
	}
}

// annotatedAt reports whether e has the location annotations of it: a
// source location, and it as the location and origin.
func annotatedAt(e *Entity, it *loadItem) bool {
	a := e.Metadata.Annotations
	_, hasSrc := a.Lookup(AnnotationSourceLocation)
	loc := a.Get(AnnotationManagedByLocation)
	return hasSrc && strings.HasPrefix(loc, "file:") && loc[len("file:"):] == it.abs && a.Get(AnnotationManagedByOriginLocation) == it.origin
}

// expandRoot turns one user-given root into files to read.
func (l *Loader) expandRoot(root string) ([]loadItem, Problems) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, Problems{{File: root, Doc: -1, Severity: SeverityError, Message: err.Error()}}
	}
	if hasGlobMeta(root) {
		matches, err := globFiles(abs)
		if err != nil || len(matches) == 0 {
			return nil, Problems{{File: root, Doc: -1, Severity: SeverityError, Message: "pattern matches no files"}}
		}
		var out []loadItem
		for _, m := range matches {
			out = append(out, loadItem{display: displayUnder(root, abs, m.path), abs: m.path, origin: "file:" + m.path, stat: m.stat})
		}
		return out, nil
	}
	info, err := os.Stat(abs)
	if err != nil {
		return nil, Problems{{File: root, Doc: -1, Severity: SeverityError, Message: fmt.Sprintf("cannot read: %v", unwrapPathError(err))}}
	}
	if !info.IsDir() {
		return []loadItem{{display: filepath.Clean(root), abs: abs, origin: "file:" + abs}}, nil
	}
	var out []loadItem
	_ = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if p != abs && skipDir(p, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if name == "catalog-info.yaml" || l.AllYAML && (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
			out = append(out, loadItem{display: displayUnder(root, abs, p), abs: p, origin: "file:" + p, walked: true})
		}
		return nil
	})
	return out, nil
}

// skipDir leaves out hidden folders, dependency folders and scaffolder
// template skeletons, whose descriptors are templates rather than entities.
func skipDir(p, name string) bool {
	if strings.HasPrefix(name, ".") || name == "node_modules" || name == "vendor" {
		return true
	}
	if name == "skeleton" || name == "template" || name == "content" {
		parent := filepath.Dir(p)
		for _, t := range []string{"template.yaml", "template.yml"} {
			if _, err := os.Stat(filepath.Join(parent, t)); err == nil {
				return true
			}
		}
	}
	return false
}

// displayUnder shows p the way the user named its root: relative paths stay
// relative.
func displayUnder(root, absRoot, p string) string {
	if filepath.IsAbs(root) {
		return p
	}
	base := absRoot
	if hasGlobMeta(root) {
		base, _ = filepath.Abs(".")
		if rel, err := filepath.Rel(base, p); err == nil {
			return rel
		}
		return p
	}
	rel, err := filepath.Rel(base, p)
	if err != nil {
		return p
	}
	return filepath.Join(filepath.Clean(root), rel)
}

// locationTargets resolves a Location entity's targets against its file.
func (l *Loader) locationTargets(f *loadedFile, e *Entity) ([]loadItem, Problems) {
	var targets []string
	var fields []string
	if t := e.SpecString("target"); t != "" {
		targets = append(targets, t)
		fields = append(fields, "spec.target")
	}
	for i, t := range e.SpecStrings("targets") {
		targets = append(targets, t)
		fields = append(fields, fmt.Sprintf("spec.targets[%d]", i))
	}
	optional := e.SpecString("presence") == "optional"
	typ := e.SpecString("type")
	var out []loadItem
	var probs Problems
	locProblem := func(field, msg string) Problem {
		return atField(Problem{File: e.Origin.File, Doc: int(e.Origin.Doc), Line: int(e.Origin.Line), Column: 1,
			Severity: SeverityError, Kind: e.Kind, Name: e.Metadata.Name, Field: field, Code: CodeLocation, Message: msg}, e, f.item.abs)
	}
	for i, t := range targets {
		if typ != "" && typ != "file" {
			probs = append(probs, withSeverity(locProblem(fields[i], fmt.Sprintf("location type %q is not read from local files; target %s skipped", typ, t)), SeverityWarning))
			continue
		}
		if strings.HasSuffix(t, "/") {
			probs = append(probs, locProblem(fields[i], fmt.Sprintf("location target %q ends with a path separator; name a file or a glob", t)))
			continue
		}
		abs := t
		if !filepath.IsAbs(t) {
			abs = filepath.Join(filepath.Dir(f.item.abs), filepath.FromSlash(t))
		}
		abs = filepath.Clean(abs)
		display := filepath.Join(filepath.Dir(f.item.display), filepath.FromSlash(t))
		if filepath.IsAbs(t) {
			display = abs
		}
		base := loadItem{origin: f.item.origin, optional: optional, from: e, fromFile: f.item.abs, field: fields[i]}
		if hasGlobMeta(t) {
			matches, _ := globFiles(abs)
			if len(matches) == 0 && !optional {
				base.display, base.abs = display, abs
				probs = append(probs, l.missing(&base, fs.ErrNotExist))
			}
			out = slices.Grow(out, len(matches))
			fromDir, displayDir := filepath.Dir(f.item.abs), filepath.Dir(f.item.display)
			for _, m := range matches {
				it := base
				it.abs, it.stat = m.path, m.stat
				// Matches are below the Location's folder: their relative
				// path is a suffix, and Rel and Join per match (100,000
				// for a large organisation) are not needed.
				if displayDir == fromDir {
					// Named by absolute path: one string for both.
					it.display = m.path
				} else if rel, ok := strings.CutPrefix(m.path, fromDir+string(filepath.Separator)); ok && fromDir != string(filepath.Separator) && displayDir != "." {
					it.display = displayDir + string(filepath.Separator) + rel
				} else {
					it.display = filepath.Join(displayDir, mustRel(fromDir, m.path))
				}
				out = append(out, it)
			}
			continue
		}
		it := base
		it.abs, it.display = abs, display
		out = append(out, it)
	}
	return out, probs
}

func withSeverity(p Problem, s Severity) Problem {
	p.Severity = s
	return p
}

func mustRel(base, p string) string {
	rel, err := filepath.Rel(base, p)
	if err != nil {
		return p
	}
	return rel
}

// cycleWarnings reports every Location target that closes a cycle of
// Locations. Each file is read once whatever the cycles, so they only need
// reporting: a depth-first walk from the roots, in discovery order, over the
// files holding Locations finds the targets leading back to a file still
// being walked.
func cycleWarnings(files []*loadedFile) Problems {
	locs := map[string]*loadedFile{}
	for _, f := range files {
		if len(f.targets) > 0 {
			locs[f.item.abs] = f
		}
	}
	const (
		walking = 1
		walked  = 2
	)
	state := make(map[string]int, len(locs))
	var probs Problems
	var walk func(f *loadedFile)
	walk = func(f *loadedFile) {
		state[f.item.abs] = walking
		for _, run := range f.targets {
			for _, it := range run {
				next, ok := locs[it.abs]
				if !ok {
					continue
				}
				switch state[it.abs] {
				case walking:
					e := it.from
					probs = append(probs, atField(Problem{
						File: e.Origin.File, Doc: int(e.Origin.Doc), Line: int(e.Origin.Line), Column: 1,
						Severity: SeverityWarning, Kind: e.Kind, Name: e.Metadata.Name, Field: it.field, Code: CodeLocation,
						Message: fmt.Sprintf("location cycle: target %s leads back to a Location that leads here; each file is read once", it.display),
					}, e, it.fromFile))
				case 0:
					walk(next)
				}
			}
		}
		state[f.item.abs] = walked
	}
	for _, f := range files {
		if locs[f.item.abs] == f && state[f.item.abs] == 0 {
			walk(f)
		}
	}
	return probs
}

func hasGlobMeta(s string) bool { return strings.ContainsAny(s, "*?[") }

// globFiles expands a pattern with *, ?, [..] within a path segment and **
// across segments, returning matching regular files in lexical order.
// fileMatch is a file a pattern matched and, when the match took one, its
// stat.
type fileMatch struct {
	path string
	stat *fileStat
}

func globFiles(pattern string) ([]fileMatch, error) {
	pattern = filepath.ToSlash(filepath.Clean(pattern))
	segs := strings.Split(pattern, "/")
	i := 0
	for i < len(segs) && !hasGlobMeta(segs[i]) {
		i++
	}
	base := strings.Join(segs[:i], "/")
	if base == "" {
		base = "/"
	}
	// Expand one segment at a time: a wildcard segment reads one folder, a
	// literal one is joined on. components/*/catalog-info.yaml reads only
	// components/ and stats each candidate, instead of walking every
	// component's folder; a ** segment walks what is below it.
	dirs := []string{filepath.FromSlash(base)}
	rest := segs[i:]
	for k, seg := range rest {
		last := k == len(rest)-1
		if seg == "**" {
			var out []fileMatch
			for _, d := range dirs {
				for _, p := range walkMatch(d, rest[k:]) {
					out = append(out, fileMatch{path: p})
				}
			}
			slices.SortFunc(out, func(a, b fileMatch) int { return strings.Compare(a.path, b.path) })
			return out, nil
		}
		var next []string
		plain := seg != "." && seg != ".." // joined without Clean
		for _, d := range dirs {
			if !hasGlobMeta(seg) {
				if plain {
					next = append(next, joinClean(d, seg))
				} else {
					next = append(next, filepath.Join(d, seg))
				}
				continue
			}
			entries, err := readDirUnsorted(d)
			if err != nil {
				continue
			}
			for _, e := range entries {
				name := e.Name()
				if strings.HasPrefix(name, ".") && !strings.HasPrefix(seg, ".") {
					continue
				}
				if ok, err := path.Match(seg, name); err != nil || !ok {
					continue
				}
				isDir := e.IsDir()
				if e.Type()&fs.ModeSymlink != 0 {
					if info, err := os.Stat(filepath.Join(d, name)); err == nil {
						isDir = info.IsDir()
					}
				}
				if isDir != last {
					// d is clean and name a plain entry: no Clean needed.
					next = append(next, joinClean(d, name))
				}
			}
		}
		dirs = next
	}
	// Stat the candidates in parallel: components/*/catalog-info.yaml over
	// 100,000 components is as many stat calls. The stats are kept for
	// the read that follows.
	stats := make([]fileStat, len(dirs))
	found := make([]bool, len(dirs))
	workers := min(runtime.GOMAXPROCS(0), (len(dirs)+255)/256)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(dirs); i += workers {
				if st, regular, err := statFile(dirs[i]); err == nil && regular {
					stats[i], found[i] = st, true
				}
			}
		}()
	}
	wg.Wait()
	var matches []fileMatch
	for i, p := range dirs {
		if found[i] {
			matches = append(matches, fileMatch{p, &stats[i]})
		}
	}
	// On two cores: 100,000 paths that share a long prefix take a while.
	out := make([]fileMatch, len(matches))
	sortHalves(matches, out, func(a, b fileMatch) int { return strings.Compare(a.path, b.path) })
	return out, nil
}

// joinClean joins a clean folder and an entry name of it.
func joinClean(dir, name string) string {
	if strings.HasSuffix(dir, string(filepath.Separator)) {
		return dir + name
	}
	return dir + string(filepath.Separator) + name
}

// readDirUnsorted is os.ReadDir without the sort: the matches are sorted
// once at the end, and a folder of 100,000 components is a large sort.
func readDirUnsorted(dir string) ([]fs.DirEntry, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}

// walkMatch walks below dir for files matching pat, which starts with **.
func walkMatch(dir string, pat []string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		relSegs := strings.Split(filepath.ToSlash(rel), "/")
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") || !prefixCanMatch(pat, relSegs) {
				return filepath.SkipDir
			}
			return nil
		}
		if matchSegments(pat, relSegs) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func matchSegments(pat, segs []string) bool {
	if len(pat) == 0 {
		return len(segs) == 0
	}
	if pat[0] == "**" {
		for k := 0; k <= len(segs); k++ {
			if matchSegments(pat[1:], segs[k:]) {
				return true
			}
		}
		return false
	}
	if len(segs) == 0 {
		return false
	}
	ok, err := path.Match(pat[0], segs[0])
	return err == nil && ok && matchSegments(pat[1:], segs[1:])
}

// prefixCanMatch reports whether a directory path could lead to a match.
func prefixCanMatch(pat, segs []string) bool {
	for i, s := range segs {
		if i >= len(pat) {
			return false
		}
		if pat[i] == "**" {
			return true
		}
		if ok, err := path.Match(pat[i], s); err != nil || !ok {
			return false
		}
	}
	return len(segs) < len(pat)
}
