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
	for _, name := range []string{"a\nb", "a\rb", "dir\n/f", "\xff\xfe", "ok/bad\xc3"} {
		t.Run(strings.ToValidUTF8(name, "?"), func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, map[string]string{"good": "g", name: "x"})
			set, err := hashDir(t, dir, Options{})
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
		if _, err := hashDir(t, dir, Options{}); !errors.Is(err, ErrBadName) {
			t.Fatalf("err = %v, want ErrBadName", err)
		}
	})
}

func TestHashCanceled(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, nestedTree)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if set, err := Hash(ctx, root.FS(), Options{}); !errors.Is(err, context.Canceled) || set != nil {
		t.Errorf("Hash = %v, %v; want nil, context.Canceled", set, err)
	}
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
