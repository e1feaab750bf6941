package runner

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"cohos.dev/cohos/internal/atomicfile"
)

// createLog creates the new log file dir/name (mode 0644, append-only). It
// is opened for reading too, so that finishLog can restore the log from
// this descriptor when the job replaces the file at the path (the job can
// read its own log through the run directory anyway). Errors wrap ErrWrite.
func createLog(dir, name string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWrite, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return f, nil
}

// finishLog syncs f, the log created by createLog, and returns its size.
// Call it only when nothing writes to f any more.
//
// When the path f was created at no longer names f's file (the job removed
// or renamed it and put something else there, a symlink included), the
// path is restored from f, atomically, and problem says so. Only the file
// cohos wrote to is ever attested. Errors wrap ErrWrite.
func finishLog(f *os.File) (size int64, problem string, err error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, "", fmt.Errorf("%w: %w", ErrWrite, err)
	}
	if err := f.Sync(); err != nil {
		return fi.Size(), "", fmt.Errorf("%w: sync %s: %w", ErrWrite, f.Name(), err)
	}
	if at, err := os.Lstat(f.Name()); err == nil && os.SameFile(fi, at) {
		return fi.Size(), "", nil
	}
	name := filepath.Base(f.Name())
	if err := restoreLog(f, fi.Size()); err != nil {
		return fi.Size(), "", err
	}
	return fi.Size(), fmt.Sprintf("%s was replaced during the run; restored from cohos's copy", name), nil
}

// restoreLog writes the first size bytes of f to a new file at f.Name()
// that replaces whatever is there: copied to a temporary file in the same
// directory, synced and renamed over the path. Errors wrap ErrWrite.
func restoreLog(f *os.File, size int64) (err error) {
	path := f.Name()
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".restore-*")
	if err != nil {
		return fmt.Errorf("%w: restore %s: %w", ErrWrite, path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, io.NewSectionReader(f, 0, size)); err != nil {
		return fmt.Errorf("%w: restore %s: %w", ErrWrite, path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("%w: restore %s: %w", ErrWrite, path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("%w: restore %s: %w", ErrWrite, path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%w: restore %s: %w", ErrWrite, path, err)
	}
	// A directory at the path cannot be renamed over; anything else can.
	if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
		if err := os.RemoveAll(path); err != nil {
			return fmt.Errorf("%w: restore %s: %w", ErrWrite, path, err)
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("%w: restore %s: %w", ErrWrite, path, err)
	}
	if err := atomicfile.SyncDir(dir); err != nil {
		return fmt.Errorf("%w: restore %s: %w", ErrWrite, path, err)
	}
	return nil
}
