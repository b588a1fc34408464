package catalog

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadInto(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog-info.yaml")
	text := strings.Repeat("kind: Component\n", 500)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, buf := range [][]byte{nil, make([]byte, 3, 10), make([]byte, 0, 1<<16)} {
		got, st, err := readInto(buf, path)
		info, _ := os.Stat(path)
		if err != nil || string(got) != text || st.size != int64(len(text)) || st.modTime != info.ModTime().UnixNano() {
			t.Errorf("readInto into a buffer of %d: %d bytes, %v; want %d bytes and its stat", cap(buf), len(got), err, len(text))
		}
	}
	empty := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _, err := readInto(nil, empty); err != nil || len(got) != 0 {
		t.Errorf("empty file: %q, %v", got, err)
	}
	if _, _, err := readInto(nil, filepath.Join(t.TempDir(), "missing.yaml")); !os.IsNotExist(err) {
		t.Errorf("missing file: error %v, want not-exist", err)
	}
	if _, _, err := readInto(nil, t.TempDir()); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a directory: error %v, want \"is a directory\"", err)
	}
}

func TestStatFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "catalog-info.yaml")
	if err := os.WriteFile(path, []byte("kind: Group\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(path)
	for _, p := range []string{path, link} {
		st, regular, err := statFile(p)
		if err != nil || !regular || st.size != info.Size() || st.modTime != info.ModTime().UnixNano() {
			t.Errorf("statFile(%s) = %+v, %v, %v; want the file's size and time, regular", filepath.Base(p), st, regular, err)
		}
	}
	if _, regular, err := statFile(dir); err != nil || regular {
		t.Errorf("statFile(a directory) = regular %v, %v", regular, err)
	}
	if _, _, err := statFile(filepath.Join(dir, "missing.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("statFile(missing) error %v, want not-exist", err)
	}
}
