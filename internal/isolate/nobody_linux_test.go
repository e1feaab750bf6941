package isolate

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// asNobody re-runs the tests matching run as uid/gid 65534 (via setpriv)
// from a copy of the test binary that uid can execute, with extra
// environment, optionally wrapped by prefix (e.g. unshare). It needs root:
// CI runs as root, so the unprivileged path runs there.
func asNobody(t *testing.T, run string, prefix []string, env ...string) (string, error) {
	t.Helper()
	if os.Getenv(nobodyEnv) != "" {
		t.Skip("already the re-run as nobody")
	}
	if os.Geteuid() != 0 {
		t.Skip("re-running as nobody needs root; as any other user the tests above already run unprivileged")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Fatalf("setpriv (util-linux) is needed to run the unprivileged case: %v", err)
	}
	dir, err := os.MkdirTemp("", "isolate-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "isolate.test")
	if err := copyFile(exe, bin); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{}, prefix...), setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", bin, "-test.run", run, "-test.v")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(append(os.Environ(), nobodyEnv+"=1", "TMPDIR="+dir, "HOME="+dir), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// TestUnprivileged runs the isolation tests as nobody: the user namespace
// path.
func TestUnprivileged(t *testing.T) {
	out, err := asNobody(t, "^(TestJobSeesOnlyItsNamespace|TestMasksHideKeyAndPasswordFiles|TestEveryDescendantDiesWithTheJob|TestSignalStopsJobAndKillEndsIt|TestStartErrorNamesTheCause|TestKillOfTheParentEndsTheJob)$", nil)
	if err != nil || strings.Count(out, "--- PASS") != 6 {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}

// TestUnavailableWhenProcIsOvermounted: in a container-like mount
// namespace (part of /proc covered), an unprivileged user cannot mount a
// fresh /proc; Start says so and nothing runs.
func TestUnavailableWhenProcIsOvermounted(t *testing.T) {
	if os.Getenv(nobodyEnv) == "locked" {
		_, _, err := Start(Job{Path: "/bin/true", Args: []string{"true"}, Dir: "/"}, Options{})
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "mount /proc: operation not permitted") {
			t.Fatalf("err = %v, want unavailable: mount /proc: operation not permitted", err)
		}
		return
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatalf("unshare (util-linux) is needed: %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to cover part of /proc")
	}
	out, err := asNobody(t, "^TestUnavailableWhenProcIsOvermounted$",
		[]string{unshare, "--mount", "--propagation", "private", "sh", "-c", `mount -t tmpfs none /proc/sys && exec "$@"`, "sh"},
		nobodyEnv+"=locked")
	if err != nil || !strings.Contains(out, "--- PASS") {
		t.Fatalf("as nobody under a covered /proc: %v\n%s", err, out)
	}
}
