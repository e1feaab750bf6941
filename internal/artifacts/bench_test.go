package artifacts

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Benchmark trees are created once per test binary and removed by TestMain.
// COHOS_BENCH_TREE names an existing 10k-file tree to use instead (see
// scripts/bench-artifacts.sh); it is left in place.
const (
	smallDirs, smallPerDir, smallSize = 100, 100, 4 << 10
	bigSize                           = 1 << 30
)

type benchTree struct {
	once  sync.Once
	dir   string
	keep  bool     // dir was given, not created
	paths []string // every file, in walk order
	err   error
}

var smallTree, bigTree benchTree

func TestMain(m *testing.M) {
	code := m.Run()
	for _, bt := range []*benchTree{&smallTree, &bigTree} {
		if bt.dir != "" && !bt.keep {
			os.RemoveAll(bt.dir)
		}
	}
	os.Exit(code)
}

// get returns the tree, creating it with create on first use.
func (bt *benchTree) get(b *testing.B, create func(dir string) ([]string, error)) *benchTree {
	b.Helper()
	bt.once.Do(func() {
		if dir := os.Getenv("COHOS_BENCH_TREE"); dir != "" && bt == &smallTree {
			bt.dir, bt.keep = dir, true
			bt.paths, bt.err = listFiles(dir)
			return
		}
		bt.dir, bt.err = os.MkdirTemp("", "artifacts-bench-")
		if bt.err == nil {
			bt.paths, bt.err = create(bt.dir)
		}
	})
	if bt.err != nil {
		b.Fatal(bt.err)
	}
	return bt
}

// listFiles returns the regular files below dir.
func listFiles(dir string) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			paths = append(paths, p)
		}
		return err
	})
	return paths, err
}

// createSmall writes 100 directories of 100 files of 4 KiB each.
func createSmall(dir string) ([]string, error) {
	buf := make([]byte, smallSize)
	var paths []string
	for d := range smallDirs {
		sub := filepath.Join(dir, fmt.Sprintf("d%02d", d))
		if err := os.Mkdir(sub, 0o755); err != nil {
			return nil, err
		}
		for f := range smallPerDir {
			fillBytes(buf, uint64(d*smallPerDir+f))
			p := filepath.Join(sub, fmt.Sprintf("f%03d", f))
			if err := os.WriteFile(p, buf, 0o644); err != nil {
				return nil, err
			}
			paths = append(paths, p)
		}
	}
	return paths, nil
}

// createBig writes one 1 GiB file of non-zero data (no holes).
func createBig(dir string) ([]string, error) {
	p := filepath.Join(dir, "big")
	f, err := os.Create(p)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 1<<20)
	for i := range bigSize / len(buf) {
		fillBytes(buf, uint64(i))
		if _, err := f.Write(buf); err != nil {
			f.Close()
			return nil, err
		}
	}
	return []string{p}, f.Close()
}

// fillBytes fills b with a cheap pseudo-random stream seeded by seed.
func fillBytes(b []byte, seed uint64) {
	x := seed*0x9e3779b97f4a7c15 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
}

// benchHash hashes the tree through fsys(root): (*os.Root).FS for the
// generic path, RootFS for the descriptor walk.
func benchHash(b *testing.B, bt *benchTree, total int64, opts Options, fsys func(*os.Root) fs.FS) {
	root, err := os.OpenRoot(bt.dir)
	if err != nil {
		b.Fatal(err)
	}
	defer root.Close()
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		set, err := Hash(context.Background(), fsys(root), opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(set.Files) != len(bt.paths) {
			b.Fatalf("hashed %d files, want %d", len(set.Files), len(bt.paths))
		}
	}
}

// benchLoop is the baseline: one goroutine reading each file in turn into
// crypto/sha256 through one reused buffer, with the file list known.
func benchLoop(b *testing.B, bt *benchTree, total int64) {
	buf := make([]byte, bufSize)
	h := sha256.New()
	var sum [sha256.Size]byte
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range bt.paths {
			f, err := os.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			h.Reset()
			for {
				n, err := f.Read(buf)
				h.Write(buf[:n])
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			f.Close()
			h.Sum(sum[:0])
		}
	}
}

func BenchmarkHash10kFiles(b *testing.B) {
	benchHash(b, smallTree.get(b, createSmall), smallDirs*smallPerDir*smallSize, Options{}, (*os.Root).FS)
}

func BenchmarkHash10kFilesRootFS(b *testing.B) {
	benchHash(b, smallTree.get(b, createSmall), smallDirs*smallPerDir*smallSize, Options{}, RootFS)
}

func BenchmarkHash10kFilesWorkers(b *testing.B) {
	bt := smallTree.get(b, createSmall)
	for _, p := range []struct {
		name string
		fsys func(*os.Root) fs.FS
	}{{"FS", (*os.Root).FS}, {"RootFS", RootFS}} {
		for _, w := range []int{1, 2, 4, 8} {
			b.Run(fmt.Sprint(p.name, "/", w), func(b *testing.B) {
				benchHash(b, bt, smallDirs*smallPerDir*smallSize, Options{Workers: w}, p.fsys)
			})
		}
	}
}

func BenchmarkSHA256Loop10kFiles(b *testing.B) {
	benchLoop(b, smallTree.get(b, createSmall), smallDirs*smallPerDir*smallSize)
}

func BenchmarkHash1GiB(b *testing.B) {
	if testing.Short() {
		b.Skip("1 GiB file: skipped with -short")
	}
	benchHash(b, bigTree.get(b, createBig), bigSize, Options{}, (*os.Root).FS)
}

func BenchmarkHash1GiBRootFS(b *testing.B) {
	if testing.Short() {
		b.Skip("1 GiB file: skipped with -short")
	}
	benchHash(b, bigTree.get(b, createBig), bigSize, Options{}, RootFS)
}

func BenchmarkSHA256Loop1GiB(b *testing.B) {
	if testing.Short() {
		b.Skip("1 GiB file: skipped with -short")
	}
	benchLoop(b, bigTree.get(b, createBig), bigSize)
}
