package govern

import (
	"context"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/runner"
)

// Job is what Run governs: a Command or a *MassGen run.
type Job interface {
	// run runs the job in s.dir and returns its metrics and run record.
	run(ctx context.Context, s setup) (policy.Metrics, attest.Run, error)
}

// Command is any command, run with COHOS_ARTIFACTS and COHOS_RUN_ID in
// its environment.
type Command struct {
	Argv []string
	// Retries re-runs a failing command up to Retries times.
	Retries int
	// Collect lists globs of files the job writes elsewhere, copied into
	// artifacts/ afterwards.
	Collect []string
}

func (j Command) run(ctx context.Context, s setup) (policy.Metrics, attest.Run, error) {
	out, err := runner.Run(ctx, runner.Spec{
		Argv: j.Argv, RunDir: s.dir, Env: s.env, RunID: s.runID,
		Timeout: s.timeout, Retries: j.Retries, Collect: j.Collect,
		Progress: s.progress, Prefix: "command",
		Isolation: s.isolation, Reserved: reserved(), TeeStdout: s.teeOut, TeeStderr: s.teeErr,
	})
	if err != nil {
		return nil, attest.Run{}, err
	}
	exit := out.ExitCode
	inv := out.Invocation
	return out.Metrics, attest.Run{
		ID: s.runID, Runner: "command", Argv: inv.Argv,
		StartedOn: stamp(inv.StartedOn), FinishedOn: stamp(inv.FinishedOn), ExitCode: &exit,
		Problems: out.Problems, Isolation: isolation(out.Isolation), Cause: out.Cause,
	}, nil
}
