package runner

import (
	"context"
	"errors"
	"syscall"
	"time"

	"cohos.dev/cohos/internal/isolate"
)

// Isolation says how to isolate the job from cohos (see internal/isolate).
type Isolation struct {
	// Off runs the job without namespaces, on purpose (--isolation=off).
	Off bool
	// Mask lists paths the job must not see: the signing keys and the
	// password file.
	Mask []string
}

// isolation is the state of one Run across its attempts: the first attempt
// decides whether namespaces can be used, later ones follow.
type isolation struct {
	opts   isolate.Options
	report isolate.Report
	off    bool // run without namespaces (asked, or found unavailable)
}

// newIsolation prepares iso for a run in runDir, which the job may not
// move or remove.
func newIsolation(iso Isolation, runDir string) *isolation {
	s := &isolation{opts: isolate.Options{Mask: iso.Mask, Pin: []string{runDir}}}
	if iso.Off {
		s.off = true
		s.report = isolate.None("isolation turned off (--isolation=off)")
	}
	return s
}

// superviseIsolated runs one attempt of p in new namespaces. ok is false
// when namespaces are unavailable: nothing ran, and s is switched to
// process-group supervision with the reason recorded.
func (s *isolation) superviseIsolated(ctx context.Context, p proc, path string, start time.Time) (a Attempt, ok bool) {
	a = Attempt{StartedOn: start.UTC()}
	pr, rep, err := isolate.Start(isolate.Job{
		Path: path, Args: p.argv, Dir: p.dir, Env: p.env, Stdout: p.stdout, Stderr: p.stderr,
	}, s.opts)
	var se *isolate.StartError
	switch {
	case errors.Is(err, isolate.ErrUnavailable):
		s.off = true
		s.report = isolate.None(err.Error())
		return a, false
	case errors.As(err, &se):
		s.report = rep
		a.ExitCode, a.StartError = startExitCode(se.Errno), err.Error()
		a.FinishedOn, a.wall = time.Now().UTC(), time.Since(start)
		return a, true
	case err != nil:
		s.off = true
		s.report = isolate.None(err.Error())
		return a, false
	}
	s.report = rep
	var timeout <-chan time.Time
	if !p.deadline.IsZero() {
		t := time.NewTimer(time.Until(p.deadline))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-pr.Done():
	case <-ctx.Done():
		a.Interrupted = !isClosed(pr.Done())
	case <-timeout:
		a.TimedOut = !isClosed(pr.Done())
	}
	if !isClosed(pr.Done()) {
		_ = pr.Signal(syscall.SIGTERM)
		grace := time.NewTimer(p.grace)
		select {
		case <-pr.Done():
		case <-grace.C:
			_ = pr.Kill()
		}
		grace.Stop()
	}
	st := pr.Wait()
	a.FinishedOn, a.wall = time.Now().UTC(), time.Since(start)
	for _, s := range st.Stragglers {
		a.stragglers = append(a.stragglers, Straggler{PID: s.PID, Command: s.Command})
	}
	ws := st.WaitStatus
	switch {
	case ws.Exited():
		a.ExitCode = ws.ExitStatus()
	case ws.Signaled():
		a.ExitCode, a.Signal = -1, signalName(ws.Signal())
	default:
		a.ExitCode = -1
	}
	return a, true
}

// isolatedStragglers returns the processes the inits of isolated attempts
// killed after the job exited.
func isolatedStragglers(attempts []Attempt) []Straggler {
	var out []Straggler
	for _, a := range attempts {
		out = append(out, a.stragglers...)
	}
	return out
}
