package catalog

import (
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
