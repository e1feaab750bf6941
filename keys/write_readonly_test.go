package keys

import (
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// unprivilegedEnv tells a re-executed test binary to drop root before the
// test runs: root ignores directory permissions.
const unprivilegedEnv = "COHOS_TEST_AS_NOBODY"

// nobody is the uid and gid the re-executed test runs as.
const nobody = 65534

// asNobody makes the calling test run without root's privileges. Run as
// root, it runs the test again in a child process of this test binary that
// drops to nobody before the test starts, checks that the child really ran
// and passed, and returns false: the caller returns. In that child (and when
// the tests do not run as root) it returns true and the test goes on.
func asNobody(t *testing.T) bool {
	t.Helper()
	if os.Getenv(unprivilegedEnv) == "1" {
		if os.Geteuid() == 0 {
			if err := syscall.Setgroups(nil); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Setresgid(nobody, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Setresuid(nobody, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}
		if os.Geteuid() == 0 || os.Getegid() == 0 {
			t.Fatal("still root after dropping privileges")
		}
		return true
	}
	if os.Geteuid() != 0 {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), unprivilegedEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) || strings.Contains(string(out), "--- SKIP") {
		t.Fatalf("as nobody, %s did not run and pass:\n%s", t.Name(), out)
	}
	return false
}

// TestWritePairReadOnlyDirectory: in a directory the user cannot write,
// WritePair fails and leaves the directory as it was. As root the test runs
// as nobody, since root could write there anyway.
func TestWritePairReadOnlyDirectory(t *testing.T) {
	if !asNobody(t) {
		return
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "other.pub"), "KEEP", 0o644)
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	before := dirState(t, dir)
	err := WritePair(filepath.Join(dir, "key"), []byte("PRIV"), []byte("PUB"), false)
	if err == nil || errors.Is(err, ErrExists) || !errors.Is(err, os.ErrPermission) {
		t.Fatalf("err = %v, want a permission error", err)
	}
	if after := dirState(t, dir); !maps.Equal(after, before) {
		t.Fatalf("dir changed from %v to %v", before, after)
	}
}
