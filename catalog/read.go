package catalog

import (
	"errors"
	"io"
	"os"
)

// errNotRegular is the error of reading a file that is not a regular file.
var errNotRegular = errors.New("not a regular file")

// fileStat is what the loader records of a file it read.
type fileStat struct {
	size    int64
	modTime int64 // UnixNano
}

// readInto reads a file into buf, growing it, and returns its size and
// modification time from the same open file. It reads up to the size the
// stat gives without asking for the end of the file (a read fewer per
// file), so what it returns is the version the stat describes; a file that
// shrank since is read to its end. Errors are *fs.PathError, as os.Open's.
func readInto(buf []byte, path string) ([]byte, fileStat, error) {
	f, st, err := openStat(path)
	if err != nil {
		return buf, fileStat{}, err
	}
	defer f.close()
	size := int(st.size)
	if want := size + 512; cap(buf) < want {
		buf = make([]byte, 0, want)
	}
	buf = buf[:0]
	for len(buf) < size {
		n, err := f.read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF:
			return buf, st, nil
		case err != nil:
			return buf, fileStat{}, &os.PathError{Op: "read", Path: path, Err: err}
		}
	}
	return buf[:size], st, nil
}
