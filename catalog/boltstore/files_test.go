package boltstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/s2"

	"github.com/callboard/callboard/catalog"
)

func fileBlocks(blocks [][]byte) []kv {
	out := make([]kv, len(blocks))
	for i, b := range blocks {
		out[i] = kv{binary.BigEndian.AppendUint32(nil, uint32(i)), b}
	}
	return out
}

func TestFileStates_RoundTrip(t *testing.T) {
	// Paths that share prefixes, one that is a prefix of the next, one
	// shorter than the one before, non-ASCII, and enough long ones for
	// several blocks by their records' size.
	files := []catalog.FileState{
		{Path: "/srv/org/catalog-info.yaml", Size: 120, ModTime: 1},
		{Path: "/srv/org/catalog-info.yaml.d/x.yaml", Size: 0, ModTime: -5},
		{Path: "/srv/org/a.yaml", Size: 1 << 40, ModTime: 1732460645000000000},
		{Path: "/srv/órg/ünïcode/catalog-info.yaml", Size: 7, ModTime: 2},
		{Path: "relative/catalog-info.yaml", Size: 4, ModTime: 4},
	}
	long := strings.Repeat("deep/", 60)
	for i := range 12000 {
		files = append(files, catalog.FileState{Path: fmt.Sprintf("/srv/org/%06d/%s/catalog-info.yaml", i, long[:i%len(long)]), Size: int64(i), ModTime: int64(i) * 1e9})
	}
	blocks, err := encodeFileStates(files)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) < 2 {
		t.Fatalf("encodeFileStates made %d blocks of %d files; the test wants several", len(blocks), len(files))
	}
	got, err := decodeFileStates(fileBlocks(blocks))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, files) {
		for i := range min(len(got), len(files)) {
			if got[i] != files[i] {
				t.Fatalf("file %d = %+v, want %+v", i, got[i], files[i])
			}
		}
		t.Fatalf("decoded %d files, want %d", len(got), len(files))
	}
	if got, err := decodeFileStates(fileBlocks(mustEncodeFileStates(t, nil))); err != nil || len(got) != 0 {
		t.Errorf("no files: decoded %v, %v", got, err)
	}
}

func mustEncodeFileStates(t *testing.T, files []catalog.FileState) [][]byte {
	t.Helper()
	blocks, err := encodeFileStates(files)
	if err != nil {
		t.Fatal(err)
	}
	return blocks
}

// Long paths that differ only at their ends make small records but many
// bytes of paths: blocks are cut by those too, and what Save writes Load
// reads back.
func TestFileStates_LongSharedPaths(t *testing.T) {
	prefix := "/srv/" + strings.Repeat("nested-folder/", maxPathBytes/16)
	var files []catalog.FileState
	for i := range 600 {
		files = append(files, catalog.FileState{Path: fmt.Sprintf("%s%06d.yaml", prefix, i), Size: int64(i)})
	}
	blocks := mustEncodeFileStates(t, files)
	if len(blocks) < 2 {
		t.Fatalf("%d files with %d-byte paths made %d block(s), want them cut by path bytes", len(files), len(files[0].Path), len(blocks))
	}
	got, err := decodeFileStates(fileBlocks(blocks))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, files) {
		t.Fatalf("decoded %d files unlike the %d encoded", len(got), len(files))
	}
}

func TestFileStates_Corrupt(t *testing.T) {
	files := []catalog.FileState{{Path: "/srv/a/catalog-info.yaml", Size: 1, ModTime: 2}, {Path: "/srv/b/catalog-info.yaml", Size: 3, ModTime: 4}}
	good := fileBlocks(mustEncodeFileStates(t, files))
	raw, err := s2.Decode(nil, good[0].value)
	if err != nil {
		t.Fatal(err)
	}
	record := func(shared, n int, rest string) []byte {
		b := binary.AppendUvarint(binary.AppendUvarint(nil, uint64(shared)), uint64(n))
		return append(b, rest...)
	}
	one := func(raw []byte) []kv { return []kv{{good[0].key, s2.Encode(nil, raw)}} }
	for name, blocks := range map[string][]kv{
		"a block numbered 1 of 1":       {{[]byte{0, 0, 0, 1}, good[0].value}},
		"a short block number":          {{[]byte{0, 0, 0}, good[0].value}},
		"a block that is not S2":        {{good[0].key, []byte("not a block")}},
		"a record cut short":            one(raw[:len(raw)-1]),
		"a path running past the block": one(record(0, 50, "/srv")),
		"a first path sharing a prefix": one(append(record(3, 1, "x"), 2, 2)),
		"a path longer than any":        one(append(record(0, maxPathBytes+1, strings.Repeat("x", maxPathBytes+1)), 2, 2)),
		"a record without a size":       one(record(0, 1, "x")),
		"an empty path":                 one(append(record(0, 0, ""), 2, 2)),
		// Empty records of zeros: 28 bytes that would have decoded to 16
		// million files.
		"a block of zeros":       one(make([]byte, 64<<20)),
		"a block over its bound": one(bytes.Repeat(append(record(0, 1, "x"), 2, 2), maxFileBlock/5+1)),
	} {
		if _, err := decodeFileStates(blocks); !errors.Is(err, errCorrupt) {
			t.Errorf("%s accepted: %v", name, err)
		}
	}
}

// FuzzDecodeFileStates fuzzes a file block's records (uncompressed: what
// is fuzzed is the framing, not S2). Decoding never panics, and what it
// accepts encodes to blocks that decode to the same files.
func FuzzDecodeFileStates(f *testing.F) {
	files := []catalog.FileState{{Path: "/srv/a/catalog-info.yaml", Size: 1, ModTime: 2}, {Path: "/srv/b/catalog-info.yaml", Size: 3, ModTime: -4}}
	for _, blk := range mustEncodeFileStates(&testing.T{}, files) {
		raw, err := s2.Decode(nil, blk)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte{})
	f.Add([]byte{0, 1, 'x', 2, 2, 1, 1, 'y', 0, 0})
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := decodeFileStates([]kv{{[]byte{0, 0, 0, 0}, s2.Encode(nil, raw)}})
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("decode error %v does not wrap errCorrupt", err)
			}
			return
		}
		blocks, err := encodeFileStates(got)
		if err != nil {
			t.Fatalf("decoded files do not encode: %v", err)
		}
		again, err := decodeFileStates(fileBlocks(blocks))
		if err != nil || !slices.Equal(got, again) {
			t.Fatalf("decode(encode(decode(x))) differs: %v", err)
		}
	})
}
