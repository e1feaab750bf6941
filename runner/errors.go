package runner

import "errors"

// Errors returned by Run. They mean that cohos itself could not do its job;
// a job that fails, cannot start, times out or is interrupted is reported in
// the Outcome instead. Returned errors wrap one of these and the underlying
// cause, so callers test them with errors.Is.
var (
	// ErrSpec: the Spec is unusable (empty Argv, empty RunDir, a Prefix
	// that is not a plain file name, negative Timeout, Grace or Retries).
	ErrSpec = errors.New("invalid run spec")
	// ErrRunDir: the run directory is missing, not a directory or not empty.
	ErrRunDir = errors.New("run directory unusable")
	// ErrWorkDir: the working directory is missing or not a directory.
	ErrWorkDir = errors.New("working directory unusable")
	// ErrWrite: a file in the run directory (a log, the artifacts
	// directory, the invocation record) could not be created or written.
	ErrWrite = errors.New("cannot write run evidence")
)
