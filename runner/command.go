package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// artifactsDir is the name of the directory in RunDir that the job sees as
// COHOS_ARTIFACTS and that Collect copies into.
const artifactsDir = "artifacts"

// Run runs spec's command and returns what it observed.
//
// Cancelling ctx interrupts the job: its process group gets SIGTERM, then
// SIGKILL after Grace, and Run returns an Outcome with Interrupted set. A
// failing, timed-out or interrupted job, and one that cannot start (exit
// code 127 when not found, 126 when not executable), is an Outcome, not an
// error. After the last attempt the job's processes that left its group are
// killed and a log the job replaced is restored (see the package doc); both
// are reported in Outcome.Problems.
//
// Run returns an error only when cohos itself cannot do its job; it wraps
// ErrSpec, ErrRunDir or ErrWorkDir (nothing was run, the Outcome is nil) or
// ErrWrite. When writing fails after the job ran (closing a log, the
// invocation record), Run returns the complete Outcome with the error.
func Run(ctx context.Context, spec Spec) (*Outcome, error) {
	prefix, grace, err := checkSpec(spec)
	if err != nil {
		return nil, err
	}
	workDir, err := checkWorkDir(spec.WorkDir)
	if err != nil {
		return nil, err
	}
	runDir, err := checkRunDir(spec.RunDir)
	if err != nil {
		return nil, err
	}
	stdout, err := createLog(runDir, prefix+"_stdout.log")
	if err != nil {
		return nil, err
	}
	defer stdout.Close()
	stderr, err := createLog(runDir, prefix+"_stderr.log")
	if err != nil {
		return nil, err
	}
	defer stderr.Close()
	artifacts := filepath.Join(runDir, artifactsDir)
	if err := os.Mkdir(artifacts, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWrite, err)
	}

	token := newJobToken()
	env := setEnv(setEnv(spec.Env, "COHOS_ARTIFACTS", artifacts), "COHOS_RUN_ID", spec.RunID)
	env = setEnv(env, jobTokenEnv, token)
	inv := Invocation{Record: newRecord(spec.Argv, workDir, env, spec.Timeout), Retries: spec.Retries}
	start := time.Now()
	inv.StartedOn = start.UTC()
	p := proc{argv: spec.Argv, dir: workDir, env: env, stdout: stdout, stderr: stderr, grace: grace}
	if spec.Timeout > 0 {
		p.deadline = start.Add(spec.Timeout)
	}
	m := &meter{start: start, stdout: stdout, stderr: stderr}
	stopProgress := m.report(spec.Progress)
	out := attempts(ctx, p, spec.Retries, m, &inv.Record)
	stopProgress()
	inv.Stragglers = killStragglers(token)
	inv.Problems = appendProblem(inv.Problems, stragglerProblem(inv.Stragglers))

	inv.Collected, inv.CollectErrors = collect(workDir, artifacts, spec.Collect)
	inv.FinishedOn = time.Now().UTC()
	out.Invocation = inv
	out.Restarts = max(len(inv.Attempts)-1, 0)
	var wall time.Duration
	for _, a := range inv.Attempts {
		wall += a.wall
	}
	var errs []error
	var replaced [2]string
	out.StdoutBytes, replaced[0], err = finishLog(stdout)
	errs = append(errs, err)
	out.StderrBytes, replaced[1], err = finishLog(stderr)
	errs = append(errs, err)
	for _, p := range replaced {
		out.logReplaced = out.logReplaced || p != ""
		out.Invocation.Problems = appendProblem(out.Invocation.Problems, p)
	}
	out.Problems = out.Invocation.Problems
	out.Metrics = toMetrics(observe(out, wall))
	errs = append(errs, writeInvocation(runDir, prefix, &out.Invocation))
	for _, err := range errs {
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// attempts runs p until an attempt succeeds, times out, is interrupted or
// cannot start, or retries are used up, appending each to inv.Attempts.
func attempts(ctx context.Context, p proc, retries int, m *meter, inv *Record) *Outcome {
	out := &Outcome{ExitCode: -1}
	for n := 1; n <= retries+1; n++ {
		if ctx.Err() != nil {
			out.Interrupted = true
			break
		}
		if !p.deadline.IsZero() && !time.Now().Before(p.deadline) {
			out.TimedOut = true
			break
		}
		m.setAttempt(n)
		a := supervise(ctx, p)
		inv.Attempts = append(inv.Attempts, a)
		out.ExitCode, out.TimedOut, out.Interrupted = a.ExitCode, a.TimedOut, a.Interrupted
		if a.ExitCode == 0 || a.TimedOut || a.Interrupted || a.StartError != "" {
			break
		}
	}
	return out
}

// checkSpec validates spec and returns its prefix and grace with defaults
// applied. Errors wrap ErrSpec.
func checkSpec(spec Spec) (prefix string, grace time.Duration, err error) {
	prefix, grace = spec.Prefix, spec.Grace
	if prefix == "" {
		prefix = "command"
	}
	if grace == 0 {
		grace = DefaultGrace
	}
	switch {
	case len(spec.Argv) == 0 || spec.Argv[0] == "":
		return "", 0, fmt.Errorf("%w: no command", ErrSpec)
	case spec.RunDir == "":
		return "", 0, fmt.Errorf("%w: no run directory", ErrSpec)
	case strings.ContainsAny(prefix, `/\`) || prefix == "." || prefix == "..":
		return "", 0, fmt.Errorf("%w: prefix %q is not a plain name", ErrSpec, prefix)
	case spec.Timeout < 0 || spec.Grace < 0 || spec.Retries < 0:
		return "", 0, fmt.Errorf("%w: negative timeout, grace or retries", ErrSpec)
	}
	return prefix, grace, nil
}

// checkWorkDir returns dir ("" = the current directory) as an absolute
// path. Errors wrap ErrWorkDir.
func checkWorkDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrWorkDir, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrWorkDir, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%w: %s is not a directory", ErrWorkDir, abs)
	}
	return abs, nil
}

// checkRunDir returns dir as an absolute path after checking that it is an
// empty directory. Errors wrap ErrRunDir.
func checkRunDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrRunDir, err)
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrRunDir, err)
	}
	if len(entries) > 0 {
		return "", fmt.Errorf("%w: %s is not empty", ErrRunDir, abs)
	}
	return abs, nil
}
