//go:build !linux

package isolate

import (
	"fmt"
	"runtime"
	"syscall"
	"time"
)

// MaybeInit does nothing outside Linux: no process is an init there.
func MaybeInit() (code int, isInit bool) { return 0, false }

// Process is never returned outside Linux.
type Process struct{}

// Start always fails outside Linux.
func Start(Job, Options) (*Process, Report, error) {
	return nil, Report{}, fmt.Errorf("%w: %s has no Linux namespaces", ErrUnavailable, runtime.GOOS)
}

// Signal does nothing.
func (*Process) Signal(syscall.Signal) error { return nil }

// Kill does nothing.
func (*Process) Kill() error { return nil }

// Done is never closed.
func (*Process) Done() <-chan struct{} { return nil }

// Wait never returns a status.
func (*Process) Wait() Status { return Status{} }

// Status is the job's end.
type Status struct {
	WaitStatus syscall.WaitStatus
	Reported   bool
	Wall       time.Duration
}
