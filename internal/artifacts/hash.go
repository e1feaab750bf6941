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
	bufSize   = 128 << 10 // read buffer of one worker
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
// (fs.DirEntry.Info); a file that grows or shrinks in between is an error, and
// no more than one byte past that size is read.
//
// Callers pass root.FS() of an os.Root so that nothing outside the directory
// can be reached.
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

	var (
		jobs     = make(chan []File, 2*workers)
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
			h := hasher{ctx: wctx, buf: make([]byte, bufSize), h: sha256.New()}
			for chunk := range jobs {
				for i := range chunk {
					if err := h.file(fsys, &chunk[i]); err != nil {
						fail(err)
						for range jobs { // let the walk finish sending
						}
						return
					}
				}
			}
		})
	}
	w := walker{ctx: wctx, jobs: jobs, set: &Set{Skipped: []Skipped{}}}
	err := fs.WalkDir(fsys, ".", w.visit)
	if err == nil {
		err = w.flush()
	}
	if err != nil {
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

// walker lists the entries of fsys, handing the regular files to the workers
// in chunks.
type walker struct {
	ctx     context.Context
	jobs    chan<- []File
	set     *Set
	pending []File
	chunks  [][]File // every chunk sent, in walk order
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
		w.set.Skipped = append(w.set.Skipped, Skipped{Name: name, Kind: kindOf(t)})
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
	if w.pending == nil {
		w.pending = make([]File, 0, chunkSize)
	}
	w.pending = append(w.pending, File{Name: name, Size: info.Size()})
	if len(w.pending) == chunkSize {
		return w.flush()
	}
	return nil
}

// flush sends the pending files to the workers.
func (w *walker) flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	select {
	case w.jobs <- w.pending:
	case <-w.ctx.Done():
		return w.ctx.Err()
	}
	w.chunks = append(w.chunks, w.pending)
	w.pending = nil
	return nil
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
	ctx context.Context
	buf []byte
	sum [sha256.Size]byte
	h   hash.Hash
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
	h.h.Reset()
	var n int64
	for {
		// Read at most one byte past the size the walk saw, so that a file
		// that grew (or became a device) is noticed without reading on.
		b := h.buf
		if rest := f.Size - n + 1; rest < int64(len(b)) {
			b = b[:rest]
		}
		m, rerr := r.Read(b)
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
