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
