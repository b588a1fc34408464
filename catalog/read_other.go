//go:build !linux

package catalog

import "os"

// rawFile is an open file; on Linux it is a bare descriptor (see
// read_linux.go).
type rawFile struct{ *os.File }

func openStat(path string) (rawFile, fileStat, error) {
	f, err := os.Open(path)
	if err != nil {
		return rawFile{}, fileStat{}, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return rawFile{}, fileStat{}, err
	}
	return rawFile{f}, fileStat{size: info.Size(), modTime: info.ModTime().UnixNano()}, nil
}

func (f rawFile) read(b []byte) (int, error) { return f.File.Read(b) }

func (f rawFile) close() { f.File.Close() }

// statFile stats path, following symbolic links, and tells whether it is a
// regular file.
func statFile(path string) (fileStat, bool, error) {
	info, err := os.Stat(path)
	if err != nil {
		return fileStat{}, false, err
	}
	return fileStat{size: info.Size(), modTime: info.ModTime().UnixNano()}, info.Mode().IsRegular(), nil
}
