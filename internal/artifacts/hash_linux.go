package artifacts

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// fdWalkSupported reports whether Hash walks a RootFS with descriptors.
const fdWalkSupported = true

const (
	direntBufSize = 32 << 10 // getdents buffer of the walk
	// maxHeldDirs bounds the ancestor directories whose descriptors the
	// walk keeps open: all of the first maxHeldDirs levels, then one level
	// in maxHeldDirs; a directory let go is opened again from the nearest
	// held ancestor after each of its subdirectories.
	maxHeldDirs = 32

	dirFlags  = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fileFlags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_NONBLOCK | unix.O_NOCTTY
)

// dirFD is an open directory shared by the walk and the batches of its
// files; the last release closes it.
type dirFD struct {
	fd   int
	refs atomic.Int32
}

func newDirFD(fd int) *dirFD {
	d := &dirFD{fd: fd}
	d.refs.Store(1)
	return d
}

func (d *dirFD) acquire() *dirFD {
	d.refs.Add(1)
	return d
}

// release drops one hold on d; nil is a no-op.
func (d *dirFD) release() {
	if d != nil && d.refs.Add(-1) == 0 {
		unix.Close(d.fd) // a read-only directory: nothing to flush
	}
}

// walkRoot walks the directory of r through descriptors, as visit does
// through fs.WalkDir.
func (w *walker) walkRoot(r *rootFS) error {
	f, err := r.root.OpenFile(".", os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		if _, serr := r.Stat("."); serr != nil {
			err = serr // the error fs.WalkDir gives, when it fails the same way
		}
		return fmt.Errorf("walk .: %w", err)
	}
	fd := -1
	rc, err := f.SyscallConn()
	if err == nil {
		cerr := rc.Control(func(sfd uintptr) {
			fd, err = unix.FcntlInt(sfd, unix.F_DUPFD_CLOEXEC, 0)
		})
		if err == nil {
			err = cerr
		}
	}
	f.Close() // read-only directory; fd, if any, is a separate descriptor
	if err != nil {
		return fmt.Errorf("walk .: %w", &fs.PathError{Op: "dup", Path: ".", Err: err})
	}
	w.buf = make([]byte, direntBufSize)
	return w.walkDir(newDirFD(fd), 0)
}

// walkDir walks the directory at w.path, open as d (depth levels below
// the root), whose hold it takes over. Its subdirectories are opened
// relative to d with O_NOFOLLOW; its regular files go to the workers in
// batches holding d.
//
// The work is linear in depth: the directory's path is kept in one buffer
// (w.path) and turned into a string only for the names of its entries,
// each entry name is checked alone (its parents already were), and below
// maxHeldDirs a directory let go while its subdirectory is walked is
// reopened from the nearest held ancestor (one in every maxHeldDirs
// levels stays open), never from the root.
func (w *walker) walkDir(d *dirFD, depth int) (err error) {
	defer func() { d.release() }()
	dirLen := len(w.path)
	ents, err := w.readDir(d.fd, w.dirName)
	if err != nil {
		return err
	}
	base := dirLen
	if dirLen > 0 {
		base++ // the '/'
	}
	for _, e := range ents {
		if err := checkComponent(e.name); err != nil {
			return fmt.Errorf("%w %q: %s", ErrBadName, w.name(e.name), err)
		}
		t := e.typ
		if t == unknownType || w.hooks.typesUnknown() {
			var st unix.Stat_t
			if err := ignoringEINTR(func() error { return unix.Fstatat(d.fd, e.name, &st, unix.AT_SYMLINK_NOFOLLOW) }); err != nil {
				if errors.Is(err, unix.ENOENT) {
					continue // gone since getdents, as os.File.ReadDir does
				}
				name := w.name(e.name)
				return fmt.Errorf("walk %s: %w", name, &fs.PathError{Op: "lstat", Path: name, Err: err})
			}
			t = modeType(st.Mode)
		}
		switch {
		case t.IsDir():
			if err := w.ctx.Err(); err != nil {
				return err
			}
			// Send this directory's files first, so that batches stay in walk order.
			if err := w.flush(); err != nil {
				return err
			}
			if w.hooks != nil {
				w.hooks.before(w.name(e.name))
			}
			sub, err := openDir(d.fd, e.name, w.name)
			if err != nil {
				return err
			}
			if depth >= maxHeldDirs && depth%maxHeldDirs != 0 {
				d.release()
				d = nil
			}
			w.held = append(w.held, d)
			w.comps = append(w.comps, e.name)
			if dirLen > 0 {
				w.path = append(w.path, '/')
			}
			w.path = append(w.path, e.name...)
			err = w.walkDir(sub, depth+1)
			w.path = w.path[:dirLen]
			w.held = w.held[:depth]
			w.comps = w.comps[:depth]
			if err != nil {
				return err
			}
			if d == nil {
				if d, err = w.reopen(depth); err != nil {
					return err
				}
			}
		case !t.IsRegular():
			sk := Skipped{Name: w.name(e.name), Kind: kindOf(t)}
			if t&fs.ModeSymlink != 0 {
				if sk.Target, err = readlinkAt(d.fd, e.name, sk.Name); err != nil {
					return err
				}
			}
			w.set.Skipped = append(w.set.Skipped, sk)
		case depth == 0 && IsDerived(e.name):
		default:
			if w.pending.dir != d {
				if err := w.flush(); err != nil {
					return err
				}
				w.pending = batch{dir: d.acquire(), base: base}
			}
			if err := w.add(File{Name: w.name(e.name)}); err != nil {
				return err
			}
		}
	}
	return w.flush()
}

// name returns the walk name of the entry elem of the directory at w.path.
func (w *walker) name(elem string) string {
	if len(w.path) == 0 {
		return elem
	}
	b := make([]byte, 0, len(w.path)+1+len(elem))
	b = append(append(append(b, w.path...), '/'), elem...)
	return string(b)
}

// dirName returns the walk name of the directory at w.path ("." for the
// root), for errors.
func (w *walker) dirName() string {
	if len(w.path) == 0 {
		return "."
	}
	return string(w.path)
}

// openDir opens the directory name relative to the directory fd; path
// gives its walk name for errors. An entry that is no longer a directory (a
// symlink now, say) is an ErrChanged error.
func openDir(fd int, name string, path func(string) string) (*dirFD, error) {
	sub, err := openat(fd, name, dirFlags)
	if err != nil {
		p := path(name)
		perr := &fs.PathError{Op: "openat", Path: p, Err: err}
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) { // no longer a directory
			return nil, fmt.Errorf("walk %s: %w: %w", p, ErrChanged, perr)
		}
		return nil, fmt.Errorf("walk %s: %w", p, perr)
	}
	return newDirFD(sub), nil
}

// reopen opens the directory at depth (the one at w.path) again, from
// the nearest ancestor whose descriptor is held: at most maxHeldDirs
// openat calls.
func (w *walker) reopen(depth int) (*dirFD, error) {
	k := depth - 1
	for w.held[k] == nil {
		k--
	}
	d := w.held[k].acquire()
	for _, c := range w.comps[k:depth] {
		sub, err := openDir(d.fd, c, func(string) string { return w.dirName() })
		d.release()
		if err != nil {
			return nil, err
		}
		d = sub
	}
	return d, nil
}

// maxLinkTarget bounds a symlink target (PATH_MAX).
const maxLinkTarget = 4096

// readlinkAt returns the target of the symlink name in the directory fd,
// called path in the walk; it is read, never followed.
func readlinkAt(fd int, name, path string) (string, error) {
	buf := make([]byte, maxLinkTarget+1)
	var n int
	err := ignoringEINTR(func() (err error) { n, err = unix.Readlinkat(fd, name, buf); return err })
	switch {
	case errors.Is(err, unix.EINVAL):
		return "", fmt.Errorf("walk %s: %w: no longer a symlink", path, ErrChanged)
	case err != nil:
		return "", fmt.Errorf("walk %s: %w", path, &fs.PathError{Op: "readlinkat", Path: path, Err: err})
	case n > maxLinkTarget:
		return "", fmt.Errorf("walk %s: symlink target longer than %d bytes", path, maxLinkTarget)
	}
	t := string(buf[:n])
	if err := checkTarget(t); err != nil {
		return "", fmt.Errorf("walk %s: %w", path, err)
	}
	return t, nil
}

// fileAt hashes the file name in directory d, f.Name in the walk: it opens
// it without following a symlink or waiting on a FIFO, checks that it is a
// regular file, takes its size from fstat, and reads at most one byte more.
func (h *hasher) fileAt(d *dirFD, name string, f *File) (err error) {
	if err := h.ctx.Err(); err != nil {
		return err
	}
	h.hooks.before(f.Name)
	fd, err := openat(d.fd, name, fileFlags)
	if err != nil {
		perr := &fs.PathError{Op: "openat", Path: f.Name, Err: err}
		if errors.Is(err, unix.ELOOP) { // O_NOFOLLOW met a symlink
			return fmt.Errorf("hash %s: %w: %w", f.Name, ErrChanged, perr)
		}
		return fmt.Errorf("hash %s: %w", f.Name, perr)
	}
	defer func() {
		if cerr := unix.Close(fd); cerr != nil && cerr != unix.EINTR && err == nil {
			err = fmt.Errorf("hash %s: %w", f.Name, &fs.PathError{Op: "close", Path: f.Name, Err: cerr})
		}
	}()
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Fstat(fd, &st) }); err != nil {
		return fmt.Errorf("hash %s: %w", f.Name, &fs.PathError{Op: "fstat", Path: f.Name, Err: err})
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("hash %s: %w: not a regular file", f.Name, ErrChanged)
	}
	f.Size = st.Size
	h.hooks.after(f.Name)
	return h.digest(f, func(b []byte) (int, error) {
		var m int
		if err := ignoringEINTR(func() (err error) { m, err = unix.Read(fd, b); return err }); err != nil {
			return 0, &fs.PathError{Op: "read", Path: f.Name, Err: err}
		}
		if m <= 0 {
			return 0, io.EOF
		}
		return m, nil
	})
}

func openat(dirfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

func ignoringEINTR(f func() error) error {
	for {
		if err := f(); err != unix.EINTR {
			return err
		}
	}
}
