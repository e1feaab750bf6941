//go:build !linux

package procsec

// Harden does nothing where there is no PR_SET_DUMPABLE.
func Harden() error { return nil }
