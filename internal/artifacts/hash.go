package artifacts

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"runtime"
	"slices"
	"sync"
)

// Options tunes Hash. The zero value is the default.
type Options struct {
	// Workers is the number of files hashed at once; 0 means GOMAXPROCS.
	Workers int
}

// ErrChanged is wrapped by Hash errors for a file whose type or size changed
// between the walk and its hashing.
var ErrChanged = errors.New("file changed while hashing")

const (
	bufSize   = 128 << 10 // read buffer of one worker, at most
	minBuf    = 8 << 10   // its first size: it grows to bufSize for larger files
	chunkSize = 32        // files handed to a worker at once
)

// Hash walks fsys from "." and hashes every regular file except the top-level
// derived names (see IsDerived), in parallel, streaming each file through a
// reused buffer per worker while the walk goes on. Directories are walked; any
// other entry, including a symlink to a directory or a file, is listed in
// Set.Skipped and never followed. A top-level derived name is excluded only
// when it is a regular file: a directory of that name is walked and any other
// kind is Skipped, so nothing can hide behind a derived name.
//
// Each file must have, from its opening to its end, the size the walk saw
// (fs.DirEntry.Info; with RootFS on Linux, the size fstat gives for the
// opened file); a file that grows or shrinks in between is an error, and no
// more than one byte past that size is read.
//
// Callers pass RootFS(root) (or root.FS()) of an os.Root so that nothing
// outside the directory can be reached. With RootFS on Linux, Hash opens
// every directory and file relative to its parent's descriptor with
// O_NOFOLLOW, and files with O_NONBLOCK, then checks that what it opened is
// still a regular file: an entry that becomes a symlink, a directory or a
// FIFO after the walk listed it is an ErrChanged error, never followed nor
// waited on.
//
// Errors: one wrapping ErrBadName (naming the entry) for a name that cannot be
// a manifest line; ctx.Err() when ctx is done; one wrapping ErrChanged for a
// file that changed under the walk; otherwise an I/O error naming the path.
func Hash(ctx context.Context, fsys fs.FS, opts Options) (*Set, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()

	rfs, fast := fsys.(*rootFS)
	fast = fast && fdWalkSupported
	var hooks *testHooks
	if fast {
		hooks = rfs.hooks
	}
	var (
		jobs     = make(chan batch, 2*workers)
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		// Keep the real failure, not the cancellations it causes.
		if firstErr == nil || errors.Is(firstErr, context.Canceled) && !errors.Is(err, context.Canceled) {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	for range workers {
		wg.Go(func() {
			h := hasher{ctx: wctx, h: sha256.New(), hooks: hooks}
			failed := false
			for b := range jobs {
				if !failed {
					if err := h.batch(fsys, &b); err != nil {
						fail(err)
						failed = true // go on receiving, so that the walk can finish
					}
				}
				b.dir.release()
			}
		})
	}
	w := walker{ctx: wctx, jobs: jobs, set: &Set{Skipped: []Skipped{}}, hooks: hooks, fsys: fsys}
	var err error
	if fast {
		err = w.walkRoot(rfs)
	} else {
		err = fs.WalkDir(fsys, ".", w.visit)
	}
	if err == nil {
		err = w.flush()
	}
	if err != nil {
		w.drop()
		fail(err)
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return w.result(), nil
}

// batch is the work handed to a worker at once: files to hash, each opened
// by name through the fs.FS or, with dir, relative to that directory.
type batch struct {
	files []File
	dir   *dirFD // nil: open each file by its name through the fs.FS
	base  int    // with dir: the length of the names' directory prefix
}

// walker lists the entries of fsys, handing the regular files to the workers
// in chunks.
type walker struct {
	ctx     context.Context
	jobs    chan<- batch
	set     *Set
	pending batch
	chunks  [][]File   // the files of every batch sent, in walk order
	hooks   *testHooks // nil outside tests
	buf     []byte     // directory entries, for the descriptor walk
	fsys    fs.FS      // for fs.WalkDir: where symlink targets are read

	// The descriptor walk's position: the current directory's path, the
	// names of its components, and the descriptor held at each depth above
	// it (nil where the walk let go).
	path  []byte
	comps []string
	held  []*dirFD
}

func (w *walker) visit(name string, d fs.DirEntry, err error) error {
	if err != nil {
		return fmt.Errorf("walk %s: %w", name, err)
	}
	if name == "." {
		if !d.IsDir() {
			return fmt.Errorf("walk .: %w", errNotDir)
		}
		return nil
	}
	if err := checkName(name); err != nil {
		return err
	}
	t := d.Type()
	switch {
	case t.IsDir():
		return w.ctx.Err()
	case !t.IsRegular():
		sk := Skipped{Name: name, Kind: kindOf(t)}
		if t&fs.ModeSymlink != 0 {
			target, err := fs.ReadLink(w.fsys, name)
			if err != nil {
				return fmt.Errorf("walk %s: %w", name, err)
			}
			if err := checkTarget(target); err != nil {
				return fmt.Errorf("walk %s: %w", name, err)
			}
			sk.Target = target
		}
		w.set.Skipped = append(w.set.Skipped, sk)
		return nil
	case IsDerived(name):
		return nil
	}
	info, err := d.Info()
	if err != nil {
		return fmt.Errorf("walk %s: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("walk %s: %w", name, ErrChanged)
	}
	return w.add(File{Name: name, Size: info.Size()})
}

// add appends f to the pending batch, sending the batch when it is full.
func (w *walker) add(f File) error {
	if w.pending.files == nil {
		w.pending.files = make([]File, 0, chunkSize)
	}
	w.pending.files = append(w.pending.files, f)
	if len(w.pending.files) == chunkSize {
		return w.flush()
	}
	return nil
}

// flush sends the pending batch, if it has files, to the workers; the
// batch's hold on its directory goes with it. An empty batch's hold is
// dropped.
func (w *walker) flush() error {
	if len(w.pending.files) == 0 {
		w.drop()
		return nil
	}
	select {
	case w.jobs <- w.pending:
	case <-w.ctx.Done():
		return w.ctx.Err()
	}
	w.chunks = append(w.chunks, w.pending.files)
	w.pending = batch{}
	return nil
}

// drop forgets the pending batch, releasing its directory.
func (w *walker) drop() {
	w.pending.dir.release()
	w.pending = batch{}
}

// result returns the set with the hashed files, each list sorted by name.
func (w *walker) result() *Set {
	n := 0
	for _, c := range w.chunks {
		n += len(c)
	}
	set := w.set
	set.Files = make([]File, 0, n)
	for _, c := range w.chunks {
		set.Files = append(set.Files, c...)
	}
	// WalkDir visits each directory's entries in order, but "a/b" sorts after
	// "a-c" by bytes, so the full paths may still need sorting.
	byName := func(a, b File) int { return cmp.Compare(a.Name, b.Name) }
	if !slices.IsSortedFunc(set.Files, byName) {
		slices.SortFunc(set.Files, byName)
	}
	slices.SortFunc(set.Skipped, func(a, b Skipped) int { return cmp.Compare(a.Name, b.Name) })
	return set
}

var errNotDir = errors.New("not a directory")

// hasher hashes files one after another with one buffer and one SHA-256
// state.
type hasher struct {
	ctx   context.Context
	buf   []byte
	sum   [sha256.Size]byte
	h     hash.Hash
	hooks *testHooks // nil outside tests
}

// batch hashes the files of b in turn, stopping at the first error.
func (h *hasher) batch(fsys fs.FS, b *batch) error {
	for i := range b.files {
		f := &b.files[i]
		var err error
		if b.dir == nil {
			err = h.file(fsys, f)
		} else {
			err = h.fileAt(b.dir, f.Name[b.base:], f)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// file hashes the f.Size bytes of f.Name and sets f.SHA256.
func (h *hasher) file(fsys fs.FS, f *File) (err error) {
	if err := h.ctx.Err(); err != nil {
		return err
	}
	r, err := fsys.Open(f.Name)
	if err != nil {
		return fmt.Errorf("hash %s: %w", f.Name, err)
	}
	defer func() {
		if cerr := r.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("hash %s: %w", f.Name, cerr)
		}
	}()
	return h.digest(f, r.Read)
}

// digest hashes f's content, calling read until it returns io.EOF, and
// stores the digest in f. It reads at most one byte past the size the walk
// saw, so that a file that grew (or became a device) is noticed without
// reading on; a file of another size is ErrChanged.
func (h *hasher) digest(f *File, read func([]byte) (int, error)) error {
	h.h.Reset()
	var n int64
	for {
		if len(h.buf) < bufSize && int64(len(h.buf)) <= f.Size {
			// Small files (most runs' many) need no large buffer:
			// allocating one per worker per verify was most of the
			// garbage of verifying many small bundles.
			h.buf = make([]byte, min(bufSize, max(minBuf, 2*len(h.buf), int(min(f.Size+1, bufSize)))))
		}
		b := h.buf
		if rest := f.Size - n + 1; rest < int64(len(b)) {
			b = b[:rest]
		}
		m, rerr := read(b)
		h.h.Write(b[:m])
		n += int64(m)
		if n > f.Size {
			return fmt.Errorf("hash %s: %w: longer than %d bytes", f.Name, ErrChanged, f.Size)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("hash %s: %w", f.Name, rerr)
		}
		if err := h.ctx.Err(); err != nil {
			return err
		}
	}
	if n != f.Size {
		return fmt.Errorf("hash %s: %w: %d bytes, not %d", f.Name, ErrChanged, n, f.Size)
	}
	var x [2 * sha256.Size]byte
	hex.Encode(x[:], h.h.Sum(h.sum[:0]))
	f.SHA256 = string(x[:])
	return nil
}
