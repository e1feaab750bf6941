// Package isolate runs a governed job where it cannot reach its governor:
// on Linux in new PID, mount and IPC namespaces (plus a user namespace
// when the caller is not root), behind a small init that is PID 1 of the
// PID namespace.
//
// The init is the calling binary itself, re-executed through
// /proc/self/exe with a marker argv[0]; every program that starts jobs
// through this package must call MaybeInit first thing in main (and in
// TestMain), before anything else runs.
//
// What the job gets: a fresh /proc that shows only its own namespace (no
// ancestor's environ or memory), the paths in Options.Mask hidden (a file
// reads as empty, a directory as an empty, unreadable tmpfs), no
// capability in any namespace, no_new_privs, a new session without a
// controlling terminal, stdin from the null device. The network and the
// rest of the filesystem are shared. When the job exits, the init kills
// whatever else is left in the namespace; when the init exits, the kernel
// kills everything in it, and Process.Wait returns only after that. The
// init has a parent-death signal, so when the calling process dies (kill
// -9 included) the whole namespace goes with it.
package isolate

import (
	"errors"
	"os"
	"strings"
)

// initArg0 is argv[0] of the re-executed init. It contains a character no
// shell command name has, so no ordinary invocation is mistaken for it.
const initArg0 = "cohos\x1finit"

// Modes recorded in Report.Mode.
const (
	// ModeNone: the job ran without namespaces (process-group supervision).
	ModeNone = "none"
)

// ErrUnavailable is wrapped by Start's error when namespaces cannot be used
// here (another OS, a locked-down container, a kernel without them): the
// job did not start, and the caller may run it without isolation.
var ErrUnavailable = errors.New("namespaces unavailable")

// Options says how to isolate.
type Options struct {
	// Mask lists absolute paths (files or directories) that the job must
	// not see. Symbolic links are resolved; a missing path is ignored.
	Mask []string
	// Pin lists absolute directories the job may use but neither move
	// nor remove (the run directory): each is bind-mounted onto itself in
	// the job's mount namespace, and a mount point cannot be renamed or
	// removed there (EBUSY). Symbolic links are resolved; a missing
	// directory is ignored.
	Pin []string
}

// Report says how a job was isolated. It is evidence: attested as is.
type Report struct {
	Isolated bool `json:"isolated"`
	// Mode is "pid+mount+ipc" or "pid+mount+ipc+user" when isolated,
	// ModeNone when not.
	Mode string `json:"mode"`
	// Reason says why the job was not isolated ("" when it was).
	Reason string `json:"reason,omitempty"`
}

// NotStarted is the Reason of a job that never started (its executable
// was not found): nothing ran, in namespaces or outside them.
const NotStarted = "the job did not start"

// None returns the report of a job run without namespaces, for reason.
func None(reason string) Report {
	return Report{Mode: ModeNone, Reason: reason}
}

// Job is the command to run.
type Job struct {
	// Path is the executable, already resolved (absolute).
	Path string
	Args []string
	// Dir is the working directory, absolute.
	Dir string
	// Env is the job's whole environment.
	Env []string
	// Stdout and Stderr receive the job's output directly.
	Stdout, Stderr *os.File
}

// mode names the namespaces of a clone.
func mode(user bool) string {
	parts := []string{"pid", "mount", "ipc"}
	if user {
		parts = append(parts, "user")
	}
	return strings.Join(parts, "+")
}
