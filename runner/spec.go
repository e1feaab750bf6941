package runner

import (
	"context"
	"io"
	"time"

	"cohos.dev/cohos/internal/isolate"
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
	// TeeStdout and TeeStderr, if set, get what the job writes to its
	// stdout and stderr while it runs, followed from the logs (about every
	// 100ms, and the rest when it ends), control characters but newline
	// and tab shown as '?'. The logs stay the evidence; the job writes to
	// them directly, whatever the writers do.
	TeeStdout, TeeStderr io.Writer
	// Prefix names the log files: "command" (the default) gives
	// command_stdout.log, command_stderr.log and command_invocation.json.
	Prefix string
	// Prepare, if set, adds the job's own files to the run directory
	// after the logs and artifacts/ are created, before the job starts.
	// Its error (wrapped in ErrWrite) stops Run before anything runs.
	Prepare func(runDir string) error
	// Inputs are files Run writes into the run directory before the job
	// starts (after Prepare) and holds the job to: once the job is gone,
	// one it changed, removed or replaced is moved into quarantine,
	// cohos's copy is written again, and a problem names it (Tampered).
	Inputs []Input
	// Observe, if set, is called once the job has ended and its logs are
	// closed, before the invocation record is written, to observe what
	// the job left. It may add to o.Invocation.Problems and replace
	// o.Metrics. A non-nil record it returns, which embeds
	// o.Invocation, is written as the invocation record instead. Its
	// error is returned by Run with the complete outcome.
	Observe func(ctx context.Context, runDir string, o *Outcome) (record any, err error)
	// Reserved lists names (slash-separated, below RunDir) that cohos
	// writes after the job, such as the attestation's files; an element
	// of a name may be a path.Match pattern (artifacts/answer_*.txt).
	// Once the job is gone, whatever it left there is moved into
	// quarantine and named as a problem (Tampered). <Prefix>_invocation.json
	// is always reserved.
	Reserved []string
	// Isolation says how the job is kept from cohos: by default in new
	// namespaces, falling back to process-group supervision where they
	// are unavailable (Outcome.Isolation says which ran, and why).
	Isolation Isolation
}

// Input is a file cohos gives the job and holds it to (see Spec.Inputs).
type Input struct {
	// Name is slash-separated, below the run directory; its directory
	// must exist once Prepare has run.
	Name string
	Data []byte
}

// Progress is a snapshot of a running job.
type Progress struct {
	Elapsed                  time.Duration
	Restarts                 int
	StdoutBytes, StderrBytes int64
	// Wall is the time the attempts took, in total.
	Wall time.Duration
	// LogReplaced is true when the job replaced a log file (restored by
	// cohos and named in Problems).
	LogReplaced bool
	// Stderr reads the job's stderr log (StderrBytes long) through
	// cohos's own descriptor, so a log the job replaced is read as cohos
	// wrote it. It is set only while Spec.Observe runs.
	Stderr io.ReaderAt
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
	// Wall is the time the attempts took, in total.
	Wall time.Duration
	// LogReplaced is true when the job replaced a log file (restored by
	// cohos and named in Problems).
	LogReplaced bool
	// Stderr reads the job's stderr log (StderrBytes long) through
	// cohos's own descriptor, so a log the job replaced is read as cohos
	// wrote it. It is set only while Spec.Observe runs.
	Stderr io.ReaderAt
	// Metrics holds completed, exit_code, wall_seconds, restarts,
	// timed_out, interrupted, stdout_bytes, stderr_bytes and
	// stragglers_killed and isolated. completed is false when a log was
	// replaced or the job tampered with its evidence (Tampered).
	Metrics policy.Metrics
	// Cause says what kept the job from completing, as cohos observed it
	// ("timed out after 2s", "executable not found: NAME (exit 127)", "exit 3 (stderr: LAST LINE)", "killed by SIGKILL",
	// "interrupted"); "" when it completed.
	Cause string
	// Problems is Invocation.Problems: what the job did to its own
	// evidence (a log replaced, then restored; processes that outlived
	// it, killed). For the attested run.problems.
	Problems []string
	// Isolation says how the job was isolated; also in the metrics as
	// isolated.
	Isolation isolate.Report
	// Tampered is true when the job left something at a name cohos
	// writes or changed one of Spec.Inputs (quarantined, restored and
	// named in Problems); completed is then false.
	Tampered bool
}
