// Package govern owns a governed run end to end: a Job (a command, or a
// MassGen run) gets a new run id and a new run directory, is supervised
// and observed into that directory (package runner, and internal/massgen
// for MassGen), graded under the policy and attested (package attest).
// It does not print: the caller renders the result.
package govern

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/isolate"
	"cohos.dev/cohos/internal/massgen"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/runner"
)

// Options say how to govern a job.
type Options struct {
	Policy  *policy.Policy
	Signers []dsse.Signer // see LoadSigners
	// Dir is the run directory to create ("" = runs/<run id>). An
	// existing directory is never reused.
	Dir string
	// Timeout is the wall-clock limit for the whole job (0 = none).
	Timeout time.Duration
	// Env is the caller's environment (nil = os.Environ()). The job gets
	// it without the variables cohos reads for itself (COHOS_PASSWORD).
	Env []string
	// Progress, if set, is called about every 200ms while the job runs.
	Progress func(runner.Progress)
	// Live, if set, gets a MassGen run's progress from its events (rounds,
	// answers, votes, restarts, errors per agent) while it runs.
	Live func(massgen.Live)
	// TeeStdout and TeeStderr, if set, get the job's output while it runs
	// (runner.Spec: followed from the logs, control characters shown as
	// '?').
	TeeStdout, TeeStderr io.Writer
	// Signals, if set, interrupts the run (nil = SIGINT, SIGTERM and
	// SIGHUP to this process, for the duration of Run). The first stops
	// the job and the run is still graded and signed; the second abandons
	// it: Run returns ErrAbandoned at once and writes no bundle.
	Signals <-chan os.Signal
	// Interrupted, if set, is called with the first signal when it arrives.
	Interrupted func(os.Signal)
	// Isolation says how the job is kept from cohos: the zero value runs
	// it in new namespaces where they are available. Mask the signing key
	// files and any password file (see runner.Isolation).
	Isolation runner.Isolation
}

// ErrAbandoned is returned by Run after a second interrupt.
var ErrAbandoned = errors.New("interrupted twice: abandoning the run, no bundle written")

// Run governs job: it checks opts, creates the run directory, runs the
// job, and grades and signs whatever happened: a failed, timed-out or
// interrupted job gets a signed REFUSE, not an error. Run returns an
// error only when cohos itself cannot do its job (unusable options, an
// existing run directory, evidence that cannot be written) or after a
// second interrupt (ErrAbandoned).
func Run(ctx context.Context, job Job, opts Options) (*attest.Result, error) {
	if job == nil || opts.Policy == nil || len(opts.Signers) == 0 {
		return nil, errors.New("govern: a job, a policy and at least one signer are needed")
	}
	if opts.Timeout < 0 {
		return nil, errors.New("govern: negative timeout")
	}
	runID, err := newRunID(time.Now())
	if err != nil {
		return nil, err
	}
	dir := opts.Dir
	if dir == "" {
		dir = filepath.Join("runs", runID)
	}
	if err := createRunDir(dir); err != nil {
		return nil, err
	}
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	in := interrupts(ctx, opts.Signals, opts.Interrupted)
	defer in.stop()

	type ran struct {
		metrics policy.Metrics
		run     attest.Run
		err     error
	}
	done := make(chan ran, 1)
	go func() {
		var r ran
		r.metrics, r.run, r.err = job.run(in.job, setup{dir: dir, runID: runID, env: jobEnv(env),
			timeout: opts.Timeout, progress: opts.Progress, isolation: opts.Isolation,
			teeOut: opts.TeeStdout, teeErr: opts.TeeStderr, live: opts.Live})
		done <- r
	}()
	var r ran
	select {
	case r = <-done:
	case <-in.abandon.Done():
		// The job was told to stop by the first interrupt; nothing of
		// this run is signed.
		return nil, ErrAbandoned
	}
	if r.err != nil {
		return nil, r.err
	}
	r.run.Cause = in.cause(r.run.Cause, r.metrics)
	// Attestation must finish even when the job was interrupted, unless
	// the run is abandoned. The directory is this run's own (created
	// above, never reused), so a bundle or evidence file the job planted
	// in it is replaced, not obeyed.
	res, err := attest.Attest(in.abandon, dir, attest.Options{
		Policy: opts.Policy, Metrics: r.metrics, Run: r.run, Signers: opts.Signers, Force: true,
	})
	if err != nil {
		if in.abandon.Err() != nil {
			return nil, ErrAbandoned
		}
		return nil, err
	}
	return res, nil
}

// setup is what a job needs to run in its run directory.
type setup struct {
	dir, runID string
	env        []string
	timeout    time.Duration
	progress   func(runner.Progress)
	isolation  runner.Isolation
	teeOut     io.Writer
	teeErr     io.Writer
	live       func(massgen.Live)
}

// reserved lists the names attestation writes into the run directory:
// whatever the job leaves there is quarantined before it (a planted
// bundle, directory or symbolic link must not make the evidence
// unwritable or unverifiable).
func reserved() []string { return attest.EvidenceNames() }

// isolation is the predicate's record of r.
func isolation(r isolate.Report) *attest.Isolation {
	return &attest.Isolation{Isolated: r.Isolated, Mode: r.Mode, Reason: r.Reason}
}

// stamp formats a time for the attested run record, "" for none.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
