package ocipack

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"golang.org/x/sys/unix"

	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/atomicfile"
)

// ErrCannotExtract is wrapped by Extract errors for a run that cannot be
// written back as a directory (a failed transport check, a device).
var ErrCannotExtract = errors.New("cannot write the run")

// Extract writes the run as the new directory dir: the layer's files with
// their modes, symlinks and FIFOs as recorded, and the bundle as
// bundle.intoto.jsonl. It writes into a temporary directory beside dir and
// renames it into place, so dir appears complete or not at all; an existing
// dir is never touched. A run whose transport checks failed is refused.
func Extract(r *Run, dir string) (err error) {
	if err := r.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrCannotExtract, err)
	}
	if r.tree == nil || r.Bundle == nil {
		if e, ok := r.Files.(errFS); ok {
			return fmt.Errorf("%w: %w", ErrCannotExtract, e.err)
		}
		return fmt.Errorf("%w: no run layer or bundle", ErrCannotExtract)
	}
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("%s: %w", dir, fs.ErrExist)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".cohos-pull-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return err
	}
	defer root.Close()
	buf := make([]byte, 128<<10)
	var links []string
	err = r.tree.Walk(func(name string, mode fs.FileMode) error {
		switch {
		case mode.IsDir():
			return root.Mkdir(name, 0o755)
		case mode.IsRegular():
			return copyOut(r.tree, root, name, mode, buf)
		case mode&fs.ModeSymlink != 0:
			links = append(links, name) // last: nothing is written through them
			return nil
		case mode&fs.ModeNamedPipe != 0:
			return unix.Mkfifo(filepath.Join(tmp, filepath.FromSlash(name)), 0o644)
		}
		return fmt.Errorf("%w: %s is a device", ErrCannotExtract, name)
	})
	if err != nil {
		return err
	}
	for _, name := range links {
		target, err := r.tree.ReadLink(name)
		if err != nil {
			return err
		}
		if err := root.Symlink(target, name); err != nil {
			return err
		}
	}
	if err := root.WriteFile(artifacts.BundleFile, r.Bundle, 0o644); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("%s: %w", dir, fs.ErrExist)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(dir))
}

func copyOut(tree fs.FS, root *os.Root, name string, mode fs.FileMode, buf []byte) error {
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	in, err := tree.Open(name)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode&0o755|0o644)
	if err != nil {
		return err
	}
	if _, err := io.CopyBuffer(out, in, buf); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
