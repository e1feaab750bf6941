package artifacts

import (
	"io/fs"
	"os"
)

// RootFS returns a file system that behaves exactly as r.FS() for every
// fs.FS method (Open, ReadDir, ReadFile, Stat, Lstat, ReadLink: the same
// results and the same errors) and that also lets Hash reach r itself. On
// Linux, Hash then walks the tree with directory file descriptors: each
// directory is opened relative to its parent's descriptor and each file
// relative to its directory's, never following a symlink, so that hashing
// costs a few system calls per file instead of one resolution of the whole
// path from the root. Elsewhere Hash treats it as r.FS().
//
// A nil r gives r.FS() itself. The file system is valid while r is open.
func RootFS(r *os.Root) fs.FS {
	fsys := r.FS()
	m, ok := fsys.(rootMethods)
	if r == nil || !ok {
		return fsys
	}
	return &rootFS{rootMethods: m, root: r}
}

// rootMethods is every method of the file system of an os.Root; embedding
// it gives rootFS exactly that method set, each delegated unchanged.
type rootMethods interface {
	fs.ReadDirFS
	fs.ReadFileFS
	fs.StatFS
	fs.ReadLinkFS
}

// rootFS is r.FS() carrying r, for Hash's descriptor walk.
type rootFS struct {
	rootMethods
	root  *os.Root
	hooks *testHooks // nil outside tests
}

// testHooks let tests change the tree at the moments where a real race could
// (between listing an entry and opening it, between opening a file and
// reading it). They are set only by tests, on a rootFS they make themselves.
type testHooks struct {
	beforeOpen func(name string) // a file or directory is about to be opened
	afterOpen  func(name string) // a file is open and checked, not yet read
	// unknownTypes makes the walk ignore getdents' d_type, as on a file
	// system that gives DT_UNKNOWN.
	unknownTypes bool
}

func (h *testHooks) before(name string) {
	if h != nil && h.beforeOpen != nil {
		h.beforeOpen(name)
	}
}

func (h *testHooks) typesUnknown() bool { return h != nil && h.unknownTypes }

func (h *testHooks) after(name string) {
	if h != nil && h.afterOpen != nil {
		h.afterOpen(name)
	}
}
