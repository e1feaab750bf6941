package artifacts

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"
)

// outcome is everything one fs call shows: what it returned and its error.
type outcome struct {
	Name    string
	Size    int64
	Mode    fs.FileMode
	ModTime int64
	Data    string
	Entries []string
	Err     string
}

func (o *outcome) info(fi fs.FileInfo) {
	o.Name, o.Size, o.Mode, o.ModTime = fi.Name(), fi.Size(), fi.Mode(), fi.ModTime().UnixNano()
}

func (o *outcome) entries(ents []fs.DirEntry) {
	for _, e := range ents {
		o.Entries = append(o.Entries, e.Name()+" "+e.Type().String())
	}
}

func (o *outcome) fail(err error) outcome {
	if err != nil {
		o.Err = err.Error()
	}
	return *o
}

// calls are the fs.FS methods of an os.Root, each through its interface.
var calls = map[string]func(fsys fs.FS, name string) outcome{
	"Open": func(fsys fs.FS, name string) (o outcome) {
		f, err := fsys.Open(name)
		if err != nil {
			return o.fail(err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return o.fail(err)
		}
		o.info(fi)
		if d, ok := f.(fs.ReadDirFile); ok && fi.IsDir() {
			ents, err := d.ReadDir(-1)
			o.entries(ents)
			return o.fail(err)
		}
		b, err := io.ReadAll(f)
		o.Data = string(b)
		return o.fail(err)
	},
	"ReadDir": func(fsys fs.FS, name string) (o outcome) {
		ents, err := fsys.(fs.ReadDirFS).ReadDir(name)
		o.entries(ents)
		return o.fail(err)
	},
	"ReadFile": func(fsys fs.FS, name string) (o outcome) {
		b, err := fsys.(fs.ReadFileFS).ReadFile(name)
		o.Data = string(b)
		return o.fail(err)
	},
	"Stat": func(fsys fs.FS, name string) (o outcome) {
		fi, err := fsys.(fs.StatFS).Stat(name)
		if err == nil {
			o.info(fi)
		}
		return o.fail(err)
	},
	"Lstat": func(fsys fs.FS, name string) (o outcome) {
		fi, err := fsys.(fs.ReadLinkFS).Lstat(name)
		if err == nil {
			o.info(fi)
		}
		return o.fail(err)
	},
	"ReadLink": func(fsys fs.FS, name string) (o outcome) {
		target, err := fsys.(fs.ReadLinkFS).ReadLink(name)
		o.Data = target
		return o.fail(err)
	},
}

// TestRootFSSameAsFS checks that every fs.FS method of RootFS(r) gives what
// the same method of r.FS() gives, results and errors, for clean names,
// symlinks inside and outside the root, and invalid names.
func TestRootFSSameAsFS(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	writeTree(t, dir, map[string]string{"f": "file", "d/g": "g", "d/e/h": "h"})
	writeTree(t, outside, map[string]string{"secret": "s"})
	for name, target := range map[string]string{
		"link": "f", "dlink": "d", "up": "d/../f", "escape": outside, "dangling": "nowhere",
		"d/parent": "../f",
	} {
		symlink(t, target, filepath.Join(dir, name))
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	want, got := root.FS(), RootFS(root)
	if _, ok := got.(*rootFS); !ok {
		t.Fatalf("RootFS returned %T, want *rootFS", got)
	}
	ifaces := []reflect.Type{
		reflect.TypeFor[fs.ReadDirFS](), reflect.TypeFor[fs.ReadFileFS](), reflect.TypeFor[fs.StatFS](),
		reflect.TypeFor[fs.ReadLinkFS](), reflect.TypeFor[fs.SubFS](), reflect.TypeFor[fs.GlobFS](),
	}
	for _, it := range ifaces {
		if a, b := reflect.TypeOf(want).Implements(it), reflect.TypeOf(got).Implements(it); a != b {
			t.Errorf("implements %v: root.FS() %v, RootFS %v", it, a, b)
		}
	}
	names := []string{".", "f", "d", "d/g", "d/e", "d/e/h", "link", "dlink", "dlink/g", "up", "escape",
		"escape/secret", "dangling", "d/parent", "missing", "f/x", "../f", "/f", "d/../f", "d/", "", `d\g`}
	for call, do := range calls {
		for _, name := range names {
			if w, g := do(want, name), do(got, name); !reflect.DeepEqual(g, w) {
				t.Errorf("%s(%q):\n RootFS    %+v\n root.FS() %+v", call, name, g, w)
			}
		}
	}
}

func TestRootFSTestFS(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"f": "file", "d/g": "g", "d/e/h": "h"})
	symlink(t, "d/g", filepath.Join(dir, "link"))
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if err := fstest.TestFS(RootFS(root), "f", "d/g", "d/e/h", "link"); err != nil {
		t.Fatal(err)
	}
}

func TestRootFSNil(t *testing.T) {
	var r *os.Root
	if got, want := RootFS(r), r.FS(); got != want {
		t.Errorf("RootFS(nil) = %#v, want r.FS() = %#v", got, want)
	}
}
