package runner

import (
	"time"

	"cohos.dev/cohos/policy"
)

// DefaultGrace is the time between SIGTERM and SIGKILL when Spec.Grace is 0.
const DefaultGrace = 2 * time.Second

// Spec describes one governed job.
type Spec struct {
	// Argv is the command; Argv[0] is resolved with exec.LookPath.
	Argv []string
	// RunDir is the run directory: created by the caller, it must exist and
	// be empty. Logs, the invocation record and artifacts/ go here.
	RunDir string
	// WorkDir is the job's working directory ("" = the caller's).
	WorkDir string
	// Env is the job's full environment (nil means empty). Run adds
	// COHOS_ARTIFACTS=<RunDir>/artifacts, COHOS_RUN_ID=<RunID> and
	// COHOS_JOB_TOKEN=<random, new for each Run>, replacing any entries
	// of those names. The token marks the job's processes so that those
	// which leave its process group can be found and killed when it ends.
	Env   []string
	RunID string
	// Timeout is the wall-clock limit for the whole job, retries included
	// (0 = none).
	Timeout time.Duration
	// Grace is the time between SIGTERM and SIGKILL (0 = DefaultGrace).
	Grace time.Duration
	// Retries re-runs a failing attempt (non-zero exit, not timed out, not
	// interrupted, started) up to Retries times; each re-run is a restart.
	Retries int
	// Collect lists filepath.Glob patterns, relative to WorkDir, whose
	// matches are copied into RunDir/artifacts/ after the job (regular
	// files only, by base name). Problems are recorded in
	// Invocation.CollectErrors, never returned as errors.
	Collect []string
	// Progress, if set, is called from one goroutine about every 200ms
	// while the job runs and once at the end.
	Progress func(Progress)
	// Prefix names the log files: "command" (the default) gives
	// command_stdout.log, command_stderr.log and command_invocation.json.
	Prefix string
}

// Progress is a snapshot of a running job.
type Progress struct {
	Elapsed                  time.Duration
	Restarts                 int
	StdoutBytes, StderrBytes int64
	// Attempt is the 1-based number of the current attempt (0 before the
	// first starts).
	Attempt int
}

// Outcome is what Run observed.
type Outcome struct {
	Invocation Invocation
	// ExitCode is the last attempt's: -1 if it was killed by a signal or no
	// attempt was made; 127 (not found) or 126 (not executable) if the
	// command could not start.
	ExitCode                 int
	TimedOut, Interrupted    bool
	Restarts                 int
	StdoutBytes, StderrBytes int64
	// Metrics holds completed, exit_code, wall_seconds, restarts,
	// timed_out, interrupted, stdout_bytes, stderr_bytes and
	// stragglers_killed. completed is false when a log was replaced.
	Metrics policy.Metrics
	// Problems is Invocation.Problems: what the job did to its own
	// evidence (a log replaced, then restored; processes that outlived
	// it, killed). For the attested run.problems.
	Problems []string

	logReplaced bool // a log file was replaced during the run
}
