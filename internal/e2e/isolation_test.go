package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cohosRun runs the real cohos binary and returns its stdout, stderr and
// exit code.
func cohosRun(t *testing.T, w world, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(w.cohos, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func uniq(t *testing.T) string {
	var b [4]byte
	rand.Read(b[:])
	return "1000." + fmt.Sprint(uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3]))
}

func hostProcs(marker string) []string {
	var found []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), marker) {
			found = append(found, e.Name())
		}
	}
	return found
}

// verifyOK checks that the run's bundle verifies and its decision is want.
func verifyOK(t *testing.T, w world, dir, want string) {
	t.Helper()
	out, errOut, code := cohosRun(t, w, nil, "verify", "--key", w.pub, "--allow-marginal", dir)
	if want == "REFUSE" && code != 1 || want == "ALLOW" && code != 0 || !strings.Contains(out+errOut, "decision.admissible") && code != 0 && code != 1 {
		t.Fatalf("verify exit %d:\n%s%s", code, out, errOut)
	}
	jout, _, _ := cohosRun(t, w, nil, "verify", "--key", w.pub, "--json", dir)
	var rep struct {
		Bundles []struct {
			Checks []struct{ ID, Status string }
		}
	}
	if err := json.Unmarshal([]byte(jout), &rep); err != nil || len(rep.Bundles) != 1 {
		t.Fatalf("verify --json: %v\n%s", err, jout)
	}
	for _, c := range rep.Bundles[0].Checks {
		if c.Status == "fail" && c.ID != "decision.admissible" {
			t.Fatalf("check %s failed: the bundle does not verify:\n%s", c.ID, jout)
		}
	}
}

// TestIsolationEscapeesGoneBeforeSigning: setsid -f env -i, a double fork
// and a job that ignores SIGTERM leave nothing running when cohos run
// returns; the namespace's init counted them.
func TestIsolationEscapeesGoneBeforeSigning(t *testing.T) {
	w := needCohos(t)
	for _, mode := range []string{"auto", "off"} {
		m := uniq(t)
		dir := filepath.Join(t.TempDir(), "run")
		script := fmt.Sprintf(`setsid -f env -i sleep %[1]s; (sleep %[1]s &); sh -c 'trap "" TERM; exec sleep %[1]s' & sleep 0.2; exit 1`, m)
		out, errOut, code := cohosRun(t, w, nil, "run", "--sign", w.key, "--isolation", mode, "--out", dir, "-q", "--", "sh", "-c", script)
		if code != 1 || !strings.HasPrefix(out, "REFUSE: ") {
			t.Fatalf("%s: exit %d, want 1 REFUSE:\n%s%s", mode, code, out, errOut)
		}
		if left := hostProcs(m); len(left) > 0 && mode == "auto" {
			t.Fatalf("%s: processes outlived cohos run: %v", mode, left)
		}
		for _, pid := range hostProcs(m) {
			p, _ := os.FindProcess(atoi(pid))
			p.Kill() // the fallback's token sweep cannot see env -i escapees
		}
		verifyOK(t, w, dir, "REFUSE")
		insp, _, _ := cohosRun(t, w, nil, "inspect", dir)
		want := "yes (pid+mount+ipc"
		if mode == "off" {
			want = "no: isolation turned off (--isolation=off)"
		}
		if !strings.Contains(insp, "isolated:") || !strings.Contains(insp, want) {
			t.Errorf("%s: inspect lacks %q:\n%s", mode, want, insp)
		}
		if mode == "off" && !strings.Contains(out, "isolated true != required") && !strings.Contains(insp, "isolated") {
			t.Errorf("fallback decision does not name isolated:\n%s", out)
		}
	}
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

// TestIsolationKillOfCohosTakesTheJob: kill -9 of cohos run ends the job
// within a second.
func TestIsolationKillOfCohosTakesTheJob(t *testing.T) {
	w := needCohos(t)
	m := uniq(t)
	dir := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(w.cohos, "run", "--sign", w.key, "--out", dir, "-q", "--", "sh", "-c", "setsid -f sleep "+m+"; exec sleep "+m)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); len(hostProcs(m)) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("job never started")
		}
	}
	killed := time.Now()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	for len(hostProcs(m)) > 0 {
		if time.Since(killed) > time.Second {
			t.Fatalf("job still running 1s after kill -9 of cohos: %v", hostProcs(m))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestIsolationPlantedEvidence: whatever a failing job plants at evidence
// names ends in a verifying bundle with REFUSE and the problem named.
func TestIsolationPlantedEvidence(t *testing.T) {
	w := needCohos(t)
	for _, tt := range []struct{ name, script, problem string }{
		{"directory at decision.json", `mkdir "$COHOS_ARTIFACTS/../decision.json"`, `a directory at "decision.json"; moved to quarantine/decision.json`},
		{"symlink at manifest.json", `ln -s /etc/passwd "$COHOS_ARTIFACTS/../manifest.json"`, `a symlink at "manifest.json"`},
		{"symlink at SHA256SUMS", `ln -s x "$COHOS_ARTIFACTS/../SHA256SUMS"`, `a symlink at "SHA256SUMS"`},
		{"symlink at hashes.json", `ln -s x "$COHOS_ARTIFACTS/../hashes.json"`, `a symlink at "hashes.json"`},
		{"fifo at bundle", `mkfifo "$COHOS_ARTIFACTS/../bundle.intoto.jsonl"`, `a fifo at "bundle.intoto.jsonl"`},
		{"forged invocation", `echo '{}' > "$COHOS_ARTIFACTS/../command_invocation.json"`, `a file at "command_invocation.json"`},
		{"newline name", `echo x > "$COHOS_ARTIFACTS/a
b"`, `name the evidence cannot represent: the job left a file at "artifacts/a\nb"; moved to quarantine/artifacts%2Fa%0Ab`},
		{"invalid UTF-8 name", `echo x > "$COHOS_ARTIFACTS/$(printf 'bad\377')"`, `moved to quarantine/artifacts%2Fbad%FF`},
		{"read-only run directory", `chmod 555 "$COHOS_ARTIFACTS/.."`, ``},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			out, errOut, code := cohosRun(t, w, nil, "run", "--sign", w.key, "--out", dir, "-q", "--", "sh", "-c", tt.script+"; exit 1")
			if code != 1 || !strings.HasPrefix(out, "REFUSE: ") || !strings.Contains(out, tt.problem) {
				t.Fatalf("exit %d, want 1, REFUSE and problem %q:\n%s%s", code, tt.problem, out, errOut)
			}
			verifyOK(t, w, dir, "REFUSE")
		})
	}
	// A job that succeeds but plants evidence is not completed.
	dir := filepath.Join(t.TempDir(), "run")
	out, _, code := cohosRun(t, w, nil, "run", "--sign", w.key, "--out", dir, "-q", "--", "sh", "-c", `mkdir "$COHOS_ARTIFACTS/../policy.json"`)
	if code != 1 || !strings.Contains(out, "REFUSE: completed") || !strings.Contains(out, `a directory at "policy.json"`) {
		t.Fatalf("exit %d, want REFUSE on completed:\n%s", code, out)
	}
	verifyOK(t, w, dir, "REFUSE")
}

// TestIsolationUnprivilegedJobCannotReachSecrets: cohos run as nobody
// with the password exported by its parent shell: the job cannot read the
// key file, the password file or any ancestor's environ, and the run is
// isolated with a user namespace.
func TestIsolationUnprivilegedJobCannotReachSecrets(t *testing.T) {
	w := needCohos(t)
	if os.Geteuid() != 0 {
		t.Skip("runs cohos as nobody via setpriv, which needs root (CI runs as root)")
	}
	base, err := os.MkdirTemp("", "cohos-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	os.Chmod(base, 0o755)
	os.Chown(base, 65534, 65534)
	bin := filepath.Join(base, "cohos")
	data, _ := os.ReadFile(w.cohos)
	os.WriteFile(bin, data, 0o755)
	secret := "pw-" + hex.EncodeToString([]byte(uniq(t)))
	pwFile := filepath.Join(base, "password.txt")
	os.WriteFile(pwFile, []byte(secret+"\n"), 0o600)
	os.Chown(pwFile, 65534, 65534)
	gen := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bin, "keys", "generate", "--out", filepath.Join(base, "key"), "--password-file", pwFile)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("keys generate as nobody: %v\n%s", err, out)
	}
	key := filepath.Join(base, "key.pem")
	job := fmt.Sprintf(`cat %q %q 2>&1 | head -c 200; for f in /proc/[0-9]*/environ; do grep -a -l %q "$f" 2>/dev/null; done; echo job-done`, key, pwFile, secret)
	for _, viaFD := range []bool{false, true} {
		dir := filepath.Join(base, fmt.Sprintf("run-%v", viaFD))
		pwArg, heredoc := "--password-file "+pwFile, ""
		if viaFD {
			// From a here-document: no file the job could find.
			pwArg, heredoc = "--password-fd 3 3<<'EOF'", "\n"+secret+"\nEOF"
			os.Remove(pwFile)
		}
		// The shell stays the parent of cohos, with the password in its environ.
		sh := fmt.Sprintf(`%s run --sign %s %s --out %s -q -- sh -c '%s'%s
echo "exit $?"`, bin, key, pwArg, dir, job, heredoc)
		cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "COHOS_PASSWORD="+secret, "HOME="+base, "sh", "-c", sh)
		cmd.Dir = base
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "exit 0") {
			t.Fatalf("cohos run as nobody: %v\n%s", err, out)
		}
		log, _ := os.ReadFile(filepath.Join(dir, "command_stdout.log"))
		if strings.Contains(string(log), secret) || strings.Contains(string(log), "PRIVATE KEY") || strings.Contains(string(log), "environ") || !strings.Contains(string(log), "job-done") {
			t.Fatalf("password by fd %v: the job reached a secret:\n%s", viaFD, log)
		}
		insp, _, _ := cohosRun(t, w, nil, "inspect", dir)
		if !strings.Contains(insp, "yes (pid+mount+ipc+user)") {
			t.Fatalf("not isolated with a user namespace:\n%s", insp)
		}
	}
}
