package isolate

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Environment variables that make the test binary play a part.
const (
	helperEnv = "COHOS_ISOLATE_HELPER" // run one isolated job, print "ready", wait
	nobodyEnv = "COHOS_ISOLATE_NOBODY" // this run is the re-run as nobody
)

func TestMain(m *testing.M) {
	if code, ok := MaybeInit(); ok {
		os.Exit(code)
	}
	if marker := os.Getenv(helperEnv); marker != "" {
		helper(marker)
	}
	os.Exit(m.Run())
}

// helper starts an isolated `sleep` carrying marker, says so on stdout and
// waits to be killed.
func helper(marker string) {
	p, _, err := Start(Job{Path: sleepPath(), Args: []string{"sleep", marker}, Dir: "/", Stdout: os.Stderr, Stderr: os.Stderr}, Options{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	fmt.Println("ready")
	p.Wait()
	os.Exit(0)
}

func sleepPath() string {
	p, err := exec.LookPath("sleep")
	if err != nil {
		panic(err)
	}
	return p
}

// marker returns a sleep duration no other process uses: a way to find
// the job's processes on the host by their command line.
func marker(t *testing.T) string {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("1000.%d", uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3]))
}

// withMarker lists host processes whose command line contains m.
func withMarker(m string) []string {
	var found []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), m) {
			found = append(found, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return found
}

// run runs script isolated and returns its stdout, stderr and status.
func run(t *testing.T, opts Options, script string) (string, string, Status) {
	t.Helper()
	p, stdout, stderr := start(t, opts, script)
	st := p.Wait()
	return read(t, stdout), read(t, stderr), st
}

func start(t *testing.T, opts Options, script string) (*Process, *os.File, *os.File) {
	t.Helper()
	dir := t.TempDir()
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdout.Close(); stderr.Close() })
	sh, _ := exec.LookPath("sh")
	p, rep, err := Start(Job{Path: sh, Args: []string{"sh", "-c", script}, Dir: dir, Env: []string{"PATH=" + os.Getenv("PATH"), "SECRET_IN_JOB=job"}, Stdout: stdout, Stderr: stderr}, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	wantMode := "pid+mount+ipc"
	if os.Geteuid() != 0 {
		wantMode += "+user"
	}
	if !rep.Isolated || rep.Mode != wantMode || rep.Reason != "" {
		t.Fatalf("report = %+v, want isolated %s", rep, wantMode)
	}
	return p, stdout, stderr
}

func read(t *testing.T, f *os.File) string {
	t.Helper()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestJobSeesOnlyItsNamespace(t *testing.T) {
	out, errOut, st := run(t, Options{}, `
echo "procs $(ls /proc | grep -c '^[0-9]')"
echo "init $(tr '\0' ' ' < /proc/1/cmdline | od -An -c | tr -d ' \n' | head -c 12)"
cat /proc/1/environ >/dev/null 2>&1 && echo "init environ readable"
for f in /proc/[0-9]*/environ; do grep -l SECRET_OUTSIDE "$f" 2>/dev/null; done
grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status
exit 7`)
	if st.WaitStatus.ExitStatus() != 7 || !st.Reported {
		t.Fatalf("status = %+v, want exit 7 reported; stderr %s", st, errOut)
	}
	for _, want := range []string{"CapInh:\t0000000000000000", "CapPrm:\t0000000000000000", "CapEff:\t0000000000000000", "CapAmb:\t0000000000000000", "NoNewPrivs:\t1"} {
		if !strings.Contains(out, want) {
			t.Errorf("job status lacks %q:\n%s", want, out)
		}
	}
	if os.Geteuid() == 0 && !strings.Contains(out, "CapBnd:\t0000000000000000") {
		t.Errorf("root job keeps a bounding set:\n%s", out)
	}
	if strings.Contains(out, "readable") || strings.Contains(out, "environ\n") {
		t.Errorf("job read an environ it must not:\n%s", out)
	}
	var procs int
	fmt.Sscanf(out, "procs %d", &procs)
	if procs < 2 || procs > 6 {
		t.Errorf("job sees %d processes, want its namespace only (init, sh, ls):\n%s", procs, out)
	}
}

func TestMasksHideKeyAndPasswordFiles(t *testing.T) {
	dir := t.TempDir()
	keyDir := filepath.Join(dir, "keys")
	if err := os.Mkdir(keyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(keyDir, "signing.key")
	pw := filepath.Join(dir, "password.txt")
	link := filepath.Join(dir, "link-to-password")
	for _, f := range []string{key, pw} {
		if err := os.WriteFile(f, []byte("SECRET-BYTES\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(pw, link); err != nil {
		t.Fatal(err)
	}
	out, _, st := run(t, Options{Mask: []string{keyDir, link, filepath.Join(dir, "missing")}}, fmt.Sprintf(`
cat %q %q %q 2>&1
ls %q 2>&1
umount %q 2>&1; umount %q 2>&1
cat %q %q 2>&1
echo done`, key, pw, link, keyDir, keyDir, pw, key, pw))
	if st.WaitStatus.ExitStatus() != 0 {
		t.Fatalf("status %+v", st)
	}
	if strings.Contains(out, "SECRET") || !strings.HasSuffix(out, "done\n") {
		t.Fatalf("job read a masked file:\n%s", out)
	}
	if b, _ := os.ReadFile(pw); string(b) != "SECRET-BYTES\n" {
		t.Fatalf("password file outside changed: %q", b)
	}
}

func TestEveryDescendantDiesWithTheJob(t *testing.T) {
	m := marker(t)
	_, _, st := run(t, Options{}, fmt.Sprintf(`
setsid -f env -i sleep %[1]s
(sh -c 'sleep %[1]s' &)
sh -c 'trap "" TERM; exec sleep %[1]s' &
n=0; until [ $n -ge 3 ]; do n=0; for f in /proc/[0-9]*/comm; do [ "$(cat $f 2>/dev/null)" = sleep ] && n=$((n+1)); done; done
exit 3`, m))
	if st.WaitStatus.ExitStatus() != 3 {
		t.Fatalf("status %+v", st)
	}
	if left := withMarker(m); len(left) > 0 {
		t.Fatalf("processes outlived the job: %v", left)
	}
	// Three sleeps, plus the shell the subshell forked.
	if len(st.Stragglers) < 3 || len(st.Stragglers) > 4 {
		t.Fatalf("stragglers = %+v, want the 3 sleeps (and a shell)", st.Stragglers)
	}
	for _, s := range st.Stragglers {
		if (s.Command != "sleep" && s.Command != "sh") || s.PID <= 1 {
			t.Errorf("straggler %+v, want a sleep", s)
		}
	}
}

func TestSignalStopsJobAndKillEndsIt(t *testing.T) {
	p, stdout, _ := start(t, Options{}, `trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done`)
	waitReady(t, stdout)
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if st := p.Wait(); st.WaitStatus.ExitStatus() != 42 {
		t.Fatalf("status %+v, want exit 42 from the trap", st)
	}

	m := marker(t)
	p, stdout, _ = start(t, Options{}, `trap '' TERM; echo ready; sleep `+m+`; sleep `+m)
	waitReady(t, stdout)
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-p.Done():
		t.Fatal("a job that ignores SIGTERM ended on it")
	case <-time.After(200 * time.Millisecond):
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if st := p.Wait(); st.Reported || st.WaitStatus.Signal() != syscall.SIGKILL {
		t.Fatalf("status %+v, want killed", st)
	}
	if left := withMarker(m); len(left) > 0 {
		t.Fatalf("processes outlived Kill: %v", left)
	}
}

func TestStartErrorNamesTheCause(t *testing.T) {
	_, _, err := Start(Job{Path: "/nonexistent/cmd", Args: []string{"cmd"}, Dir: "/"}, Options{})
	var se *StartError
	if !errors.As(err, &se) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want a StartError for a missing file", err)
	}
}

// TestKillOfTheParentEndsTheJob: kill -9 of the process that started the
// job takes the whole namespace with it within a second.
func TestKillOfTheParentEndsTheJob(t *testing.T) {
	m := marker(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"="+m)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		cmd.Process.Kill()
		t.Fatalf("helper said %q", line)
	}
	if len(withMarker(m)) == 0 {
		t.Fatal("the job is not running")
	}
	killed := time.Now()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for len(withMarker(m)) > 0 {
		if time.Since(killed) > time.Second {
			t.Fatalf("job still running 1s after its parent was killed: %v", withMarker(m))
		}
		time.Sleep(10 * time.Millisecond)
	}
	go io.Copy(io.Discard, out)
}

// waitReady polls until the job has written "ready" to f.
func waitReady(t *testing.T, f *os.File) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); read(t, f) != "ready\n"; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the job never said ready")
		}
	}
}
