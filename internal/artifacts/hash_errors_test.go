package artifacts

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestBadNames(t *testing.T) {
	forEachPath(t, func(t *testing.T, p hashPath) {
		for _, name := range []string{"a\nb", "a\rb", "dir\n/f", "\xff\xfe", "ok/bad\xc3"} {
			t.Run(strings.ToValidUTF8(name, "?"), func(t *testing.T) {
				dir := t.TempDir()
				writeTree(t, dir, map[string]string{"good": "g", name: "x"})
				set, err := p.hash(t, dir, Options{})
				if !errors.Is(err, ErrBadName) || set != nil {
					t.Fatalf("Hash = %v, %v; want nil, ErrBadName", set, err)
				}
			})
		}
		t.Run("symlink", func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Symlink("x", filepath.Join(dir, "l\nk")); err != nil {
				t.Fatal(err)
			}
			if _, err := p.hash(t, dir, Options{}); !errors.Is(err, ErrBadName) {
				t.Fatalf("err = %v, want ErrBadName", err)
			}
		})
	})
}

func TestHashCanceled(t *testing.T) {
	forEachPath(t, func(t *testing.T, p hashPath) {
		dir := t.TempDir()
		writeTree(t, dir, nestedTree)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if set, err := p.hashHooks(t, ctx, dir, Options{}, nil); !errors.Is(err, context.Canceled) || set != nil {
			t.Errorf("Hash = %v, %v; want nil, context.Canceled", set, err)
		}
		// Canceled in the middle: when the walk opens a directory, and
		// when a worker has a file open.
		for _, at := range []string{"a/b2", "a/b2/deep/x.txt"} {
			ctx, cancel := context.WithCancel(context.Background())
			hooks := &testHooks{
				beforeOpen: func(name string) {
					if name == at {
						cancel()
					}
				},
			}
			if set, err := p.hashHooks(t, ctx, dir, Options{}, hooks); !errors.Is(err, context.Canceled) || set != nil {
				t.Errorf("canceled at %s: Hash = %v, %v; want nil, context.Canceled", at, set, err)
			}
			cancel()
		}
	})
}

// TestHashClosedRoot hashes through a root that is already closed.
func TestHashClosedRoot(t *testing.T) {
	forEachPath(t, func(t *testing.T, p hashPath) {
		root, err := os.OpenRoot(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		fsys := p.fsys(t, root, nil)
		root.Close()
		if set, err := Hash(context.Background(), fsys, Options{}); !errors.Is(err, os.ErrClosed) || set != nil {
			t.Errorf("Hash = %v, %v; want nil, os.ErrClosed", set, err)
		}
	})
}

// failFS fails to open one name.
type failFS struct {
	fs.FS
	name string
	err  error
}

func (f failFS) Open(name string) (fs.File, error) {
	if name == f.name {
		return nil, &fs.PathError{Op: "open", Path: name, Err: f.err}
	}
	return f.FS.Open(name)
}

// TestHashVanished removes a file or directory after the walk listed it and
// before it is opened: a real I/O error naming the path.
func TestHashVanished(t *testing.T) {
	forEachPath(t, func(t *testing.T, p hashPath) {
		for _, name := range []string{"a/b2/deep/x.txt", "a+", "a/b2", "z"} {
			for _, w := range []int{1, 4} {
				dir := t.TempDir()
				writeTree(t, dir, nestedTree)
				hooks := &testHooks{beforeOpen: func(n string) {
					if n == name {
						if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
							t.Error(err)
						}
					}
				}}
				set, err := p.hashHooks(t, context.Background(), dir, Options{Workers: w}, hooks)
				var perr *fs.PathError
				if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &perr) || perr.Path != name || set != nil {
					t.Errorf("%s, %d workers: Hash = %v, %v; want ErrNotExist at %s", name, w, set, err, name)
				}
			}
		}
	})
}

// TestHashIOError injects errors through a wrapping fs.FS (generic path).
func TestHashIOError(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, nestedTree)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, name := range []string{"a/b2/deep/x.txt", "a+"} {
		fsys := failFS{root.FS(), name, fs.ErrPermission}
		for _, w := range []int{1, 4} {
			set, err := Hash(context.Background(), fsys, Options{Workers: w})
			if !errors.Is(err, fs.ErrPermission) || set != nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s, %d workers: Hash = %v, %v; want ErrPermission naming it", name, w, set, err)
			}
		}
	}
	// A walk error: an unreadable directory.
	fsys := failFS{root.FS(), "a/b2", fs.ErrPermission}
	if _, err := Hash(context.Background(), fsys, Options{}); !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "a/b2") {
		t.Errorf("walk error = %v, want ErrPermission naming a/b2", err)
	}
}

// swapFS opens swap[name] when asked for name, so that the content differs
// from what the walk saw.
type swapFS struct {
	fs.FS
	swap map[string]string
}

func (s swapFS) Open(name string) (fs.File, error) {
	if other, ok := s.swap[name]; ok {
		name = other
	}
	return s.FS.Open(name)
}

func TestHashChanged(t *testing.T) {
	base := fstest.MapFS{
		"ten":   {Data: []byte("0123456789")},
		"five":  {Data: []byte("01234")},
		"empty": {Data: nil},
		"big":   {Data: bytes.Repeat([]byte("b"), 3*bufSize)},
	}
	tests := []struct {
		name string
		swap map[string]string
		want error
	}{
		{"unchanged", nil, nil},
		{"shrunk", map[string]string{"ten": "five"}, ErrChanged},
		{"grew", map[string]string{"five": "ten"}, ErrChanged},
		{"empty became non-empty", map[string]string{"empty": "five"}, ErrChanged},
		{"large became small", map[string]string{"big": "ten"}, ErrChanged},
		{"small became large", map[string]string{"ten": "big"}, ErrChanged},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, err := Hash(context.Background(), swapFS{base, tc.swap}, Options{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Hash error = %v, want %v", err, tc.want)
			}
			if tc.want != nil {
				if set != nil {
					t.Errorf("set = %+v, want nil", set)
				}
				return
			}
			want := []File{
				{"big", 3 * bufSize, sha(strings.Repeat("b", 3*bufSize))},
				{"empty", 0, emptySHA256},
				{"five", 5, sha("01234")},
				{"ten", 10, sha("0123456789")},
			}
			if !reflect.DeepEqual(set.Files, want) {
				t.Errorf("Files = %+v, want %+v", set.Files, want)
			}
		})
	}
}

// TestPathsSameErrors checks that every hash path fails with the same
// error, word for word, for each kind of failure.
func TestPathsSameErrors(t *testing.T) {
	remove := func(at string) func(dir string) *testHooks {
		return func(dir string) *testHooks {
			return &testHooks{beforeOpen: func(name string) {
				if name == at {
					if err := os.RemoveAll(filepath.Join(dir, at)); err != nil {
						t.Error(err)
					}
				}
			}}
		}
	}
	tests := []struct {
		name  string
		hooks func(dir string) *testHooks
		tree  map[string]string
	}{
		{"file vanished", remove("a/b2/deep/x.txt"), nil},
		{"directory vanished", remove("a/b2"), nil},
		{"bad name", nil, map[string]string{"a/b2/x\ny": ""}},
		{"shrunk", func(dir string) *testHooks {
			return &testHooks{afterOpen: func(name string) {
				if name == "a+" {
					if err := os.Truncate(filepath.Join(dir, name), 1); err != nil {
						t.Error(err)
					}
				}
			}}
		}, nil},
		{"closed root", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var first string
			for _, p := range hashPaths {
				dir := t.TempDir()
				writeTree(t, dir, nestedTree)
				writeTree(t, dir, tc.tree)
				var hooks *testHooks
				if tc.hooks != nil {
					hooks = tc.hooks(dir)
				}
				root, err := os.OpenRoot(dir)
				if err != nil {
					t.Fatal(err)
				}
				fsys := p.fsys(t, root, hooks)
				if tc.name == "closed root" {
					root.Close()
				}
				_, err = Hash(context.Background(), fsys, Options{Workers: 1})
				root.Close()
				if err == nil {
					t.Fatalf("%s: Hash succeeded", p.name)
				}
				if first == "" {
					first = err.Error()
				} else if err.Error() != first {
					t.Errorf("%s: error %q, %s gave %q", p.name, err, hashPaths[0].name, first)
				}
			}
		})
	}
}
