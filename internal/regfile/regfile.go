// Package regfile reads files that must be regular files of bounded size,
// without ever blocking on a FIFO or device planted under the expected name.
package regfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is returned for a path that is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is returned for a file larger than the limit.
var ErrTooLarge = errors.New("file too large")

// Read returns the content of path, which must be a regular file of at most
// limit bytes. The open never blocks (O_NONBLOCK), so a FIFO in its place is
// reported, not waited on. Errors name the path and wrap ErrNotRegular,
// ErrTooLarge or the fs error.
func Read(path string, limit int64) ([]byte, error) {
	b, _, err := ReadMode(path, limit)
	return b, err
}

// Open opens path for reading without blocking (a FIFO is not waited on)
// and returns it only if it is a regular file; otherwise the error names
// the path and wraps ErrNotRegular or the fs error.
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, fi.Mode().Type())
	}
	return f, nil
}

// ReadMode is Read that also returns the permission bits of the file it
// read (from the descriptor read, so they belong to those bytes).
func ReadMode(path string, limit int64) ([]byte, fs.FileMode, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	b, err := readOpen(f, path, limit)
	return b, fi.Mode().Perm(), err
}

// ReadFS is Read for a file in fsys. It checks the entry's type (without
// following a symlink, where fsys can say) before opening it, so a FIFO
// planted under the name is refused rather than blocking the open.
func ReadFS(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := OpenFS(fsys, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpen(f, name, limit)
}

// OpenFS opens name in fsys for reading in a stream, as ReadFS checks it:
// the entry must be a regular file (checked without following a symlink
// before opening, and on the open file).
func OpenFS(fsys fs.FS, name string) (fs.File, error) {
	fi, err := fs.Lstat(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (%s)", name, ErrNotRegular, fi.Mode().Type())
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if fi, err = f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = fmt.Errorf("%w (%s)", ErrNotRegular, fi.Mode().Type())
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}

// readOpen reads an open file that must still be regular and within limit.
func readOpen(f fs.File, name string, limit int64) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (%s)", name, ErrNotRegular, fi.Mode().Type())
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", name, ErrTooLarge, limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", name, ErrTooLarge, limit)
	}
	return b, nil
}
