package artifacts

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

var changedTree = map[string]string{
	"ten":     "0123456789",
	"five":    "01234",
	"empty":   "",
	"big":     strings.Repeat("b", 3*bufSize),
	"sub/ten": "0123456789",
}

// TestHashChangedOnDisk changes a file in place after it was opened, before
// it is read: the size it had when opened no longer holds.
func TestHashChangedOnDisk(t *testing.T) {
	appendTo := func(s string) func(string) error {
		return func(p string) error {
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return err
			}
			_, err = f.WriteString(s)
			return errors.Join(err, f.Close())
		}
	}
	truncate := func(n int64) func(string) error {
		return func(p string) error { return os.Truncate(p, n) }
	}
	tests := []struct {
		name, file string
		change     func(path string) error
		want       error
	}{
		{"unchanged", "", nil, nil},
		{"shrunk", "ten", truncate(5), ErrChanged},
		{"grew", "five", appendTo("56789"), ErrChanged},
		{"empty became non-empty", "empty", appendTo("x"), ErrChanged},
		{"large became small", "big", truncate(10), ErrChanged},
		{"small became large", "sub/ten", appendTo(strings.Repeat("x", 3*bufSize)), ErrChanged},
	}
	forEachPath(t, func(t *testing.T, p hashPath) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				dir := t.TempDir()
				writeTree(t, dir, changedTree)
				hooks := &testHooks{afterOpen: func(name string) {
					if name == tc.file {
						if err := tc.change(filepath.Join(dir, name)); err != nil {
							t.Error(err)
						}
					}
				}}
				set, err := p.hashHooks(t, context.Background(), dir, Options{}, hooks)
				if !errors.Is(err, tc.want) {
					t.Fatalf("Hash error = %v, want %v", err, tc.want)
				}
				if tc.want != nil {
					if set != nil || !strings.Contains(err.Error(), tc.file) {
						t.Errorf("Hash = %+v, %v; want nil and an error naming %s", set, err, tc.file)
					}
					return
				}
				want := []File{
					{"big", 3 * bufSize, sha(strings.Repeat("b", 3*bufSize))},
					{"empty", 0, emptySHA256},
					{"five", 5, sha("01234")},
					{"sub/ten", 10, sha("0123456789")},
					{"ten", 10, sha("0123456789")},
				}
				if !reflect.DeepEqual(set.Files, want) {
					t.Errorf("Files = %+v, want %+v", set.Files, want)
				}
			})
		}
	})
}

// TestHashSwapped replaces an entry the walk listed as a regular file or a
// directory with another kind of entry before it is opened. The descriptor
// walk never follows the symlink nor waits on the FIFO: each is ErrChanged.
// (The generic path opens through os.Root, which follows symlinks inside the
// root and blocks on a FIFO, so it is not run here.)
func TestHashSwapped(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"ten": "9876543210"})
	tests := []struct {
		name, file string
		swap       func(t *testing.T, dir, path string)
		want       []error
	}{
		{"file became fifo", "ten", func(t *testing.T, _, p string) { mkfifo(t, p) }, []error{ErrChanged}},
		{"file became symlink", "ten", func(t *testing.T, dir, p string) {
			symlink(t, filepath.Join(dir, "sub", "ten"), p)
		}, []error{ErrChanged, syscall.ELOOP}},
		{"file became symlink outside", "ten", func(t *testing.T, _, p string) {
			symlink(t, filepath.Join(outside, "ten"), p)
		}, []error{ErrChanged, syscall.ELOOP}},
		{"file became directory", "ten", func(t *testing.T, _, p string) {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Error(err)
			}
		}, []error{ErrChanged}},
		{"file became socket", "ten", func(t *testing.T, _, p string) {
			l, err := net.Listen("unix", p)
			if err != nil {
				t.Error(err)
			}
			t.Cleanup(func() { l.Close() })
		}, []error{syscall.ENXIO}},
		{"directory became symlink", "sub", func(t *testing.T, _, p string) {
			symlink(t, outside, p) // O_DIRECTORY|O_NOFOLLOW: ENOTDIR
		}, []error{ErrChanged, syscall.ENOTDIR}},
		{"directory became file", "sub", func(t *testing.T, _, p string) {
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Error(err)
			}
		}, []error{ErrChanged, syscall.ENOTDIR}},
	}
	for _, p := range hashPaths {
		if !p.fd {
			continue
		}
		t.Run(p.name, func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					dir := t.TempDir()
					writeTree(t, dir, changedTree)
					path := filepath.Join(dir, tc.file)
					hooks := &testHooks{beforeOpen: func(name string) {
						if name == tc.file {
							if err := os.RemoveAll(path); err != nil {
								t.Error(err)
							}
							tc.swap(t, dir, path)
						}
					}}
					set, err := hashUnblocked(t, p, dir, hooks, path)
					for _, want := range tc.want {
						if !errors.Is(err, want) {
							t.Errorf("Hash error = %v, want %v", err, want)
						}
					}
					if set != nil || err == nil || !strings.Contains(err.Error(), tc.file) {
						t.Errorf("Hash = %+v, %v; want nil and an error naming %s", set, err, tc.file)
					}
				})
			}
		})
	}
}

// The swaps run inside Hash, off the test goroutine: they report with
// t.Error, never t.Fatal.

// hashUnblocked hashes dir on path p. Should Hash still be running after a
// minute (blocked opening a FIFO at fifo, which would hang the test binary),
// it opens the FIFO for writing, which lets Hash go on, and fails the test.
func hashUnblocked(t *testing.T, p hashPath, dir string, hooks *testHooks, fifo string) (*Set, error) {
	t.Helper()
	type result struct {
		set *Set
		err error
	}
	done := make(chan result, 1)
	go func() {
		set, err := p.hashHooks(t, context.Background(), dir, Options{}, hooks)
		done <- result{set, err}
	}()
	select {
	case r := <-done:
		return r.set, r.err
	case <-time.After(time.Minute):
		t.Errorf("Hash blocked for a minute: opening the FIFO %s to release it", fifo)
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		r := <-done
		return r.set, r.err
	}
}

func mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Error(err)
	}
}

func symlink(t *testing.T, target, p string) {
	t.Helper()
	if err := os.Symlink(target, p); err != nil {
		t.Error(err)
	}
}
