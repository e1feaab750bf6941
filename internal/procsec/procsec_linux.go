package procsec

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Harden marks the process non-dumpable: processes of the same user (the
// governed job among them) can no longer read its /proc/<pid>/environ or
// memory, nor ptrace it, so a key password in COHOS_PASSWORD stays with
// cohos. It does not protect against root, nor against a job reading the
// key file itself: see SPEC.md "Threat model".
func Harden() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_DUMPABLE): %w", err)
	}
	closeInheritedOnExec()
	return nil
}

// closeInheritedOnExec marks every descriptor above 2 that this process
// inherited close-on-exec, so none (a key or password opened by the
// caller's shell) passes on to the job. They stay usable here
// (--password-fd).
func closeInheritedOnExec() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
}
