package artifacts

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// deepChain makes depth nested directories "d/d/.../d" below dir, each
// with an empty directory "e" after the subdirectory (so the walk must
// come back to every level and open something there), and returns the
// name of the one file, at the bottom. Paths this deep
// exceed PATH_MAX, so it works with descriptors.
func deepChain(t testing.TB, dir string, depth int) string {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range depth {
		if err := unix.Mkdirat(fd, "d", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mkdirat(fd, "e", 0o755); err != nil {
			t.Fatal(err)
		}
		sub, err := unix.Openat(fd, "d", unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(fd)
		fd = sub
	}
	f, err := unix.Openat(fd, "leaf", unix.O_WRONLY|unix.O_CREAT, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(f)
	unix.Close(fd)
	t.Cleanup(func() {
		// os.RemoveAll copes with paths beyond PATH_MAX.
		os.RemoveAll(dir)
	})
	return strings.Repeat("d/", depth) + "leaf"
}

// TestHashDeepChain: a tree 5,000 levels deep (issue 11, case 2: 17 s
// when the walk was quadratic in depth) hashes in bounded time,
// naming the one file at the bottom.
func TestHashDeepChain(t *testing.T) {
	if testing.Short() {
		t.Skip("deep tree: not in -short")
	}
	const depth = 5000
	dir := t.TempDir()
	leaf := deepChain(t, dir, depth)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	t.Logf("tree made")
	start := time.Now()
	set, err := Hash(context.Background(), RootFS(root), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A generous guard against a quadratic walk, not a timing assertion.
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("hashing %d levels took %v", depth, d)
	}
	t.Logf("hashed in %v", time.Since(start))
	if len(set.Files) != 1 || set.Files[0].Name != leaf {
		t.Fatalf("files %d, want only the deepest file", len(set.Files))
	}
}

// BenchmarkHashDepth shows the walk linear in depth: ns/level stays flat
// from 1,000 to 8,000 levels.
func BenchmarkHashDepth(b *testing.B) {
	for _, depth := range []int{1000, 2000, 4000, 8000} {
		b.Run(itoa(depth), func(b *testing.B) {
			dir := b.TempDir()
			deepChain(b, dir, depth)
			root, err := os.OpenRoot(dir)
			if err != nil {
				b.Fatal(err)
			}
			defer root.Close()
			b.ResetTimer()
			for b.Loop() {
				if _, err := Hash(context.Background(), RootFS(root), Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(depth), "ns/level")
		})
	}
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return "levels=" + s
}
