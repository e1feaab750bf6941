package procsec

import (
	"fmt"

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
	return nil
}
