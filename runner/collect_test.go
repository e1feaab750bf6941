package runner

import (
	"cohos.dev/cohos/internal/testkit"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// makeTree creates in dir: a.txt, sub/b.txt, sub/a.txt (same base name as
// a.txt), link.txt -> a.txt, linkdir -> sub, fifo, and emptydir.
func makeTree(t *testing.T, dir string) {
	t.Helper()
	for name, content := range map[string]string{"a.txt": "A", "sub/b.txt": "B", "sub/a.txt": "other A"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a.txt", filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub", filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestCopyFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src  string
		want error
	}{
		{"a.txt", nil},
		{"sub/b.txt", nil},
		{"link.txt", errSymlink},
		{"linkdir/b.txt", errSymlink},
		{"fifo", errNotRegular},
		{"emptydir", errNotRegular},
		{"missing", fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			t.Parallel()
			dir, dst := t.TempDir(), t.TempDir()
			makeTree(t, dir)
			out := filepath.Join(dst, "copy")
			err := copyFile(dir, filepath.Join(dir, tt.src), out)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("copyFile = %v, want %v", err, tt.want)
			}
			_, statErr := os.Lstat(out)
			if tt.want != nil {
				if !errors.Is(statErr, fs.ErrNotExist) {
					t.Errorf("destination left behind after %v", err)
				}
				return
			}
			want, _ := os.ReadFile(filepath.Join(dir, tt.src))
			got, _ := os.ReadFile(out)
			if string(got) != string(want) {
				t.Errorf("copied %q, want %q", got, want)
			}
			if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o644 {
				t.Errorf("mode %v, want 0644", fi.Mode().Perm())
			}
		})
	}
	t.Run("collision", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		makeTree(t, dir)
		out := filepath.Join(dir, "sub", "a.txt")
		if err := copyFile(dir, filepath.Join(dir, "a.txt"), out); !errors.Is(err, errCollision) {
			t.Fatalf("copyFile = %v, want errCollision", err)
		}
		if got, _ := os.ReadFile(out); string(got) != "other A" {
			t.Errorf("existing file changed to %q", got)
		}
	})
}

func TestRunCollect(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, "sh", "-c", `echo job > "$COHOS_ARTIFACTS/job.txt"; echo made > made.txt`)
	makeTree(t, spec.WorkDir)
	spec.Collect = []string{"*.txt", "sub/*.txt", "a.txt", "linkdir/*", "nothing/*", "[", "job.txt"}
	out := mustRun(t, context.Background(), spec)

	wantCollected := []string{"artifacts/a.txt", "artifacts/made.txt", "artifacts/b.txt"}
	if !reflect.DeepEqual(out.Invocation.Collected, wantCollected) {
		t.Errorf("collected = %q, want %q", out.Invocation.Collected, wantCollected)
	}
	// One problem each: link.txt (symlink), sub/a.txt (collision),
	// linkdir/a.txt and linkdir/b.txt (symlinked directory), nothing/*
	// (no match), [ (bad pattern), job.txt (no match in WorkDir).
	wantProblems := []string{"link.txt", "sub/a.txt", "linkdir/a.txt", "linkdir/b.txt", "nothing/*", `"["`, "job.txt"}
	if got := out.Invocation.CollectErrors; len(got) != len(wantProblems) {
		t.Fatalf("collect errors = %q, want %d", got, len(wantProblems))
	}
	for i, name := range wantProblems {
		if !strings.Contains(out.Invocation.CollectErrors[i], name) {
			t.Errorf("collect error %d = %q, want it to name %s", i, out.Invocation.CollectErrors[i], name)
		}
	}
	for name, want := range map[string]string{"a.txt": "A", "b.txt": "B", "made.txt": "made\n", "job.txt": "job\n"} {
		if got := testkit.FileString(t, filepath.Join(spec.RunDir, "artifacts", name)); got != want {
			t.Errorf("artifacts/%s = %q, want %q", name, got, want)
		}
	}
	if inv := readInvocation(t, spec); !reflect.DeepEqual(inv.Collected, wantCollected) || len(inv.CollectErrors) != len(wantProblems) {
		t.Errorf("written invocation collected %q, errors %q", inv.Collected, inv.CollectErrors)
	}
}
