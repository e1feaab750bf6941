package artifacts

import (
	"context"
	"io/fs"
	"os"
	"testing"
)

// hashPath is one way Hash reads an os.Root. Every Hash test runs on each.
type hashPath struct {
	name string
	// fsys returns the file system to hash r through, calling hooks (if
	// not nil) at the moments the path opens entries.
	fsys func(t testing.TB, r *os.Root, hooks *testHooks) fs.FS
	// fd reports whether the path opens entries with O_NOFOLLOW and
	// O_NONBLOCK through descriptors (RootFS on Linux).
	fd bool
}

var hashPaths = []hashPath{
	{name: "generic", fsys: genericFS},
	{name: "RootFS", fsys: rootFSWith(false), fd: fdWalkSupported},
	// Every entry's type taken from fstatat, as for a file system whose
	// getdents gives DT_UNKNOWN.
	{name: "RootFS-lstat", fsys: rootFSWith(true), fd: fdWalkSupported},
}

// forEachPath runs f as a subtest for each hash path.
func forEachPath(t *testing.T, f func(t *testing.T, p hashPath)) {
	t.Helper()
	for _, p := range hashPaths {
		t.Run(p.name, func(t *testing.T) { f(t, p) })
	}
}

func genericFS(_ testing.TB, r *os.Root, hooks *testHooks) fs.FS {
	if hooks == nil {
		return r.FS()
	}
	return hookFS{r.FS(), hooks}
}

func rootFSWith(unknownTypes bool) func(testing.TB, *os.Root, *testHooks) fs.FS {
	return func(t testing.TB, r *os.Root, hooks *testHooks) fs.FS {
		t.Helper()
		rfs, ok := RootFS(r).(*rootFS)
		if !ok {
			t.Fatalf("RootFS returned %T", RootFS(r))
		}
		if unknownTypes {
			if hooks == nil {
				hooks = &testHooks{}
			}
			h := *hooks
			h.unknownTypes = true
			hooks = &h
		}
		rfs.hooks = hooks
		return rfs
	}
}

// hash hashes dir through an os.Root on path p.
func (p hashPath) hash(t testing.TB, dir string, opts Options) (*Set, error) {
	return p.hashHooks(t, context.Background(), dir, opts, nil)
}

func (p hashPath) hashHooks(t testing.TB, ctx context.Context, dir string, opts Options, hooks *testHooks) (*Set, error) {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	return Hash(ctx, p.fsys(t, root, hooks), opts)
}

// hookFS calls the hooks around Open, as the descriptor walk does around
// its openat calls.
type hookFS struct {
	fs.FS
	hooks *testHooks
}

func (h hookFS) Open(name string) (fs.File, error) {
	h.hooks.before(name)
	f, err := h.FS.Open(name)
	if err == nil {
		if info, serr := f.Stat(); serr == nil && info.Mode().IsRegular() {
			h.hooks.after(name)
		}
	}
	return f, err
}
