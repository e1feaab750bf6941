package artifacts

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// fdWalkSupported reports whether Hash walks a RootFS with descriptors.
const fdWalkSupported = true

const (
	direntBufSize = 32 << 10 // getdents buffer of the walk
	// maxHeldDirs bounds the ancestor directories whose descriptors the
	// walk keeps open; below that depth a directory is opened again from
	// the root, one component at a time, after each of its subdirectories.
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
	root := newDirFD(fd)
	defer root.release()
	w.buf = make([]byte, direntBufSize)
	return w.walkDir(root, root.acquire(), "", 0)
}

// walkDir walks the directory dir ("" for the root), open as d, whose hold
// it takes over. Its subdirectories are opened relative to d with
// O_NOFOLLOW; its regular files go to the workers in batches holding d.
func (w *walker) walkDir(root, d *dirFD, dir string, depth int) (err error) {
	defer func() { d.release() }()
	ents, err := w.readDir(d.fd, dir)
	if err != nil {
		return err
	}
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	for _, e := range ents {
		name := prefix + e.name
		if err := checkName(name); err != nil {
			return err
		}
		t := e.typ
		if t == unknownType || w.hooks.typesUnknown() {
			var st unix.Stat_t
			if err := ignoringEINTR(func() error { return unix.Fstatat(d.fd, e.name, &st, unix.AT_SYMLINK_NOFOLLOW) }); err != nil {
				if errors.Is(err, unix.ENOENT) {
					continue // gone since getdents, as os.File.ReadDir does
				}
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
			w.hooks.before(name)
			sub, err := openDir(d.fd, e.name, name)
			if err != nil {
				return err
			}
			if depth >= maxHeldDirs {
				d.release()
				d = nil
			}
			if err := w.walkDir(root, sub, name, depth+1); err != nil {
				return err
			}
			if d == nil {
				if d, err = reopenDir(root, dir); err != nil {
					return err
				}
			}
		case !t.IsRegular():
			w.set.Skipped = append(w.set.Skipped, Skipped{Name: name, Kind: kindOf(t)})
		case IsDerived(name):
		default:
			if w.pending.dir != d {
				if err := w.flush(); err != nil {
					return err
				}
				w.pending = batch{dir: d.acquire(), base: len(prefix)}
			}
			if err := w.add(File{Name: name}); err != nil {
				return err
			}
		}
	}
	return w.flush()
}

// openDir opens the directory name, called path in the walk, relative to
// the directory fd. An entry that is no longer a directory (a symlink now,
// say) is an ErrChanged error.
func openDir(fd int, name, path string) (*dirFD, error) {
	sub, err := openat(fd, name, dirFlags)
	if err != nil {
		perr := &fs.PathError{Op: "openat", Path: path, Err: err}
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) { // no longer a directory
			return nil, fmt.Errorf("walk %s: %w: %w", path, ErrChanged, perr)
		}
		return nil, fmt.Errorf("walk %s: %w", path, perr)
	}
	return newDirFD(sub), nil
}

// reopenDir opens dir again from the root, one component at a time.
func reopenDir(root *dirFD, dir string) (*dirFD, error) {
	d := root.acquire()
	for c := range strings.SplitSeq(dir, "/") {
		sub, err := openDir(d.fd, c, dir)
		d.release()
		if err != nil {
			return nil, err
		}
		d = sub
	}
	return d, nil
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
