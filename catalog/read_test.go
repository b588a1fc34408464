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
	for _, c := range []struct {
		name string
		size int64
		buf  []byte
		want string
	}{
		{"as stat'ed", int64(len(text)), nil, text},
		{"into a small buffer", int64(len(text)), make([]byte, 3, 10), text},
		{"grown since the stat", 100, nil, text[:100]},
		{"shrunk since the stat", int64(len(text)) + 5000, nil, text},
		{"empty at the stat", 0, nil, ""},
	} {
		got, err := readInto(c.buf, path, c.size)
		if err != nil || string(got) != c.want {
			t.Errorf("%s: readInto = %d bytes, %v; want %d bytes", c.name, len(got), err, len(c.want))
		}
	}
	if _, err := readInto(nil, filepath.Join(t.TempDir(), "missing.yaml"), 10); !os.IsNotExist(err) {
		t.Errorf("missing file: error %v, want not-exist", err)
	}
}
