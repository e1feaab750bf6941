package govern_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/govern"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

func options(t *testing.T, dir string) (govern.Options, *keys.Public) {
	t.Helper()
	s, pub := testkit.Key(t, keys.Ed25519)
	return govern.Options{
		Policy: testkit.Policy(t), Signers: []dsse.Signer{s}, Dir: dir,
		Env:     []string{"PATH=" + os.Getenv("PATH"), govern.PasswordEnv + "=s3cret", "KEEP=1"},
		Signals: make(chan os.Signal),
	}, pub
}

// verified checks the bundle of res offline and returns its report.
func verified(t *testing.T, res *attest.Result, pub *keys.Public) *verify.Report {
	t.Helper()
	b, err := os.ReadFile(res.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(filepath.Dir(res.Bundle))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	rep, _ := verify.Bundle(context.Background(), b, verify.Options{Keys: []*keys.Public{pub}, Artifacts: root.FS()})
	if rep == nil || !rep.Verified() {
		t.Fatalf("bundle does not verify: %v", rep.Err())
	}
	return rep
}

// TestRunCommand: one call creates the run directory, runs the job
// without cohos's password in its environment, grades and signs.
func TestRunCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "runs", "one")
	opts, pub := options(t, dir)
	job := govern.Command{Argv: []string{"sh", "-c", `env > "$COHOS_ARTIFACTS/env.txt"`}}
	res, err := govern.Run(context.Background(), job, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Bundle != filepath.Join(dir, attest.BundleName) || res.Predicate.Run.Runner != "command" {
		t.Errorf("bundle %s runner %q", res.Bundle, res.Predicate.Run.Runner)
	}
	if c, _ := res.Predicate.Metrics["completed"].Boolean(); !c {
		t.Errorf("metrics %v: not completed", res.Predicate.Metrics)
	}
	env, err := os.ReadFile(filepath.Join(dir, "artifacts", "env.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(env), govern.PasswordEnv) || strings.Contains(string(env), "s3cret") || !strings.Contains(string(env), "KEEP=1") {
		t.Errorf("job environment:\n%s", env)
	}
	verified(t, res, pub)

	if _, err := govern.Run(context.Background(), job, opts); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second run into the same directory: %v, want already exists", err)
	}
}

// TestRunFailingJob: a failing job is a signed REFUSE, not an error.
func TestRunFailingJob(t *testing.T) {
	opts, pub := options(t, filepath.Join(t.TempDir(), "r"))
	res, err := govern.Run(context.Background(), govern.Command{Argv: []string{"false"}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Evaluation.Decision != policy.Refuse {
		t.Errorf("decision %s, want REFUSE", res.Evaluation.Decision)
	}
	verified(t, res, pub)
}

// TestRunInterrupts: the first signal stops the job and the run is still
// signed; the second abandons the run at once, writing no bundle.
func TestRunInterrupts(t *testing.T) {
	t.Run("once", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "r")
		opts, pub := options(t, dir)
		sigs := make(chan os.Signal, 1)
		opts.Signals = sigs
		told := false
		opts.Interrupted = func(os.Signal) { told = true }
		go func() {
			waitFor(t, filepath.Join(dir, "command_stdout.log"))
			sigs <- syscall.SIGINT
		}()
		res, err := govern.Run(context.Background(), govern.Command{Argv: []string{"sleep", "60"}}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if i, _ := res.Predicate.Metrics["interrupted"].Boolean(); !i || !told || res.Evaluation.Decision != policy.Refuse {
			t.Errorf("interrupted %v, told %v, decision %s; want true true REFUSE", i, told, res.Evaluation.Decision)
		}
		if got := res.Predicate.Run.Cause; got != "interrupted by SIGINT" {
			t.Errorf("cause %q, want %q", got, "interrupted by SIGINT")
		}
		verified(t, res, pub)
	})
	t.Run("twice", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "r")
		opts, _ := options(t, dir)
		sigs := make(chan os.Signal, 2)
		opts.Signals = sigs
		go func() {
			waitFor(t, filepath.Join(dir, "command_stdout.log"))
			sigs <- syscall.SIGINT
			sigs <- syscall.SIGINT
		}()
		start := time.Now()
		// The job ignores SIGTERM: only the second interrupt ends Run early.
		res, err := govern.Run(context.Background(), govern.Command{Argv: []string{"sh", "-c", `trap "" TERM; sleep 5`}}, opts)
		if !errors.Is(err, govern.ErrAbandoned) || res != nil {
			t.Fatalf("Run = %v, %v; want ErrAbandoned", res, err)
		}
		if d := time.Since(start); d > 4*time.Second {
			t.Errorf("abandoning took %v", d)
		}
		if _, err := os.Lstat(filepath.Join(dir, attest.BundleName)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a bundle was written: %v", err)
		}
	})
}

// TestRunRefusesBadOptions: nothing is created without a policy and a key.
func TestRunRefusesBadOptions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	opts, _ := options(t, dir)
	opts.Signers = nil
	if _, err := govern.Run(context.Background(), govern.Command{Argv: []string{"true"}}, opts); err == nil || !strings.Contains(err.Error(), "at least one signer") {
		t.Errorf("Run without signers: %v", err)
	}
	if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("run directory created: %v", err)
	}
}

func waitFor(t *testing.T, path string) {
	for range 1000 {
		if _, err := os.Lstat(path); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%s never appeared", path)
}

// TestLoadSignersPasswordFromEnv: an encrypted key's password comes from
// COHOS_PASSWORD in the environment given, not the process's.
func TestLoadSignersPasswordFromEnv(t *testing.T) {
	t.Setenv(govern.PasswordEnv, "")
	key := filepath.Join("..", "testdata", "keys", "ed25519-encrypted.pem")
	pw, err := os.ReadFile(filepath.Join("..", "testdata", "keys", "password.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := govern.LoadSigners([]string{key}, "", nil); !errors.Is(err, keys.ErrPasswordRequired) || !strings.Contains(err.Error(), "COHOS_PASSWORD") {
		t.Errorf("no password: %v, want ErrPasswordRequired with a hint", err)
	}
	env := []string{govern.PasswordEnv + "=" + strings.TrimSpace(string(pw))}
	s, err := govern.LoadSigners([]string{key}, "", env)
	if err != nil || len(s) != 1 {
		t.Fatalf("LoadSigners = %v, %v", s, err)
	}
}
