// Package atomicfile writes files so that a crash never leaves a partial
// file under the final name: the data goes to a temporary file in the same
// directory, is synced, and is renamed over the target.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists is returned by Create when the target already exists.
var ErrExists = errors.New("file already exists")

// Write atomically replaces (or creates) path with data and mode perm,
// and syncs the directory so the rename survives a crash.
func Write(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, true, true)
}

// WriteUnsynced is Write without the directory sync: the file's content is
// synced, but the rename becomes durable only with the next SyncDir (or
// Write, or Create) in the same directory. Use it for a batch of files
// followed by one last durable write.
func WriteUnsynced(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, true, false)
}

// WriteStream is WriteUnsynced for content written by fill, so that a
// large file never has to be in memory whole.
func WriteStream(path string, perm fs.FileMode, fill func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file for %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("set mode of %s: %w", f.Name(), err)
	}
	if err := fill(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("rename into %s: %w", path, err)
	}
	return nil
}

// Create atomically writes path only if it does not exist yet; otherwise it
// returns an error wrapping ErrExists and leaves the existing file untouched.
// The check uses a hard link, so two racing writers cannot both succeed.
func Create(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, false, true)
}

func write(path string, data []byte, perm fs.FileMode, replace, dirSync bool) (err error) {
	dir := filepath.Dir(path)
	if !replace {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%s: %w", path, ErrExists)
		}
	}
	tmpName, err := Temp(path, data, perm)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmpName)
		}
	}()
	if replace {
		if err := os.Rename(tmpName, path); err != nil {
			return fmt.Errorf("rename into %s: %w", path, err)
		}
	} else {
		// Link fails if path appeared meanwhile; then drop the temporary file.
		if err := os.Link(tmpName, path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s: %w", path, ErrExists)
			}
			return fmt.Errorf("create %s: %w", path, err)
		}
		os.Remove(tmpName)
	}
	if !dirSync {
		return nil
	}
	return SyncDir(dir)
}

// Temp writes data to a new temporary file beside path (in its directory),
// with mode perm, synced to disk, and returns its name for the caller to
// rename or link onto path. Errors name path. On error no file is left
// behind.
func Temp(path string, data []byte, perm fs.FileMode) (name string, err error) {
	target := path
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("create temporary file for %s: %w", target, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return "", fmt.Errorf("set mode of %s: %w", f.Name(), err)
	}
	if _, err := f.Write(data); err != nil {
		return "", fmt.Errorf("write %s: %w", target, err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("sync %s: %w", target, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("close %s: %w", target, err)
	}
	return f.Name(), nil
}

// SyncDir makes the renames in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
