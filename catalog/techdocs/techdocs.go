// Package techdocs finds and searches an entity's docs-like-code: the
// MkDocs site that `backstage.io/techdocs-ref: dir:…` points at, read from
// the local checkout the catalog came from.
package techdocs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/callboard/callboard/catalog"
)

// ErrNoDocs is returned for entities without readable local docs.
var ErrNoDocs = errors.New("no docs")

// Site is one entity's docs.
type Site struct {
	Name  string // site_name from mkdocs.yml
	Dir   string // the docs folder
	Pages []Page
}

// Page is one Markdown file split at its headings.
type Page struct {
	Path     string // relative to Dir, slash-separated
	Title    string
	Sections []Section
}

// Section is the text under one heading.
type Section struct {
	Page    string
	Heading string
	Level   int
	Text    string
}

type mkdocsConfig struct {
	SiteName string `yaml:"site_name"`
	DocsDir  string `yaml:"docs_dir"`
	Nav      []any  `yaml:"nav"`
}

// Open reads the docs of e. Only `dir:` refs of entities read from local
// files are supported; the folder must stay inside the folder of the
// Location that brought the entity in, so a descriptor cannot point the bot
// at arbitrary files.
func Open(e *catalog.Entity) (*Site, error) {
	ref := e.Annotation(catalog.AnnotationTechDocsRef)
	if ref == "" {
		return nil, fmt.Errorf("open docs of %s: no %s annotation: %w", e.Ref().Short(), catalog.AnnotationTechDocsRef, ErrNoDocs)
	}
	rel, ok := strings.CutPrefix(ref, "dir:")
	if !ok {
		return nil, fmt.Errorf("open docs of %s: %s %q is not a dir: ref: %w", e.Ref().Short(), catalog.AnnotationTechDocsRef, ref, ErrNoDocs)
	}
	file, ok := strings.CutPrefix(e.Annotation(catalog.AnnotationManagedByLocation), "file:")
	if !ok {
		return nil, fmt.Errorf("open docs of %s: not read from a local file: %w", e.Ref().Short(), ErrNoDocs)
	}
	root := filepath.Dir(file)
	if origin, ok := strings.CutPrefix(e.Annotation(catalog.AnnotationManagedByOriginLocation), "file:"); ok {
		root = filepath.Dir(origin)
	}
	base := filepath.Clean(filepath.Join(filepath.Dir(file), filepath.FromSlash(rel)))
	relBase, err := filepath.Rel(root, base)
	if err != nil || !filepath.IsLocal(relBase) && relBase != "." {
		return nil, fmt.Errorf("open docs of %s: %s leaves the catalog folder: %w", e.Ref().Short(), ref, ErrNoDocs)
	}
	// Every read goes through an os.Root at the catalog folder, so a
	// symlink in the docs cannot lead the bot to files outside it.
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open docs of %s: %v: %w", e.Ref().Short(), err, ErrNoDocs)
	}
	defer r.Close()
	return read(r.FS(), filepath.ToSlash(relBase), base)
}

func read(fsys fs.FS, base, display string) (*Site, error) {
	cfg := mkdocsConfig{DocsDir: "docs"}
	if data, err := fs.ReadFile(fsys, path.Join(base, "mkdocs.yml")); err == nil {
		if err := yaml.Unmarshal(data, &cfg); err != nil {
			return nil, fmt.Errorf("read %s: %w", filepath.Join(base, "mkdocs.yml"), err)
		}
		if cfg.DocsDir == "" {
			cfg.DocsDir = "docs"
		}
	}
	if !filepath.IsLocal(filepath.FromSlash(cfg.DocsDir)) {
		return nil, fmt.Errorf("docs_dir %q leaves %s: %w", cfg.DocsDir, display, ErrNoDocs)
	}
	dir := path.Join(base, cfg.DocsDir)
	site := &Site{Name: cfg.SiteName, Dir: filepath.Join(display, filepath.FromSlash(cfg.DocsDir))}
	order := navOrder(cfg.Nav)
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(d.Name(), ".md") {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
		site.Pages = append(site.Pages, Split(rel, string(data)))
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read docs in %s: %w", dir, ErrNoDocs)
	}
	if err != nil {
		return nil, fmt.Errorf("read docs in %s: %w", dir, err)
	}
	sort.SliceStable(site.Pages, func(i, j int) bool {
		oi, oj := rank(order, site.Pages[i].Path), rank(order, site.Pages[j].Path)
		if oi != oj {
			return oi < oj
		}
		return site.Pages[i].Path < site.Pages[j].Path
	})
	return site, nil
}

// navOrder flattens mkdocs nav entries (strings or {title: path} maps) to
// page paths in order.
func navOrder(nav []any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(nav)
	return out
}

func rank(order []string, p string) int {
	for i, o := range order {
		if o == p {
			return i
		}
	}
	return len(order)
}

// Split cuts Markdown at ATX headings (#, ##, …) outside fenced code blocks.
// Text before the first heading belongs to a section with the page title.
func Split(path, md string) Page {
	page := Page{Path: path}
	cur := Section{Page: path}
	var body strings.Builder
	fence := ""
	flush := func() {
		cur.Text = strings.TrimSpace(body.String())
		if cur.Heading != "" || cur.Text != "" {
			page.Sections = append(page.Sections, cur)
		}
		body.Reset()
	}
	for _, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			switch {
			case fence == "":
				fence = trimmed[:3]
			case strings.HasPrefix(trimmed, fence):
				fence = ""
			}
		}
		if fence == "" && strings.HasPrefix(line, "#") {
			level := len(line) - len(strings.TrimLeft(line, "#"))
			if level <= 6 && (len(line) == level || line[level] == ' ') {
				flush()
				cur = Section{Page: path, Heading: strings.TrimSpace(strings.Trim(line[level:], "# ")), Level: level}
				if page.Title == "" && level == 1 {
					page.Title = cur.Heading
				}
				continue
			}
		}
		body.WriteString(line + "\n")
	}
	flush()
	if page.Title == "" {
		page.Title = strings.TrimSuffix(path, ".md")
	}
	return page
}

// Hit is a section matching a query.
type Hit struct {
	Section Section
	Score   int
}

// Search returns the sections that mention the query's words, best first:
// words in a heading count more than words in the text.
func (s *Site) Search(query string, limit int) []Hit {
	words := strings.Fields(strings.ToLower(query))
	if len(words) == 0 {
		return nil
	}
	var hits []Hit
	for _, p := range s.Pages {
		for _, sec := range p.Sections {
			h, t := strings.ToLower(sec.Heading), strings.ToLower(sec.Text)
			score, all := 0, true
			for _, w := range words {
				hs, ts := strings.Count(h, w), strings.Count(t, w)
				if hs+ts == 0 && !strings.Contains(strings.ToLower(p.Title), w) {
					all = false
				}
				score += 10*hs + min(ts, 5)
			}
			if score > 0 && all {
				hits = append(hits, Hit{Section: sec, Score: score})
			}
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}
