// Package tarfs serves an uncompressed tar archive as a read-only fs.FS
// without extracting it: one pass over the archive indexes its entries (and
// hashes the whole archive), and files are then read in place through
// io.ReaderAt.
//
// The archive must describe a tree that could exist on disk below one
// directory: every name is a clean relative path (no leading '/', no "." or
// ".." segment), no name appears twice, and no entry lies below a name that
// is not a directory. Entries are regular files, directories, symbolic links,
// FIFOs or devices; links and special files are listed with their type and
// never followed or opened, as the artifact walk treats them on disk. Hard
// links, sparse files and other kinds are refused.
package tarfs

import (
	"archive/tar"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// ErrEntry is wrapped by Index errors for an entry that cannot be part of a
// run directory (a bad name, a duplicate, a refused kind).
var ErrEntry = errors.New("invalid tar entry")

// maxEntries bounds the entries indexed; every entry takes at least one
// 512-byte header, so this is never reached by an archive under 2 TiB.
const maxEntries = 1 << 32

// FS is an indexed tar archive. It is safe for concurrent use when its
// io.ReaderAt is (an *os.File is).
type FS struct {
	r    io.ReaderAt
	root *node
	all  map[string]*node
}

type node struct {
	name     string // full slash path; "." for the root
	mode     fs.FileMode
	size     int64
	off      int64 // data offset in the archive, for regular files
	link     string
	children []*node // sorted by base name, for directories
	explicit bool    // a directory entry of its own in the archive
}

// Index reads the size bytes of the archive at r once, from start to end,
// and returns its index and the hex SHA-256 of all size bytes (the trailing
// bytes after the end-of-archive marker included, so that the digest equals
// an OCI blob digest). The digest is returned also when the archive is
// malformed but could be read to the end; err then wraps ErrEntry or the tar
// error.
func Index(r io.ReaderAt, size int64) (*FS, string, error) {
	cr := &countingReader{r: io.NewSectionReader(r, 0, size), h: sha256.New()}
	f, err := index(r, cr)
	// Hash the rest (the end of the archive and any padding) in every case.
	if _, cerr := io.Copy(io.Discard, cr); cerr != nil && err == nil {
		err = cerr
	}
	sum := hex.EncodeToString(cr.h.Sum(nil))
	if err != nil {
		return nil, sum, err
	}
	return f, sum, nil
}

func index(r io.ReaderAt, cr *countingReader) (*FS, error) {
	f := &FS{r: r, root: &node{name: ".", mode: fs.ModeDir | 0o755, explicit: true}, all: map[string]*node{}}
	f.all["."] = f.root
	tr := tar.NewReader(cr)
	for n := 0; ; n++ {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read tar: %w", err)
		}
		if n >= maxEntries {
			return nil, fmt.Errorf("%w: more than %d entries", ErrEntry, maxEntries)
		}
		if err := f.add(h, cr.n); err != nil {
			return nil, err
		}
	}
	f.root.sort()
	return f, nil
}

func (f *FS) add(h *tar.Header, off int64) error {
	name := h.Name
	var mode fs.FileMode
	switch h.Typeflag {
	case tar.TypeReg:
		mode = fs.FileMode(h.Mode) & fs.ModePerm
	case tar.TypeDir:
		name = strings.TrimSuffix(name, "/")
		mode = fs.ModeDir | fs.FileMode(h.Mode)&fs.ModePerm
	case tar.TypeSymlink:
		mode = fs.ModeSymlink | 0o777
	case tar.TypeFifo:
		mode = fs.ModeNamedPipe | fs.FileMode(h.Mode)&fs.ModePerm
	case tar.TypeChar:
		mode = fs.ModeDevice | fs.ModeCharDevice
	case tar.TypeBlock:
		mode = fs.ModeDevice
	default:
		return fmt.Errorf("%w %q: type %q is not a regular file, directory, symlink, fifo or device", ErrEntry, h.Name, h.Typeflag)
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return fmt.Errorf("%w %q: sparse files are refused", ErrEntry, h.Name)
		}
	}
	if name == "." || !fs.ValidPath(name) {
		return fmt.Errorf("%w %q: leaves the run directory or is not a clean relative path", ErrEntry, h.Name)
	}
	if h.Typeflag != tar.TypeReg && h.Size != 0 {
		return fmt.Errorf("%w %q: a %s with %d bytes of data", ErrEntry, h.Name, kindName(mode), h.Size)
	}
	if old := f.all[name]; old != nil {
		// A directory seen first as a parent may get its own entry once.
		if !(old.mode.IsDir() && mode.IsDir() && !old.explicit) {
			return fmt.Errorf("%w %q: appears twice", ErrEntry, name)
		}
		old.mode, old.explicit = mode, true
		return nil
	}
	parent, err := f.dir(path.Dir(name))
	if err != nil {
		return fmt.Errorf("%w %q: %v", ErrEntry, name, err)
	}
	n := &node{name: name, mode: mode, size: h.Size, off: off, link: h.Linkname, explicit: true}
	parent.children = append(parent.children, n)
	f.all[name] = n
	return nil
}

// dir returns the directory node for name, creating implicit parents.
func (f *FS) dir(name string) (*node, error) {
	if n := f.all[name]; n != nil {
		if !n.mode.IsDir() {
			return nil, fmt.Errorf("below %q, which is a %s", name, kindName(n.mode))
		}
		return n, nil
	}
	parent, err := f.dir(path.Dir(name))
	if err != nil {
		return nil, err
	}
	n := &node{name: name, mode: fs.ModeDir | 0o755}
	parent.children = append(parent.children, n)
	f.all[name] = n
	return n, nil
}

func (n *node) sort() {
	slices.SortFunc(n.children, func(a, b *node) int { return cmp.Compare(path.Base(a.name), path.Base(b.name)) })
	for _, c := range n.children {
		if c.mode.IsDir() {
			c.sort()
		}
	}
}

func kindName(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "regular file"
}

// countingReader hashes and counts what the tar reader consumes. It has no
// Seek method on purpose: the tar reader then reads every byte.
type countingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// zeroTime is the modification time every entry reports.
var zeroTime = time.Unix(0, 0).UTC()
