package catalog

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
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
	Entities []*Entity // unique keys, in discovery order
	Problems Problems
	Files    []FileState
	// Unchanged is true when every file was reused from the previous
	// snapshot and the set of files is the same, so nothing needs storing.
	Unchanged bool
	Parsed    int // files read and parsed
	Reused    int // files taken from the previous snapshot unread
}

type loadItem struct {
	display  string // path as the user would recognize it
	abs      string
	origin   string   // managed-by-origin-location value
	chain    []string // abs paths of the Locations that led here
	optional bool
	walked   bool // found by a folder walk, not named
	from     *Entity
	field    string
}

type loadedFile struct {
	item     loadItem
	state    FileState
	entities []*Entity
	problems Problems
	reused   bool
	skip     bool // not a descriptor after all
	missing  bool
}

// Load reads the roots. prev, when not nil, is the last snapshot: files whose
// size and modification time are unchanged are taken from it unread. Load
// returns an error only when the context ends; every problem with the files
// is in the result.
func (l *Loader) Load(ctx context.Context, prev *Snapshot) (*LoadResult, error) {
	prevFiles := map[string]FileState{}
	prevEntities := map[string][]*Entity{}
	prevProblems := map[string]Problems{}
	prevOwner := map[string]string{}
	if prev != nil {
		for _, f := range prev.Files {
			prevFiles[f.Path] = f
		}
		for _, e := range prev.Entities {
			prevEntities[e.Origin.File] = append(prevEntities[e.Origin.File], e)
			prevOwner[e.Key()] = e.Origin.File
		}
		for _, p := range prev.Problems {
			if p.Code == "" {
				prevProblems[p.File] = append(prevProblems[p.File], p)
			}
		}
	}

	res := &LoadResult{}
	var items []loadItem
	for _, root := range l.Roots {
		found, probs := l.expandRoot(root)
		items = append(items, found...)
		res.Problems = append(res.Problems, probs...)
	}

	visited := map[string]bool{}
	var files []*loadedFile
	for len(items) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("load catalog: %w", err)
		}
		var wave []*loadedFile
		for _, it := range items {
			if visited[it.abs] {
				continue
			}
			visited[it.abs] = true
			wave = append(wave, &loadedFile{item: it})
		}
		l.readWave(ctx, wave, prevFiles, prevEntities, prevProblems)
		items = nil
		for _, f := range wave {
			if f.skip {
				continue
			}
			files = append(files, f)
			for _, e := range f.entities {
				if e.Kind == KindLocation {
					next, probs := l.locationTargets(f, e)
					items = append(items, next...)
					res.Problems = append(res.Problems, probs...)
				}
			}
		}
	}

	owners := map[string]*Entity{}
	var conflicts []*Entity
	// A key keeps the file that owned it last time, if that file still
	// defines it; otherwise the first file in discovery order wins.
	for pass := 0; pass < 2; pass++ {
		for _, f := range files {
			for _, e := range f.entities {
				k := e.Key()
				owned := prevOwner[k] == f.item.display
				if pass == 0 && !owned || pass == 1 && owned {
					continue
				}
				if _, taken := owners[k]; taken {
					conflicts = append(conflicts, e)
					continue
				}
				owners[k] = e
			}
		}
	}
	for _, f := range files {
		if f.state.Path != "" {
			res.Files = append(res.Files, f.state)
		}
		switch {
		case f.reused:
			res.Reused++
		case !f.missing:
			res.Parsed++
		}
		res.Problems = append(res.Problems, f.problems...)
		for _, e := range f.entities {
			if owners[e.Key()] == e {
				res.Entities = append(res.Entities, e)
			}
		}
	}
	for _, e := range conflicts {
		first := owners[e.Key()]
		res.Problems = append(res.Problems, Problem{
			File: e.Origin.File, Doc: e.Origin.Doc, Line: e.Origin.Line, Column: 1,
			Severity: SeverityError, Kind: e.Kind, Name: e.Metadata.Name, Field: "metadata.name",
			Code: CodeConflict,
			Message: fmt.Sprintf("conflicting entity: %s is already defined in %s:%d, which keeps it; rename one of them",
				e.Ref().Short(), first.Origin.File, first.Origin.Line),
		})
	}
	res.Unchanged = prev != nil && res.Parsed == 0 && len(conflicts) == 0 && len(res.Files) == len(prev.Files)
	return res, nil
}

// readWave fills in each file's entities, reusing unchanged files from the
// previous snapshot and parsing the rest in parallel.
func (l *Loader) readWave(ctx context.Context, wave []*loadedFile, prevFiles map[string]FileState, prevEntities map[string][]*Entity, prevProblems map[string]Problems) {
	var toParse []*loadedFile
	for _, f := range wave {
		it := f.item
		info, err := os.Stat(it.abs)
		if err != nil {
			f.missing = true
			if !it.optional {
				f.problems = append(f.problems, l.missing(it, err))
			}
			continue
		}
		f.state = FileState{Path: it.display, Size: info.Size(), ModTime: info.ModTime().UnixNano()}
		if old, ok := prevFiles[it.display]; ok && old == f.state {
			f.reused = true
			f.entities = prevEntities[it.display]
			f.problems = prevProblems[it.display]
			l.annotate(f)
			continue
		}
		toParse = append(toParse, f)
	}
	workers := l.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	jobs := make(chan *loadedFile)
	var wg sync.WaitGroup
	for range min(workers, len(toParse)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				l.parseFile(f)
			}
		}()
	}
	for _, f := range toParse {
		if ctx.Err() != nil {
			break
		}
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	for _, f := range toParse {
		keepLastGood(f, prevEntities[f.item.display])
	}
}

// keepLastGood keeps the previous version of entities a changed file no
// longer yields because of errors in it, as Backstage keeps an entity's last
// good version when its new one fails: a typo must not make a service
// disappear from the catalog. Entities removed from a file without errors
// are gone.
func keepLastGood(f *loadedFile, prev []*Entity) {
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
			File: f.item.display, Doc: e.Origin.Doc, Line: e.Origin.Line, Column: 1,
			Severity: SeverityWarning, Kind: e.Kind, Name: e.Metadata.Name,
			Message: "kept the last good version of this entity until the errors in this file are fixed",
		})
	}
}

func (l *Loader) missing(it loadItem, err error) Problem {
	sev := SeverityError
	if l.MissingTargetsAreWarnings && it.from != nil {
		sev = SeverityWarning
	}
	p := Problem{File: it.display, Doc: -1, Severity: sev, Code: CodeLocation, Message: fmt.Sprintf("cannot read: %v", unwrapPathError(err))}
	if it.from != nil {
		p = Problem{
			File: it.from.Origin.File, Doc: it.from.Origin.Doc, Line: it.from.Origin.Line, Column: 1,
			Severity: sev, Kind: it.from.Kind, Name: it.from.Metadata.Name, Field: it.field, Code: CodeLocation,
			Message: fmt.Sprintf("location target %s does not exist (set spec.presence: optional if that is expected)", it.display),
		}
		if pos, ok := it.from.refPos[it.field]; ok {
			p.Line, p.Column = pos.line, pos.col
		}
	}
	return p
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (l *Loader) parseFile(f *loadedFile) {
	data, err := os.ReadFile(f.item.abs)
	if err != nil {
		f.problems = append(f.problems, Problem{File: f.item.display, Doc: -1, Severity: SeverityError, Message: fmt.Sprintf("cannot read: %v", unwrapPathError(err))})
		return
	}
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

// annotate sets the location annotations Backstage sets. Entities shared with
// a previous snapshot are copied before any change.
func (l *Loader) annotate(f *loadedFile) {
	loc := "file:" + f.item.abs
	src := "file:" + filepath.Dir(f.item.abs) + string(filepath.Separator)
	for i, e := range f.entities {
		a := e.Metadata.Annotations
		want := map[string]string{
			AnnotationManagedByLocation:       loc,
			AnnotationManagedByOriginLocation: f.item.origin,
		}
		if _, ok := a[AnnotationSourceLocation]; !ok {
			want[AnnotationSourceLocation] = src
		}
		same := true
		for k, v := range want {
			if a[k] != v {
				same = false
			}
		}
		if same {
			continue
		}
		c := *e
		c.Metadata.Annotations = make(map[string]string, len(a)+3)
		for k, v := range a {
			c.Metadata.Annotations[k] = v
		}
		for k, v := range want {
			c.Metadata.Annotations[k] = v
		}
		f.entities[i] = &c
	}
	if f.reused {
		// The slice itself came from the previous snapshot's grouping.
		f.entities = append([]*Entity(nil), f.entities...)
	}
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
			out = append(out, loadItem{display: displayUnder(root, abs, m), abs: m, origin: "file:" + m})
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
	chain := append(append([]string(nil), f.item.chain...), f.item.abs)
	var out []loadItem
	var probs Problems
	locProblem := func(field, msg string) Problem {
		return Problem{File: e.Origin.File, Doc: e.Origin.Doc, Line: e.Origin.Line, Column: 1,
			Severity: SeverityError, Kind: e.Kind, Name: e.Metadata.Name, Field: field, Code: CodeLocation, Message: msg}
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
		base := loadItem{origin: f.item.origin, chain: chain, optional: optional, from: e, field: fields[i]}
		if hasGlobMeta(t) {
			matches, _ := globFiles(abs)
			if len(matches) == 0 && !optional {
				base.display, base.abs = display, abs
				probs = append(probs, l.missing(base, fs.ErrNotExist))
			}
			for _, m := range matches {
				it := base
				it.abs = m
				it.display = filepath.Join(filepath.Dir(f.item.display), mustRel(filepath.Dir(f.item.abs), m))
				if inChain(chain, m) {
					probs = append(probs, withSeverity(locProblem(fields[i], fmt.Sprintf("location cycle: %s leads back to %s, which is already being read", t, it.display)), SeverityWarning))
					continue
				}
				out = append(out, it)
			}
			continue
		}
		if inChain(chain, abs) {
			probs = append(probs, withSeverity(locProblem(fields[i], fmt.Sprintf("location cycle: %s leads back to a Location already being read", t)), SeverityWarning))
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

func inChain(chain []string, p string) bool {
	for _, c := range chain {
		if c == p {
			return true
		}
	}
	return false
}

func hasGlobMeta(s string) bool { return strings.ContainsAny(s, "*?[") }

// globFiles expands a pattern with *, ?, [..] within a path segment and **
// across segments, returning matching regular files in lexical order.
func globFiles(pattern string) ([]string, error) {
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
	rest := segs[i:]
	var out []string
	err := filepath.WalkDir(filepath.FromSlash(base), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(filepath.FromSlash(base), p)
		if rel == "." {
			return nil
		}
		relSegs := strings.Split(filepath.ToSlash(rel), "/")
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") || !prefixCanMatch(rest, relSegs) {
				return filepath.SkipDir
			}
			return nil
		}
		if matchSegments(rest, relSegs) {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
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
