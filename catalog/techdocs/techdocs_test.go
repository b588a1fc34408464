package techdocs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callboard/callboard/catalog"
)

func TestSplit(t *testing.T) {
	md := "intro line\n# Title\n\ntext\n## Rollback\n1. argocd rollback\n```sh\n# not a heading\n```\n### Deep\nmore\n"
	p := Split("runbook.md", md)
	if p.Title != "Title" {
		t.Errorf("Title = %q, want Title", p.Title)
	}
	var heads []string
	for _, s := range p.Sections {
		heads = append(heads, s.Heading)
	}
	if got := strings.Join(heads, "|"); got != "|Title|Rollback|Deep" {
		t.Errorf("headings = %q, want |Title|Rollback|Deep", got)
	}
	if !strings.Contains(p.Sections[2].Text, "# not a heading") {
		t.Errorf("a # line inside a code fence became a heading: %+v", p.Sections)
	}
}

func entityAt(dir, ref string) *catalog.Entity {
	return &catalog.Entity{Kind: "Component", Metadata: catalog.Metadata{Name: "svc", Annotations: catalog.KeyValuesOf(map[string]string{
		catalog.AnnotationTechDocsRef:             ref,
		catalog.AnnotationManagedByLocation:       "file:" + filepath.Join(dir, "svc", "catalog-info.yaml"),
		catalog.AnnotationManagedByOriginLocation: "file:" + filepath.Join(dir, "catalog-info.yaml"),
	})}}
}

func TestOpenAndSearch(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("svc/mkdocs.yml", "site_name: Svc\nnav:\n  - Home: index.md\n  - Runbook: runbook.md\n")
	write("svc/docs/index.md", "# Svc\nWhat it does.\n## Scaling\nAdd replicas.\n")
	write("svc/docs/runbook.md", "# Svc runbook\n## Rollback\nRoll back with argocd.\n## Alerts\nHigh latency: check the rollback dashboard.\n")
	write("secret.md", "# Secret\n")

	site, err := Open(entityAt(dir, "dir:."))
	if err != nil {
		t.Fatal(err)
	}
	if site.Name != "Svc" || len(site.Pages) != 2 || site.Pages[0].Path != "index.md" {
		t.Fatalf("site = %+v", site)
	}
	hits := site.Search("rollback", 3)
	if len(hits) != 2 || hits[0].Section.Heading != "Rollback" {
		t.Errorf("Search(rollback) = %+v, want the Rollback section first", hits)
	}
	if _, err := Open(entityAt(dir, "dir:../..")); !errors.Is(err, ErrNoDocs) {
		t.Errorf("Open(dir:../..) = %v, want ErrNoDocs (outside the catalog folder)", err)
	}
	if _, err := Open(entityAt(dir, "url:https://example.com/docs")); !errors.Is(err, ErrNoDocs) {
		t.Errorf("Open(url:) = %v, want ErrNoDocs", err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "svc", "docs", "leak.md")); err != nil {
		t.Fatal(err)
	}
	site, err = Open(entityAt(dir, "dir:."))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range site.Pages {
		if p.Path == "leak.md" {
			t.Errorf("a symlink out of the catalog folder was read: %+v", p)
		}
	}
	if _, err := Open(entityAt(dir, "dir:missing")); !errors.Is(err, ErrNoDocs) {
		t.Errorf("Open(dir:missing) = %v, want ErrNoDocs", err)
	}
}
