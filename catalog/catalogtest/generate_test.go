package catalogtest_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/callboard/callboard/catalog/catalogtest"
)

func TestGenerateOrg_Deterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	sa, err := catalogtest.GenerateOrg(a, 120)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := catalogtest.GenerateOrg(b, 120)
	if err != nil {
		t.Fatal(err)
	}
	if sa.Files != sb.Files || sa.Bytes != sb.Bytes || sa.Entities != sb.Entities {
		t.Fatalf("two runs differ: %+v and %+v", sa, sb)
	}
	files := 0
	err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		rel, _ := filepath.Rel(a, p)
		da, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		db, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil {
			return err
		}
		if !bytes.Equal(da, db) {
			t.Errorf("%s differs between two runs", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != sa.Files {
		t.Errorf("found %d files, Stats.Files = %d", files, sa.Files)
	}
	if _, err := os.Stat(filepath.Join(a, "components", catalogtest.KnownComponent, "catalog-info.yaml")); err != nil {
		t.Errorf("no folder for %s: %v", catalogtest.KnownComponent, err)
	}
}

func TestGenerateOrgCached_Reuses(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	dir := catalogtest.GenerateOrgCached(t, 30)
	st, err := catalogtest.ReadStats(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Components != 30 {
		t.Errorf("ReadStats(%s).Components = %d, want 30", dir, st.Components)
	}
	// A reused folder is not regenerated: a file left in it survives.
	extra := filepath.Join(dir, "left-by-test")
	if err := os.WriteFile(extra, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if again := catalogtest.GenerateOrgCached(t, 30); again != dir {
		t.Errorf("second GenerateOrgCached = %s, want %s", again, dir)
	}
	if _, err := os.Stat(extra); err != nil {
		t.Errorf("folder was regenerated: %v", err)
	}
	if _, err := catalogtest.ReadStats(t.TempDir()); err == nil {
		t.Error("ReadStats of an empty folder succeeded")
	}
}

func TestGenerateOrg_NoComponents(t *testing.T) {
	if _, err := catalogtest.GenerateOrg(t.TempDir(), 0); err == nil {
		t.Error("GenerateOrg(dir, 0) succeeded, want an error")
	}
}
