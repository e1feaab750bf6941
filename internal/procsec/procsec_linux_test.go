package procsec

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestHardenMakesTheProcessNonDumpable(t *testing.T) {
	if err := Harden(); err != nil {
		t.Fatal(err)
	}
	v, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if v != 0 {
		t.Fatalf("PR_GET_DUMPABLE = %d, want 0", v)
	}
}
