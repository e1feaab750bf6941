//go:build !linux

package runner

// becomeSubreaper does nothing where PR_SET_CHILD_SUBREAPER does not exist.
func becomeSubreaper() {}
