package boltstore

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/klauspost/compress/s2"

	"github.com/callboard/callboard/catalog"
)

// A snapshot's file states are stored, like its entities, in S2-compressed
// blocks under their numbers (4 bytes big-endian), in the order the
// snapshot lists them. Decompressed, a block is one record per file: the
// length of the prefix its path shares with the block's previous path
// (uvarint), the length of the rest (uvarint), the rest, then size and
// modification time (varints). A large catalog's paths differ only at
// their ends: a bbolt key per file was 100,000 puts, 50 MB of garbage and
// a sort at the end of every sync, where a few blocks take a few
// milliseconds.

// A file block is cut once its records reach blockBytes or its paths,
// spelled out, fileBlockPaths; no path is empty or longer than
// maxPathBytes. Decoding holds blocks to the same bounds, so a corrupt one
// cannot make it allocate more than a block's worth.
const (
	maxPathBytes   = 64 << 10
	fileBlockPaths = 16 << 20
	maxFileRecord  = maxPathBytes + 4*binary.MaxVarintLen64
	maxFileBlock   = blockBytes + maxFileRecord
)

// encodeFileStates returns the blocks holding files.
func encodeFileStates(files []catalog.FileState) ([][]byte, error) {
	var blocks [][]byte
	var raw []byte
	prev := ""
	paths := 0
	for i, f := range files {
		if len(f.Path) == 0 || len(f.Path) > maxPathBytes {
			return nil, fmt.Errorf("file state %d: a path of %d bytes is not one a snapshot keeps (1 to %d)", i, len(f.Path), maxPathBytes)
		}
		shared := 0
		for shared < len(prev) && shared < len(f.Path) && prev[shared] == f.Path[shared] {
			shared++
		}
		raw = binary.AppendUvarint(raw, uint64(shared))
		raw = binary.AppendUvarint(raw, uint64(len(f.Path)-shared))
		raw = append(raw, f.Path[shared:]...)
		raw = binary.AppendVarint(raw, f.Size)
		raw = binary.AppendVarint(raw, f.ModTime)
		prev = f.Path
		if paths += len(f.Path); len(raw) >= blockBytes || paths >= fileBlockPaths || i == len(files)-1 {
			blocks = append(blocks, s2.Encode(nil, raw))
			raw, prev, paths = raw[:0], "", 0
		}
	}
	return blocks, nil
}

// decodeFileStates reads the blocks encodeFileStates wrote, checking their
// numbering and framing. Each block's paths share one allocation.
func decodeFileStates(blocks []kv) ([]catalog.FileState, error) {
	var files []catalog.FileState
	var raw []byte
	for b, blk := range blocks {
		if k := blk.key; len(k) != 4 || binary.BigEndian.Uint32(k) != uint32(b) {
			return nil, fmt.Errorf("decode stored file block %d: %w: stored under key %x", b, errCorrupt, k)
		}
		var err error
		if raw, err = decompress(raw, blk.value, maxFileBlock); err != nil {
			return nil, fmt.Errorf("decode stored file block %d: %w", b, err)
		}
		// A first pass checks the framing and sizes the block's paths.
		type rec struct {
			shared, n, at int
			size, mtime   int64
		}
		var recs []rec
		total := 0
		prevLen := 0
		for rest := raw; len(rest) > 0; {
			at := len(raw) - len(rest)
			shared, k1 := binary.Uvarint(rest)
			if k1 <= 0 || shared > uint64(prevLen) {
				return nil, fmt.Errorf("decode stored file block %d: %w: file %d at byte %d shares more than its predecessor", b, errCorrupt, len(recs), at)
			}
			n, k2 := binary.Uvarint(rest[k1:])
			if k2 <= 0 || n > uint64(len(rest)-k1-k2) {
				return nil, fmt.Errorf("decode stored file block %d: %w: file %d at byte %d runs past its end", b, errCorrupt, len(recs), at)
			}
			rest = rest[k1+k2+int(n):]
			size, k3 := binary.Varint(rest)
			if k3 <= 0 {
				return nil, fmt.Errorf("decode stored file block %d: %w: file %d has no size", b, errCorrupt, len(recs))
			}
			mtime, k4 := binary.Varint(rest[k3:])
			if k4 <= 0 {
				return nil, fmt.Errorf("decode stored file block %d: %w: file %d has no modification time", b, errCorrupt, len(recs))
			}
			rest = rest[k3+k4:]
			recs = append(recs, rec{shared: int(shared), n: int(n), at: at + k1 + k2, size: size, mtime: mtime})
			prevLen = int(shared) + int(n)
			if total += prevLen; prevLen == 0 || prevLen > maxPathBytes || total > fileBlockPaths+maxPathBytes {
				return nil, fmt.Errorf("decode stored file block %d: %w: file %d makes a path of %d bytes, %d in all", b, errCorrupt, len(recs)-1, prevLen, total)
			}
		}
		var paths strings.Builder
		paths.Grow(total) // no reallocation: each path is a substring of it
		prevStart := 0
		for _, r := range recs {
			start := paths.Len()
			paths.WriteString(paths.String()[prevStart : prevStart+r.shared])
			paths.Write(raw[r.at : r.at+r.n])
			files = append(files, catalog.FileState{Path: paths.String()[start:], Size: r.size, ModTime: r.mtime})
			prevStart = start
		}
	}
	return files, nil
}
