package govern

import (
	"context"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"cohos.dev/cohos/policy"
)

// interrupted holds the two contexts a run's interrupts end: job (the
// first signal, or the caller's ctx) and abandon (the second signal). The
// attestation runs under abandon, which ignores the caller's cancellation.
type interrupted struct {
	job, abandon context.Context
	stop         func()
	// signal is the name of the first signal ("SIGINT"), set before job
	// is cancelled.
	signal atomic.Pointer[string]
}

// interrupts watches sigs (nil: this process's SIGINT, SIGTERM and SIGHUP
// until stop) for the two stages of stopping a run.
func interrupts(ctx context.Context, sigs <-chan os.Signal, first func(os.Signal)) *interrupted {
	job, cancelJob := context.WithCancel(ctx)
	abandon, cancelAbandon := context.WithCancel(context.WithoutCancel(ctx))
	unregister := func() {}
	if sigs == nil {
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
		sigs, unregister = ch, func() { signal.Stop(ch) }
	}
	done := make(chan struct{})
	in := &interrupted{job: job, abandon: abandon}
	go func() {
		select {
		case sig := <-sigs:
			name := signalName(sig)
			in.signal.Store(&name)
			if first != nil {
				first(sig)
			}
			cancelJob()
		case <-done:
			return
		}
		select {
		case <-sigs:
			cancelAbandon()
		case <-done:
		}
	}()
	in.stop = func() {
		unregister()
		close(done)
		cancelJob()
		cancelAbandon()
	}
	return in
}

// signalName is "SIGINT" for syscall.SIGINT, else the signal's String.
func signalName(s os.Signal) string {
	if n, ok := s.(syscall.Signal); ok {
		if name := unix.SignalName(n); name != "" {
			return name
		}
	}
	return s.String()
}

// cause is the run's cause with the signal that interrupted it named.
func (in *interrupted) cause(c string, m policy.Metrics) string {
	name := in.signal.Load()
	if name == nil {
		return c
	}
	if i, _ := m["interrupted"].Boolean(); i {
		return "interrupted by " + *name
	}
	return c
}
