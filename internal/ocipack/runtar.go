package ocipack

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"syscall"
	"time"

	"cohos.dev/cohos/internal/artifacts"
)

// ErrUnpackable is wrapped by Pack errors for a run directory entry that a
// tar cannot carry (a socket, or an entry that changed while it was read).
var ErrUnpackable = errors.New("cannot pack this entry")

type tarEntry struct {
	name string
	mode fs.FileMode
}

// writeRunTar writes the run directory at root as the run layer: every
// entry below it in bytewise order of the full slash path, except the
// top-level bundle file (it travels as its own manifest). Regular files are
// 0644 (0755 if any execute bit was set), symlinks keep their target, FIFOs
// and devices are recorded by kind; no directory entries; owners 0, times
// the epoch. The same tree always gives the same bytes.
func writeRunTar(root *os.Root, w io.Writer) error {
	var ents []tarEntry
	err := fs.WalkDir(root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name == "." || d.IsDir() {
			return nil
		}
		if name == artifacts.BundleFile && d.Type().IsRegular() {
			return nil
		}
		if d.Type()&fs.ModeSocket != 0 {
			return fmt.Errorf("%w: %s is a socket", ErrUnpackable, name)
		}
		mode := d.Type()
		if mode.IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			mode = fi.Mode()
		}
		ents = append(ents, tarEntry{name: name, mode: mode})
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk run directory: %w", err)
	}
	slices.SortFunc(ents, func(a, b tarEntry) int {
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	tw := tar.NewWriter(w)
	buf := make([]byte, 128<<10)
	for _, e := range ents {
		if err := writeEntry(root, tw, e, buf); err != nil {
			return err
		}
	}
	return tw.Close()
}

func writeEntry(root *os.Root, tw *tar.Writer, e tarEntry, buf []byte) error {
	h := &tar.Header{Name: e.name, ModTime: time.Unix(0, 0)}
	switch {
	case e.mode.IsRegular():
		return writeFile(root, tw, h, e, buf)
	case e.mode&fs.ModeSymlink != 0:
		target, err := root.Readlink(e.name)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrUnpackable, e.name, err)
		}
		h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, target, 0o777
	case e.mode&fs.ModeNamedPipe != 0:
		h.Typeflag, h.Mode = tar.TypeFifo, 0o644
	case e.mode&fs.ModeCharDevice != 0:
		h.Typeflag, h.Mode = tar.TypeChar, 0o644
	case e.mode&fs.ModeDevice != 0:
		h.Typeflag, h.Mode = tar.TypeBlock, 0o644
	default:
		return fmt.Errorf("%w: %s is a %v", ErrUnpackable, e.name, e.mode.Type())
	}
	return tw.WriteHeader(h)
}

// writeFile copies a regular file, opened without blocking and without
// following a symlink planted in its place, with exactly the size fstat gave.
func writeFile(root *os.Root, tw *tar.Writer, h *tar.Header, e tarEntry, buf []byte) error {
	f, err := root.OpenFile(e.name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUnpackable, e.name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s changed while packing: now a %v", ErrUnpackable, e.name, fi.Mode().Type())
	}
	h.Typeflag, h.Size, h.Mode = tar.TypeReg, fi.Size(), 0o644
	if fi.Mode()&0o111 != 0 {
		h.Mode = 0o755
	}
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("%s: %w", e.name, err)
	}
	n, err := io.CopyBuffer(tw, io.LimitReader(f, h.Size), buf)
	if err != nil {
		return fmt.Errorf("%s: %w", e.name, err)
	}
	var one [1]byte
	if m, _ := f.Read(one[:]); n != h.Size || m != 0 {
		return fmt.Errorf("%w: %s changed size while packing", ErrUnpackable, e.name)
	}
	return nil
}
