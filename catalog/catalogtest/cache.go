package catalogtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// completeMarker is written last into a cached organisation; it holds the
// Stats as JSON. The root Location's globs do not match it.
const completeMarker = ".callboard-org-complete.json"

// GenerateOrgCached returns the folder of a generated organisation of the
// given size, generating it only when no earlier run left a complete one.
//
// The folder is os.TempDir()/callboard-org-v<GeneratorVersion>-<components>,
// so repeated benchmark runs, and the benchmarks of several packages, share
// it: 100,000 components are 400,000 files (2.3 GB on disk) and take half a
// minute to write.
// A folder counts as complete when its marker file exists; generation goes
// to a temporary sibling that is renamed into place, so an interrupted run
// or a concurrent test binary never leaves a half-written folder behind.
// Changing the generator means bumping GeneratorVersion; old folders are not
// removed (delete os.TempDir()/callboard-org-* by hand to reclaim space).
//
// Callers must treat the folder as read-only. Use GenerateOrg into
// t.TempDir() for a test that modifies files.
func GenerateOrgCached(tb testing.TB, components int) string {
	tb.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("callboard-org-v%d-%d", GeneratorVersion, components))
	if _, err := ReadStats(dir); err == nil {
		return dir
	}
	tmp, err := os.MkdirTemp(os.TempDir(), filepath.Base(dir)+"-*.tmp")
	if err != nil {
		tb.Fatalf("generate organisation: %v", err)
	}
	start := time.Now()
	st, err := GenerateOrg(tmp, components)
	if err == nil {
		err = writeStats(tmp, st)
	}
	if err != nil {
		os.RemoveAll(tmp)
		tb.Fatalf("generate organisation of %d components: %v", components, err)
	}
	tb.Logf("generated %d components (%d entities, %d files, %.1f MB) in %s into %s",
		components, st.Entities, st.Files, float64(st.Bytes)/1e6, time.Since(start).Round(time.Millisecond), dir)
	if _, err := os.Stat(dir); err == nil {
		// An incomplete folder from an older, interrupted scheme: replace it.
		if _, err := ReadStats(dir); err != nil {
			os.RemoveAll(dir)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another process finished first; use its folder.
		os.RemoveAll(tmp)
		if _, err2 := ReadStats(dir); err2 != nil {
			tb.Fatalf("generate organisation: move into %s: %v", dir, err)
		}
	}
	return dir
}

// ReadStats returns the Stats of a folder made by GenerateOrgCached.
func ReadStats(dir string) (Stats, error) {
	data, err := os.ReadFile(filepath.Join(dir, completeMarker))
	if errors.Is(err, fs.ErrNotExist) {
		return Stats{}, fmt.Errorf("read organisation stats: %s is not a complete generated organisation", dir)
	}
	if err != nil {
		return Stats{}, fmt.Errorf("read organisation stats: %w", err)
	}
	var st Stats
	if err := json.Unmarshal(data, &st); err != nil {
		return Stats{}, fmt.Errorf("read organisation stats %s: %w", dir, err)
	}
	return st, nil
}

func writeStats(dir string, st Stats) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, completeMarker), data, 0o644)
}
