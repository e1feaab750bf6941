package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"cohos.dev/cohos/internal/isolate"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/policy"
)

// newSpec returns a Spec for argv with a fresh, empty run directory.
func newSpec(t *testing.T, argv ...string) Spec {
	t.Helper()
	runDir := filepath.Join(t.TempDir(), "run")
	if err := os.Mkdir(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	return Spec{Argv: argv, RunDir: runDir, WorkDir: t.TempDir(), Env: os.Environ(), RunID: "run-1", Grace: time.Second}
}

func mustRun(t *testing.T, ctx context.Context, spec Spec) *Outcome {
	t.Helper()
	out, err := Run(ctx, spec)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out
}

// readInvocation decodes the invocation record strictly.
func readInvocation(t *testing.T, spec Spec) Invocation {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(testkit.FileString(t, filepath.Join(spec.RunDir, "command_invocation.json"))))
	dec.DisallowUnknownFields()
	var inv Invocation
	if err := dec.Decode(&inv); err != nil {
		t.Fatalf("decode invocation: %v", err)
	}
	if dec.More() {
		t.Fatal("trailing data after invocation")
	}
	return inv
}

// groupGone reports whether no process of the job's group (its leader's
// pid, written to artifacts/pid by the job) is left.
func groupGone(t *testing.T, spec Spec) bool {
	t.Helper()
	pgid, err := strconv.Atoi(strings.TrimSpace(testkit.FileString(t, filepath.Join(spec.RunDir, "artifacts", "pid"))))
	if err != nil || pgid <= 1 {
		t.Fatalf("bad pid file: %v", err)
	}
	return errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
}

func TestRunSuccess(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-value-never-recorded"
	spec := newSpec(t, "sh", "-c", `echo hello; echo oops >&2; test -n "$COHOS_TEST_SECRET"`)
	spec.Env = append(spec.Env, "COHOS_TEST_SECRET="+secret)
	spec.Timeout = time.Minute
	var last Progress
	spec.Progress = func(p Progress) { last = p }
	out := mustRun(t, context.Background(), spec)

	want := policy.Metrics{
		"completed": policy.Bool(true), "exit_code": policy.Num(0), "restarts": policy.Num(0),
		"timed_out": policy.Bool(false), "interrupted": policy.Bool(false),
		"stdout_bytes": policy.Num(6), "stderr_bytes": policy.Num(5), "stragglers_killed": policy.Num(0), "isolated": policy.Bool(true),
	}
	got := maps.Clone(out.Metrics)
	if w, ok := got["wall_seconds"].Number(); !ok || w < 0 {
		t.Errorf("wall_seconds = %v, want a number", got["wall_seconds"])
	}
	delete(got, "wall_seconds")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("metrics = %v, want %v", got, want)
	}
	if out.ExitCode != 0 || out.TimedOut || out.Interrupted || out.Restarts != 0 || out.StdoutBytes != 6 || out.StderrBytes != 5 || out.Problems != nil {
		t.Errorf("outcome = %+v", out)
	}
	if last.Attempt != 1 || last.StdoutBytes != 6 || last.StderrBytes != 5 {
		t.Errorf("last progress = %+v", last)
	}
	for name, content := range map[string]string{"command_stdout.log": "hello\n", "command_stderr.log": "oops\n"} {
		path := filepath.Join(spec.RunDir, name)
		if got := testkit.FileString(t, path); got != content {
			t.Errorf("%s = %q, want %q", name, got, content)
		}
	}
	for _, name := range []string{"command_stdout.log", "command_stderr.log", "command_invocation.json"} {
		fi, err := os.Stat(filepath.Join(spec.RunDir, name))
		if err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, %v; want 0644", name, fi.Mode().Perm(), err)
		}
	}

	inv := readInvocation(t, spec)
	if !reflect.DeepEqual(inv.Argv, spec.Argv) || inv.WorkDir != spec.WorkDir || inv.Timeout != "1m0s" || len(inv.Attempts) != 1 {
		t.Errorf("invocation = %+v", inv)
	}
	for _, name := range []string{"COHOS_TEST_SECRET", "COHOS_ARTIFACTS", "COHOS_RUN_ID", "COHOS_JOB_TOKEN"} {
		if !slices.Contains(inv.EnvNames, name) {
			t.Errorf("envNames lacks %s", name)
		}
	}
	if !slices.IsSorted(inv.EnvNames) {
		t.Error("envNames not sorted")
	}
	if inv.StartedOn.Location() != time.UTC || inv.FinishedOn.Before(inv.StartedOn) || inv.CohosVersion == "" {
		t.Errorf("invocation times/version: %v %v %q", inv.StartedOn, inv.FinishedOn, inv.CohosVersion)
	}
	if !reflect.DeepEqual(out.Invocation.EnvNames, inv.EnvNames) {
		t.Error("returned invocation differs from the written one")
	}
	err := filepath.WalkDir(spec.RunDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if b, err := os.ReadFile(path); err != nil || bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the secret value (%v)", path, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRunExitAndRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		script       string
		retries      int
		wantExit     int
		wantAttempts int
		wantStdout   string
		wantComplete bool
	}{
		{"exit 7", "echo try; exit 7", 0, 7, 1, "try\n", false},
		{"retries exhausted", "echo try; exit 3", 2, 3, 3, "try\ntry\ntry\n", false},
		{"second attempt succeeds", "echo try; [ -e marker ] && exit 0; touch marker; exit 1", 2, 0, 2, "try\ntry\n", true},
		{"killed by a signal", `kill -KILL $$`, 1, -1, 2, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := newSpec(t, "sh", "-c", tt.script)
			spec.Retries = tt.retries
			out := mustRun(t, context.Background(), spec)
			if out.ExitCode != tt.wantExit || out.Restarts != tt.wantAttempts-1 || len(out.Invocation.Attempts) != tt.wantAttempts {
				t.Errorf("exit %d, restarts %d, attempts %d; want %d, %d, %d",
					out.ExitCode, out.Restarts, len(out.Invocation.Attempts), tt.wantExit, tt.wantAttempts-1, tt.wantAttempts)
			}
			if out.Metrics["completed"] != policy.Bool(tt.wantComplete) || out.Metrics["exit_code"] != policy.Num(float64(tt.wantExit)) ||
				out.Metrics["restarts"] != policy.Num(float64(tt.wantAttempts-1)) {
				t.Errorf("metrics = %v", out.Metrics)
			}
			if got := testkit.FileString(t, filepath.Join(spec.RunDir, "command_stdout.log")); got != tt.wantStdout {
				t.Errorf("stdout = %q, want %q", got, tt.wantStdout)
			}
			if inv := readInvocation(t, spec); len(inv.Attempts) != tt.wantAttempts || inv.Retries != tt.retries {
				t.Errorf("invocation attempts %d, retries %d", len(inv.Attempts), inv.Retries)
			}
		})
	}
}

func TestRunTimeoutKillsGroup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, script, wantSignal string
	}{
		{"grandchildren", `sleep 100 & sleep 100 & sleep 100`, "SIGTERM"},
		{"ignores SIGTERM", `trap "" TERM; sleep 100 & sleep 100`, "SIGKILL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := newSpec(t, "sh", "-c", `echo $$ > "$COHOS_ARTIFACTS/pid"; `+tt.script)
			spec.Timeout = 2 * time.Second
			spec.Grace = 500 * time.Millisecond
			spec.Retries = 3 // a timed-out attempt is not retried
			begin := time.Now()
			out := mustRun(t, context.Background(), spec)
			if d := time.Since(begin); d > 10*time.Second {
				t.Errorf("Run took %v, want < 10s", d)
			}
			if !out.TimedOut || out.Interrupted || out.ExitCode != -1 || out.Restarts != 0 {
				t.Errorf("outcome = %+v", out)
			}
			if out.Metrics["timed_out"] != policy.Bool(true) || out.Metrics["completed"] != policy.Bool(false) {
				t.Errorf("metrics = %v", out.Metrics)
			}
			if a := out.Invocation.Attempts[0]; !a.TimedOut || a.Signal != tt.wantSignal {
				t.Errorf("attempt = %+v, want timed out by %s", a, tt.wantSignal)
			}
			if !groupGone(t, spec) {
				t.Error("processes of the job's group are left")
			}
		})
	}
}

func TestRunKillsLeftoversAfterExit(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, "sh", "-c", `echo $$ > "$COHOS_ARTIFACTS/pid"; sleep 100 & exit 0`)
	out := mustRun(t, context.Background(), spec)
	if out.ExitCode != 0 || out.Metrics["completed"] != policy.Bool(true) {
		t.Errorf("outcome = %+v", out)
	}
	if !groupGone(t, spec) {
		t.Error("background process of the job is left")
	}
}

func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	t.Run("mid-run", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		spec := newSpec(t, "sh", "-c", `echo $$ > "$COHOS_ARTIFACTS/pid"; echo ready; exec sleep 100`)
		spec.Progress = func(p Progress) {
			if p.StdoutBytes > 0 {
				cancel()
			}
		}
		out := mustRun(t, ctx, spec)
		if !out.Interrupted || out.TimedOut || out.ExitCode != -1 || out.Metrics["interrupted"] != policy.Bool(true) || out.Metrics["completed"] != policy.Bool(false) {
			t.Errorf("outcome = %+v", out)
		}
		if a := out.Invocation.Attempts; len(a) != 1 || !a[0].Interrupted || a[0].Signal != "SIGTERM" {
			t.Errorf("attempts = %+v", a)
		}
		if !groupGone(t, spec) {
			t.Error("processes of the job's group are left")
		}
	})
	t.Run("before start", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		spec := newSpec(t, "sh", "-c", "exit 0")
		out := mustRun(t, ctx, spec)
		if !out.Interrupted || out.ExitCode != -1 || len(out.Invocation.Attempts) != 0 || out.Metrics["completed"] != policy.Bool(false) {
			t.Errorf("outcome = %+v", out)
		}
	})
}

func TestRunCannotStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		argv []string
		want int
	}{
		{"not found on PATH", []string{"cohos-test-no-such-command"}, 127},
		{"missing path", []string{"./missing"}, 127},
		{"not executable", []string{"./plain"}, 126},
		{"directory", []string{"./dir"}, 126},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := newSpec(t, tt.argv...)
			spec.Retries = 2 // a start failure is not retried
			if err := os.WriteFile(filepath.Join(spec.WorkDir, "plain"), []byte("#!/bin/sh\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(spec.WorkDir, "dir"), 0o755); err != nil {
				t.Fatal(err)
			}
			out := mustRun(t, context.Background(), spec)
			if out.ExitCode != tt.want || out.Metrics["exit_code"] != policy.Num(float64(tt.want)) || out.Metrics["completed"] != policy.Bool(false) {
				t.Errorf("exit %d, metrics %v; want %d", out.ExitCode, out.Metrics, tt.want)
			}
			inv := readInvocation(t, spec)
			if len(inv.Attempts) != 1 || inv.Attempts[0].StartError == "" || inv.Attempts[0].ExitCode != tt.want {
				t.Errorf("attempts = %+v", inv.Attempts)
			}
			// Nothing ran: the isolation report says so instead of
			// leaving its reason blank.
			if tt.want == 127 && (out.Isolation.Isolated || out.Isolation.Mode != isolate.ModeNone || out.Isolation.Reason != isolate.NotStarted) {
				t.Errorf("isolation = %+v, want mode %q, reason %q", out.Isolation, isolate.ModeNone, isolate.NotStarted)
			}
		})
	}
}

func TestRunEnvironment(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, "sh", "-c", `printf '%s\n%s\n' "$COHOS_ARTIFACTS" "$COHOS_RUN_ID"`)
	spec.Env = append(spec.Env, "COHOS_RUN_ID=stale", "COHOS_ARTIFACTS=/elsewhere")
	spec.RunID = "run-42"
	mustRun(t, context.Background(), spec)
	want := filepath.Join(spec.RunDir, "artifacts") + "\nrun-42\n"
	if got := testkit.FileString(t, filepath.Join(spec.RunDir, "command_stdout.log")); got != want {
		t.Errorf("job saw %q, want %q", got, want)
	}
}

// TestRunLargeOutputFlatMemory runs alone (not parallel) so that the
// allocation count is the runner's own.
func TestRunLargeOutputFlatMemory(t *testing.T) {
	const n = 200_000_000
	spec := newSpec(t, "head", "-c", strconv.Itoa(n), "/dev/zero")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	out := mustRun(t, context.Background(), spec)
	runtime.ReadMemStats(&after)
	if out.StdoutBytes != n || out.Metrics["stdout_bytes"] != policy.Num(float64(n)) || out.Metrics["completed"] != policy.Bool(true) {
		t.Errorf("stdout bytes %d, metrics %v; want %d", out.StdoutBytes, out.Metrics, n)
	}
	const limit = 32 << 20
	d := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d bytes while the job printed %d", d, n)
	if d > limit {
		t.Errorf("Run allocated %d bytes for %d bytes of output, want < %d", d, n, limit)
	}
}
