package massgen

import (
	"fmt"
	"io"

	"cohos.dev/cohos/runner"
)

// StartFailure is the cause of a run in which MassGen exited before
// writing any log (an import error, a missing module, a bad config):
// "massgen exited N before writing any log: LINE", where LINE is the last
// non-blank line of its stderr (for a Python traceback, the exception), or
// "massgen was killed by a signal before writing any log" for exit code -1.
// stderr is read only in its last 8 KiB; LINE is cut to 300 bytes, with
// control characters and invalid UTF-8 replaced, so it is safe to print
// (see runner.LastLine).
func StartFailure(exitCode int, stderr io.ReaderAt, size int64) string {
	what := fmt.Sprintf("massgen exited %d before writing any log", exitCode)
	if exitCode == -1 {
		what = "massgen was killed by a signal before writing any log"
	}
	if line := runner.LastLine(stderr, size); line != "" {
		return what + ": " + line
	}
	return what + " (its stderr is empty)"
}
