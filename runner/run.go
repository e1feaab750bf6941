package runner

import (
	"context"
	"errors"
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
	runDir, err := checkRunDir(spec.RunDir)
	if err != nil {
		return nil, err
	}
	workDir, err := checkWorkDir(spec.WorkDir)
	if err != nil {
		return nil, err
	}
	stdout, stderr, artifacts, err := prepareRunDir(runDir, prefix, spec.Prepare, spec.Inputs)
	if err != nil {
		return nil, err
	}
	defer stdout.Close()
	defer stderr.Close()

	// The run directory as cohos made it, to tell whether the job
	// replaced it.
	dirInfo, _ := os.Lstat(runDir)
	token := newJobToken()
	env := setEnv(setEnv(spec.Env, "COHOS_ARTIFACTS", artifacts), "COHOS_RUN_ID", spec.RunID)
	env = setEnv(env, jobTokenEnv, token)
	out := &Outcome{Invocation: Invocation{Record: newRecord(spec.Argv, workDir, env, spec.Timeout), Retries: spec.Retries}}
	inv := &out.Invocation
	start := time.Now()
	inv.StartedOn = start.UTC()
	iso := newIsolation(spec.Isolation, runDir)
	p := proc{argv: spec.Argv, dir: workDir, env: env, stdout: stdout, stderr: stderr, grace: grace, iso: iso}
	if spec.Timeout > 0 {
		p.deadline = start.Add(spec.Timeout)
	}
	m := &meter{start: start, stdout: stdout, stderr: stderr}
	stopProgress := m.report(spec.Progress)
	stopTee := tee(stdout, stderr, spec.TeeStdout, spec.TeeStderr)
	attempts(ctx, p, spec.Retries, m, out)
	stopTee()
	stopProgress()
	inv.Isolation = iso.report
	inv.Stragglers = append(isolatedStragglers(inv.Attempts), killStragglers(token)...)
	inv.Problems = appendProblem(inv.Problems, stragglerProblem(inv.Stragglers))
	// Every process of the job is gone: what it left can be judged.
	swept, kept, err := cleanup{runDir: runDir, dir: dirInfo, logs: []*os.File{stdout, stderr}, inputs: spec.Inputs,
		reserved: append([]string{prefix + "_invocation.json"}, spec.Reserved...)}.sweep()
	if err != nil {
		return nil, err
	}
	inv.Problems = append(inv.Problems, swept...)
	out.Tampered = len(swept) > 0

	inv.Collected, inv.CollectErrors = collect(workDir, artifacts, spec.Collect)
	// A --collect that matched nothing, or a file that could not be
	// copied, is a problem in the evidence, not a silent no-op.
	inv.Problems = append(inv.Problems, inv.CollectErrors...)
	out.Restarts = max(len(inv.Attempts)-1, 0)
	for _, a := range inv.Attempts {
		out.Wall += a.wall
	}

	var errs []error
	var replaced [2]string
	out.StdoutBytes, replaced[0], err = finishLog(stdout)
	errs = append(errs, err)
	out.StderrBytes, replaced[1], err = finishLog(stderr)
	errs = append(errs, err)
	for i, p := range replaced {
		out.LogReplaced = out.LogReplaced || p != ""
		name := prefix + [2]string{"_stdout.log", "_stderr.log"}[i]
		inv.Problems = appendProblem(inv.Problems, keptNote(p, kept, name))
	}
	out.Isolation = inv.Isolation
	out.Metrics = observe(out, out.Wall)
	out.Cause = cause(out, spec.Timeout, stderr, out.StderrBytes)
	inv.FinishedOn = time.Now().UTC()
	record := any(inv)
	if spec.Observe != nil {
		out.Stderr = stderr
		r, err := spec.Observe(ctx, runDir, out)
		out.Stderr = nil
		errs = append(errs, err)
		if r != nil {
			record = r
		}
	}
	out.Problems = inv.Problems
	errs = append(errs, writeInvocation(runDir, prefix, record))
	for _, err := range errs {
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// prepareRunDir creates the logs and artifacts/ in runDir, lets prepare
// add the job's own files, then writes the inputs. Errors wrap ErrWrite.
func prepareRunDir(runDir, prefix string, prepare func(string) error, inputs []Input) (stdout, stderr *os.File, artifacts string, err error) {
	if stdout, err = createLog(runDir, prefix+"_stdout.log"); err != nil {
		return nil, nil, "", err
	}
	if stderr, err = createLog(runDir, prefix+"_stderr.log"); err != nil {
		stdout.Close()
		return nil, nil, "", err
	}
	artifacts = filepath.Join(runDir, artifactsDir)
	if err = os.Mkdir(artifacts, 0o755); err != nil {
		err = fmt.Errorf("%w: %w", ErrWrite, err)
	} else if prepare != nil {
		if err = prepare(runDir); err != nil && !errors.Is(err, ErrWrite) {
			err = fmt.Errorf("%w: %w", ErrWrite, err)
		}
	}
	if err == nil {
		err = writeInputs(runDir, inputs)
	}
	if err != nil {
		stdout.Close()
		stderr.Close()
		return nil, nil, "", err
	}
	return stdout, stderr, artifacts, nil
}

// attempts runs p until an attempt succeeds, times out, is interrupted or
// cannot start, or retries are used up, appending each to inv.Attempts.
func attempts(ctx context.Context, p proc, retries int, m *meter, out *Outcome) {
	out.ExitCode = -1
	inv := &out.Invocation
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
