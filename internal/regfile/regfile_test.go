package regfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := Read(file, 5); err != nil || string(b) != "hello" {
		t.Fatalf("Read = %q, %v", b, err)
	}
	if _, err := Read(file, 4); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("limit 4: %v, want ErrTooLarge", err)
	}
	// A FIFO with no writer would block a plain open forever.
	if _, err := Read(fifo, 5); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("fifo: %v, want ErrNotRegular", err)
	}
	if _, err := Read(dir, 5); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("dir: %v, want ErrNotRegular", err)
	}
	if _, err := Read(filepath.Join(dir, "missing"), 5); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v, want ErrNotExist", err)
	}
}

func TestReadFS(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	fsys := root.FS()
	if b, err := ReadFS(fsys, "f", 5); err != nil || string(b) != "hello" {
		t.Fatalf("ReadFS = %q, %v", b, err)
	}
	for name, want := range map[string]error{"fifo": ErrNotRegular, "link": ErrNotRegular, "missing": os.ErrNotExist} {
		if _, err := ReadFS(fsys, name, 5); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
	if _, err := ReadFS(fsys, "f", 4); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("limit 4: %v, want ErrTooLarge", err)
	}
}
