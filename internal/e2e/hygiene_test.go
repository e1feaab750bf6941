package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"cohos.dev/cohos/internal/substrate"
	"cohos.dev/cohos/policy"
)

// wrapMassGen returns a "massgen" that runs the real one with its
// arguments, first running before and afterwards after (shell, in the run
// directory, as the job), and exits with MassGen's code: what a MassGen
// agent with file tools can do to the run directory.
func wrapMassGen(real, before, after string) func(t *testing.T) string {
	return func(t *testing.T) string {
		t.Helper()
		p := filepath.Join(t.TempDir(), "massgen")
		script := fmt.Sprintf("#!/bin/sh\n%s\n%q \"$@\"\nrc=$?\n%s\nexit $rc\n", before, real, after)
		if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

// tampered checks a real MassGen run whose job tampered with the run
// directory: a signed REFUSE decided by completed (false) that verifies,
// the problem named on stdout, in the predicate and in the invocation, and
// the job's file kept in quarantine with what it wrote.
func tampered(t *testing.T, w world, g *governed, problem, kept, content string) {
	t.Helper()
	if g.dec.Decision != policy.Refuse || decider(g.dec) != "completed" || g.dec.Metrics["completed"] != policy.Bool(false) {
		t.Errorf("decision %s by %q, completed %v; want REFUSE by completed false: %s", g.dec.Decision, decider(g.dec), g.dec.Metrics["completed"], messages(g.dec))
	}
	// Everything else about the run was fine: MassGen finished.
	for k, want := range map[string]string{"massgen_exit_code": "0", "timed_out": "false", "agent_errors": "0", "isolated": "true"} {
		if v := g.dec.Metrics[k]; v.String() != want {
			t.Errorf("metric %s = %v, want %s", k, v, want)
		}
	}
	if !strings.HasPrefix(g.res.stdout, "REFUSE: ") || !strings.Contains(g.res.stdout, "problem: "+problem) {
		t.Errorf("stdout does not give REFUSE and the problem %q:\n%s", problem, g.res.stdout)
	}
	has := func(ps []string) bool {
		return slices.ContainsFunc(ps, func(p string) bool { return strings.Contains(p, problem) })
	}
	if !has(g.pred.Run.Problems) || !has(g.inv.Problems) {
		t.Errorf("problem %q missing: attested %q, invocation %q", problem, g.pred.Run.Problems, g.inv.Problems)
	}
	if b, err := os.ReadFile(filepath.Join(g.dir, kept)); err != nil || string(b) != content {
		t.Errorf("quarantined %s = %q, %v; want what the job wrote, %q", kept, b, err, content)
	}
	if !attested(g, kept) {
		t.Errorf("quarantined %s is not attested", kept)
	}
	verifyBundle(t, w, g.dir, 1)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// attested reports whether name is in the attested file list.
func attested(g *governed, name string) bool {
	for _, f := range g.pred.Artifacts.Files {
		if f.Name == name {
			return true
		}
	}
	return false
}

// TestMassGenConfigRewritten: the job rewrites massgen_config.yaml during
// the run; cohos restores the config MassGen was given, keeps the job's
// in quarantine, names the problem and signs a REFUSE whose attested
// config matches run.configDigest (verify checks that).
func TestMassGenConfigRewritten(t *testing.T) {
	// Not parallel: MassGen runs beside TestProfiles' would load the
	// machine enough to move their latency decisions.
	w := needMassGen(t)
	forged := "agents:\n  - id: forged\n    backend: {type: openai, model: gpt-4}\n"
	sc := scenario{
		profile: substrate.Stable, flags: []string{"--timeout", "4m"}, code: 1,
		bin: wrapMassGen(w.massgen, "", "cat > massgen_config.yaml <<'EOF'\n"+forged+"EOF"),
	}
	g := govern(t, w, sc)
	tampered(t, w, g, "massgen_config.yaml was changed by the job; restored cohos's copy", "quarantine/massgen_config.yaml", forged)
	if b, err := os.ReadFile(filepath.Join(g.dir, "massgen_config.yaml")); err != nil || string(b) != string(g.cfg) {
		t.Errorf("massgen_config.yaml = %q, %v; want the config MassGen was given", b, err)
	}
	want := sha256Hex(g.cfg)
	if g.pred.Run.ConfigDigest["sha256"] != want {
		t.Errorf("configDigest %v, want sha256 %s", g.pred.Run.ConfigDigest, want)
	}
	for _, f := range g.pred.Artifacts.Files {
		if f.Name == "massgen_config.yaml" && f.SHA256 != want {
			t.Errorf("attested massgen_config.yaml sha256 %s, want %s", f.SHA256, want)
		}
	}
}

// TestMassGenPlantedFinalAnswer: an artifacts/final_answer.txt planted by
// the job never becomes the run's answer: it is quarantined, cohos copies
// the winner's answer, and the run is a REFUSE with the problem named.
func TestMassGenPlantedFinalAnswer(t *testing.T) {
	// Not parallel: MassGen runs beside TestProfiles' would load the
	// machine enough to move their latency decisions.
	w := needMassGen(t)
	sc := scenario{
		profile: substrate.Stable, flags: []string{"--timeout", "4m"}, code: 1,
		bin: wrapMassGen(w.massgen, `mkdir -p artifacts && echo 'planted answer' > artifacts/final_answer.txt`, ""),
	}
	g := govern(t, w, sc)
	tampered(t, w, g, `evidence name: the job left a file at "artifacts/final_answer.txt"; moved to quarantine/artifacts%2Ffinal_answer.txt`,
		"quarantine/artifacts%2Ffinal_answer.txt", "planted answer\n")
	final, err := os.ReadFile(filepath.Join(g.dir, "artifacts", "final_answer.txt"))
	if err != nil || strings.Contains(string(final), "planted") || len(final) == 0 {
		t.Fatalf("artifacts/final_answer.txt = %q, %v; want the winner's answer", final, err)
	}
	found := false
	for _, a := range []string{"a", "b", "c"} {
		b, _ := os.ReadFile(filepath.Join(g.dir, "artifacts", "answer_agent_"+a+".txt"))
		found = found || string(b) == string(final)
	}
	if !found {
		t.Errorf("final_answer.txt %q is no agent's answer", final)
	}
}

// TestIsolationUnreadableEvidence: a job that makes files and directories
// of its run directory unreadable to cohos (which is not root: as root it
// would read them anyway) still ends in a signed REFUSE that verifies,
// each named as a problem; cohos, owning the run directory, makes them
// readable again.
func TestIsolationUnreadableEvidence(t *testing.T) {
	w := needCohos(t)
	u := unprivileged(t, w)
	job := `cd "$COHOS_ARTIFACTS" && echo secret > f && chmod 000 f && mkdir d && echo y > d/g && chmod 000 d && chmod 000 ../command_stdout.log && chmod 500 ..`
	dir := filepath.Join(u.base, "run")
	out, err := u.cmd("run", "--sign", u.key, "--out", dir, "-q", "--", "sh", "-c", job).Output()
	if code := exitCode(t, err); code != 1 {
		t.Fatalf("cohos run exit %d, want 1:\n%s", code, out)
	}
	for _, p := range []string{
		`problem: the job locked the run directory (mode 0500); cohos made it writable again`,
		`problem: the job made the file "artifacts/f" unreadable (mode 0000); cohos made it readable again`,
		`problem: the job made the directory "artifacts/d" unreadable (mode 0000); cohos made it readable again`,
		`problem: the job made the file "command_stdout.log" unreadable (mode 0000); cohos made it readable again`,
	} {
		if !strings.Contains(string(out), p+"\n") {
			t.Errorf("stdout lacks %q:\n%s", p, out)
		}
	}
	if !strings.HasPrefix(string(out), "REFUSE: completed false") {
		t.Errorf("want REFUSE on completed:\n%s", out)
	}
	vout, err := u.cmd("verify", "--key", u.pub, dir).CombinedOutput()
	if code := exitCode(t, err); code != 1 || !strings.Contains(string(vout), "verified but NOT ADMISSIBLE: REFUSE") {
		t.Fatalf("verify exit %d, want 1 (verified, REFUSE):\n%s", code, vout)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "artifacts", "d", "g")); err != nil || string(b) != "y\n" {
		t.Errorf("artifacts/d/g = %q, %v", b, err)
	}
}

// TestRunDirectoryMovedAway: an isolated job cannot move or remove its
// run directory (it is a mount point in the job's namespace); without
// isolation it can, and cohos makes a new one, signs a REFUSE that
// verifies and names the problem.
func TestRunDirectoryMovedAway(t *testing.T) {
	w := needCohos(t)
	move := `d=$(dirname "$COHOS_ARTIFACTS"); mv "$d" "$d.moved"; rmdir "$d"; `
	for _, tt := range []struct {
		mode, script, decision, problem string
		code                            int
	}{
		// Isolated, the job's mv and rmdir fail and it goes on.
		{"auto", move + `echo still here > "$d/artifacts/x"`, "ALLOW", "", 0},
		{"off", move, "REFUSE", "problem: the job moved or removed the run directory; cohos made it anew (what the job had in it is not attested)\n", 1},
		{"off", move + `ln -s / "$d"`, "REFUSE", "problem: the job replaced the run directory with a symlink; moved to run.job-", 1},
	} {
		dir := filepath.Join(t.TempDir(), "run")
		out, errOut, code := cohosRun(t, w, nil, "run", "--sign", w.key, "--isolation", tt.mode, "--out", dir, "-q", "--", "sh", "-c", tt.script)
		if code != tt.code || !strings.HasPrefix(out, tt.decision+": ") || !strings.Contains(out, tt.problem) {
			t.Fatalf("%s %q: exit %d, want %d, %s and %q:\n%s%s", tt.mode, tt.script, code, tt.code, tt.decision, tt.problem, out, errOut)
		}
		verifyOK(t, w, dir, tt.decision)
		if tt.mode == "auto" {
			log, _ := os.ReadFile(filepath.Join(dir, "command_stderr.log"))
			x, _ := os.ReadFile(filepath.Join(dir, "artifacts", "x"))
			if strings.Count(string(log), "Device or resource busy") != 2 || string(x) != "still here\n" {
				t.Errorf("isolated job moved or removed its run directory:\n%s", log)
			}
			if _, err := os.Stat(dir + ".moved"); err == nil {
				t.Errorf("%s.moved exists", dir)
			}
		}
	}
}

// unprivilegedCohos runs a copy of cohos as an unprivileged user: nobody
// via setpriv when the test runs as root, else the test's own user.
type unprivilegedCohos struct {
	base     string // a directory that user owns
	bin      string
	key, pub string // an unencrypted key pair of that user
	root     bool   // run through setpriv
}

func unprivileged(t *testing.T, w world) unprivilegedCohos {
	t.Helper()
	base, err := os.MkdirTemp("", "cohos-unpriv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	u := unprivilegedCohos{base: base, bin: filepath.Join(base, "cohos"), key: filepath.Join(base, "key.pem"), pub: filepath.Join(base, "key.pub"), root: os.Geteuid() == 0}
	data, err := os.ReadFile(w.cohos)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(u.bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if u.root {
		for _, p := range []string{base, u.bin} {
			if err := os.Chown(p, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}
		os.Chmod(base, 0o755)
	}
	if out, err := u.cmd("keys", "generate", "--out", filepath.Join(base, "key")).CombinedOutput(); err != nil {
		t.Fatalf("keys generate: %v\n%s", err, out)
	}
	return u
}

// cmd is cohos with args, run as the unprivileged user in u.base.
func (u unprivilegedCohos) cmd(args ...string) *exec.Cmd {
	var c *exec.Cmd
	if u.root {
		c = exec.Command("setpriv", append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", u.bin}, args...)...)
	} else {
		c = exec.Command(u.bin, args...)
	}
	c.Dir = u.base
	c.Env = append(environ(), "HOME="+u.base, "COHOS_PASSWORD=")
	return c
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}
