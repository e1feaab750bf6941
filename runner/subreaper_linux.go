package runner

import "golang.org/x/sys/unix"

// becomeSubreaper makes the job's orphaned descendants children of this
// process, so that stopGroup can reap them. It is best effort: without it
// orphans go to PID 1, which normally reaps them, and stopGroup only waits
// killWait for them.
func becomeSubreaper() {
	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}
