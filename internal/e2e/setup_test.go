package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"cohos.dev/cohos/policies"
)

// setupHint is how to get what the tests need.
const setupHint = "run scripts/setup-massgen.sh (or make setup-test) to install the pinned MassGen into .venv"

// world is what every test shares: built once by TestMain, read-only after.
type world struct {
	cohos   string // the cohos binary built for this test run
	massgen string // the project virtualenv's massgen; "" when missing
	key     string // signing key (PEM); key.pub beside it
	pub     string
	policy  string // the default policy, as a file
	err     error  // why the world could not be built
}

// shared is set once in TestMain, before any test runs.
var shared world

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cohos-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	shared = build(dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles cohos into dir, makes a key and the policy file, and finds
// MassGen.
func build(dir string) world {
	w := world{
		cohos:  filepath.Join(dir, "cohos"),
		key:    filepath.Join(dir, "key.pem"),
		pub:    filepath.Join(dir, "key.pub"),
		policy: filepath.Join(dir, "default.yaml"),
	}
	root, err := repoRoot()
	if err != nil {
		w.err = err
		return w
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	cmd := exec.CommandContext(ctx, gobin, "build", "-o", w.cohos, "./cmd/cohos")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		w.err = fmt.Errorf("go build ./cmd/cohos: %w\n%s", err, out)
		return w
	}
	if out, err := exec.CommandContext(ctx, w.cohos, "keys", "generate", "--out", filepath.Join(dir, "key")).CombinedOutput(); err != nil {
		w.err = fmt.Errorf("cohos keys generate: %w\n%s", err, out)
		return w
	}
	if err := os.WriteFile(w.policy, policies.Default(), 0o644); err != nil {
		w.err = err
		return w
	}
	mg := filepath.Join(root, ".venv", "bin", "massgen")
	if fi, err := os.Stat(mg); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
		w.massgen = mg
	}
	return w
}

// repoRoot finds the directory holding go.mod above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// needCohos fails the test when the shared world could not be built.
func needCohos(t *testing.T) world {
	t.Helper()
	if shared.err != nil {
		t.Fatalf("e2e setup: %v", shared.err)
	}
	return shared
}

// needMassGen fails (never skips) the test when MassGen is not installed.
func needMassGen(t *testing.T) world {
	t.Helper()
	w := needCohos(t)
	if w.massgen == "" {
		t.Fatalf("MassGen is not installed in the project virtualenv (.venv/bin/massgen): %s", setupHint)
	}
	return w
}

// execResult is one finished cohos command.
type execResult struct {
	code           int
	stdout, stderr string
	wall           time.Duration
}

// run runs the cohos binary with args in dir and waits at most limit.
func (w world) run(t *testing.T, dir string, limit time.Duration, args ...string) execResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.cohos, args...)
	cmd.Dir = dir
	cmd.Env = environ()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := execResult{stdout: stdout.String(), stderr: stderr.String(), wall: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("cohos %q did not finish within %v\nstderr: %s", args, limit, res.stderr)
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("cohos %q: %v", args, err)
	}
	return res
}

// environ is the test's environment without the variables that would
// change which MassGen runs.
func environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !bytes.HasPrefix([]byte(kv), []byte("COHOS_MASSGEN=")) {
			env = append(env, kv)
		}
	}
	return env
}
