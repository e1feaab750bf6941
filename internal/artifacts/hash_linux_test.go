package artifacts

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// openFDs counts the descriptors open in this process.
func openFDs(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Error(err)
	}
	return len(ents)
}

// TestHashFIFONeverBlocks puts FIFOs where the walk meets them (below the
// root, at a derived name) and where a file was: Hash lists the first as
// skipped and fails on the last with ErrChanged, never waiting on one.
func TestHashFIFONeverBlocks(t *testing.T) {
	forEachPath(t, func(t *testing.T, p hashPath) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"a/f": "f", "z": "z"})
		mkfifo(t, filepath.Join(dir, "a", "pipe"))
		mkfifo(t, filepath.Join(dir, SumsFile))
		set, err := hashUnblocked(t, p, dir, nil, filepath.Join(dir, "a", "pipe"))
		if err != nil {
			t.Fatal(err)
		}
		want := []Skipped{{SumsFile, KindFIFO, ""}, {"a/pipe", KindFIFO, ""}}
		if got := names(set); !slices.Equal(got, []string{"a/f", "z"}) || !reflect.DeepEqual(set.Skipped, want) {
			t.Errorf("Hash = %q, %v; want [a/f z], %v", got, set.Skipped, want)
		}
		if !p.fd {
			return // os.Root would block opening a FIFO put in place of "z"
		}
		path := filepath.Join(dir, "z")
		hooks := &testHooks{beforeOpen: func(name string) {
			if name == "z" {
				if err := os.Remove(path); err != nil {
					t.Error(err)
				}
				mkfifo(t, path)
			}
		}}
		if set, err := hashUnblocked(t, p, dir, hooks, path); !errors.Is(err, ErrChanged) || set != nil {
			t.Errorf("FIFO in place of a file: Hash = %v, %v; want nil, ErrChanged", set, err)
		}
	})
}

// TestHashDeepTree walks a tree deeper than the descriptors the walk keeps
// open: each level has a subdirectory before and after the next level and a
// file after it, so the walk must reopen directories it let go.
func TestHashDeepTree(t *testing.T) {
	const depth = 2*maxHeldDirs + 5
	files := map[string]string{}
	prefix := ""
	for i := range depth {
		files[prefix+"0/f"] = fmt.Sprint("first ", i)
		files[prefix+"b/f"] = fmt.Sprint("second ", i)
		files[prefix+"c"] = fmt.Sprint("last ", i)
		prefix += "a/"
	}
	files[prefix+"leaf"] = "leaf"
	dir := t.TempDir()
	writeTree(t, dir, files)
	var want []File
	for name, c := range files {
		want = append(want, File{name, int64(len(c)), sha(c)})
	}
	slices.SortFunc(want, func(a, b File) int { return strings.Compare(a.Name, b.Name) })

	forEachPath(t, func(t *testing.T, p hashPath) {
		base := openFDs(t)
		var (
			mu   sync.Mutex
			most int
		)
		hooks := &testHooks{beforeOpen: func(string) {
			n := openFDs(t)
			mu.Lock()
			most = max(most, n)
			mu.Unlock()
		}}
		set, err := p.hashHooks(t, context.Background(), dir, Options{Workers: 1}, hooks)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(set.Files, want) || len(set.Skipped) != 0 {
			t.Errorf("Files = %v, want %v", set.Files, want)
		}
		// Held: the root, maxHeldDirs ancestors, the directories of the
		// batches one worker can have queued or in hand, a file, the
		// directory being opened, and the one that counts them.
		if limit := maxHeldDirs + 10; most-base > limit {
			t.Errorf("%d descriptors open at once, want at most %d", most-base, limit)
		}
	})
}

// TestHashNoFDLeak checks that Hash closes every descriptor it opened, when
// it succeeds and when it fails at each kind of error.
func TestHashNoFDLeak(t *testing.T) {
	tree := map[string]string{"d/a": "a", "d/e/b": "b", "f": "f", "z/c": "c"}
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) *testHooks
		want  error
	}{
		{"ok", func(*testing.T, string) *testHooks { return nil }, nil},
		{"bad name", func(t *testing.T, dir string) *testHooks {
			writeTree(t, dir, map[string]string{"z/bad\n": "x"})
			return nil
		}, ErrBadName},
		{"changed", func(t *testing.T, dir string) *testHooks {
			return &testHooks{afterOpen: func(name string) {
				if name == "d/e/b" {
					if err := os.Truncate(filepath.Join(dir, name), 0); err != nil {
						t.Error(err)
					}
				}
			}}
		}, ErrChanged},
		{"vanished", func(t *testing.T, dir string) *testHooks {
			return &testHooks{beforeOpen: func(name string) {
				if name == "d/e" {
					if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
						t.Error(err)
					}
				}
			}}
		}, os.ErrNotExist},
	}
	forEachPath(t, func(t *testing.T, p hashPath) {
		warm := t.TempDir()
		writeTree(t, warm, tree)
		if _, err := p.hash(t, warm, Options{}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range tests {
			for _, w := range []int{1, 4} {
				dir := t.TempDir()
				writeTree(t, dir, tree)
				hooks := tc.setup(t, dir)
				before := openFDs(t)
				_, err := p.hashHooks(t, context.Background(), dir, Options{Workers: w}, hooks)
				if !errors.Is(err, tc.want) {
					t.Errorf("%s, %d workers: Hash error = %v, want %v", tc.name, w, err, tc.want)
				}
				if after := openFDs(t); after != before {
					t.Errorf("%s, %d workers: %d descriptors open before Hash, %d after", tc.name, w, before, after)
				}
			}
		}
	})
}

// dirent64 builds one linux_dirent64 record of length reclen (0: the
// smallest that fits, 8-byte aligned).
func dirent64(name string, typ uint8, reclen int) []byte {
	off := int(unsafe.Offsetof(unix.Dirent{}.Name))
	n := off + len(name) + 1
	if reclen == 0 {
		reclen = (n + 7) &^ 7
	}
	b := make([]byte, max(reclen, n))
	binary.NativeEndian.PutUint64(b, 42)
	binary.NativeEndian.PutUint16(b[unsafe.Offsetof(unix.Dirent{}.Reclen):], uint16(reclen))
	b[unsafe.Offsetof(unix.Dirent{}.Type)] = typ
	copy(b[off:], name)
	return b[:reclen]
}

func TestParseDirents(t *testing.T) {
	cat := func(bs ...[]byte) []byte { return slices.Concat(bs...) }
	tests := []struct {
		name string
		in   []byte
		want []dirent
		err  error
	}{
		{"empty", nil, nil, nil},
		{"entries", cat(dirent64(".", unix.DT_DIR, 0), dirent64("..", unix.DT_DIR, 0),
			dirent64("file", unix.DT_REG, 0), dirent64("dir", unix.DT_DIR, 0), dirent64("l", unix.DT_LNK, 0),
			dirent64("p", unix.DT_FIFO, 0), dirent64("s", unix.DT_SOCK, 0), dirent64("c", unix.DT_CHR, 0),
			dirent64("b", unix.DT_BLK, 0), dirent64("u", unix.DT_UNKNOWN, 0), dirent64("w", unix.DT_WHT, 0),
			dirent64("no\xffutf8", unix.DT_REG, 64)),
			[]dirent{{"file", 0}, {"dir", fs.ModeDir}, {"l", fs.ModeSymlink}, {"p", fs.ModeNamedPipe},
				{"s", fs.ModeSocket}, {"c", fs.ModeDevice | fs.ModeCharDevice}, {"b", fs.ModeDevice}, {"u", unknownType}, {"w", unknownType}, {"no\xffutf8", 0}}, nil},
		{"short header", dirent64("f", unix.DT_REG, 0)[:10], nil, errBadDirent},
		{"reclen past the end", dirent64("f", unix.DT_REG, 0)[:20], nil, errBadDirent},
		{"reclen too small", dirent64("f", unix.DT_REG, 19), nil, errBadDirent},
		{"empty name", dirent64("", unix.DT_REG, 0), nil, errBadDirent},
		{"bad after good", cat(dirent64("f", unix.DT_REG, 0), []byte{1, 2, 3}), []dirent{{"f", 0}}, errBadDirent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDirents(tc.in, nil)
			if !errors.Is(err, tc.err) || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseDirents = %v, %v; want %v, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func FuzzParseDirents(f *testing.F) {
	f.Add(slices.Concat(dirent64("a", unix.DT_REG, 0), dirent64("..", unix.DT_DIR, 0)))
	f.Add(dirent64("f", unix.DT_REG, 19))
	f.Fuzz(func(t *testing.T, b []byte) {
		ents, err := parseDirents(b, nil)
		if err != nil && !errors.Is(err, errBadDirent) {
			t.Fatalf("error %v does not wrap errBadDirent", err)
		}
		for _, e := range ents {
			if e.name == "" || e.name == "." || e.name == ".." || strings.ContainsRune(e.name, 0) {
				t.Fatalf("entry %q", e.name)
			}
		}
	})
}

// TestModeTypes checks the types the walk gives an entry, from getdents and
// from fstatat, against os.Lstat, for every kind this process can make.
func TestModeTypes(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"file": "f", "dir/x": "x"})
	symlink(t, "file", filepath.Join(dir, "link"))
	mkfifo(t, filepath.Join(dir, "fifo"))
	if err := unix.Mknod(filepath.Join(dir, "null"), unix.S_IFCHR|0o644, int(unix.Mkdev(1, 3))); err != nil {
		t.Logf("no device case: %v", err)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	w := walker{buf: make([]byte, 4096)}
	ents, err := w.readDir(fd, func() string { return "." })
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.name)
		fi, err := os.Lstat(filepath.Join(dir, e.name))
		if err != nil {
			t.Fatal(err)
		}
		var st unix.Stat_t
		if err := unix.Fstatat(fd, e.name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Fatal(err)
		}
		if want := fi.Mode().Type(); e.typ != want || modeType(st.Mode) != want {
			t.Errorf("%s: getdents %v, fstatat %v; os.Lstat %v", e.name, e.typ, modeType(st.Mode), want)
		}
	}
	if !slices.IsSorted(got) || len(got) < 5 {
		t.Errorf("readDir = %q, want every entry, sorted", got)
	}
}
