package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"cohos.dev/cohos/internal/isolate"
)

const (
	// pollInterval is how often a dying process group is checked.
	pollInterval = 10 * time.Millisecond
	// killWait bounds the wait for a group to vanish after SIGKILL; only
	// members that cannot be reaped here (zombies of another parent, a
	// process stuck in the kernel) can outlast it.
	killWait = time.Second
)

// proc is one process for supervise to run.
type proc struct {
	argv           []string // argv[0] is resolved with exec.LookPath
	dir            string   // working directory, absolute
	env            []string // full environment
	stdout, stderr *os.File // written to directly by the process
	deadline       time.Time
	grace          time.Duration
	iso            *isolation // nil: process-group supervision only
}

// supervise runs one attempt of p and returns its record, in namespaces
// (see isolation) unless p.iso is off or they are unavailable. It never fails:
// a process that cannot start gives ExitCode 127 (not found) or 126 and a
// StartError. The process runs in its own process group with stdin from the
// null device. When ctx is done (Interrupted) or the deadline passes
// (TimedOut) the group gets SIGTERM, then SIGKILL after p.grace. After the
// leader exits, the rest of its group is ended the same way and reaped, so
// supervise returns with no process of the group left.
func supervise(ctx context.Context, p proc) Attempt {
	becomeSubreaper()
	start := time.Now()
	a := Attempt{StartedOn: start.UTC()}
	path, err := resolve(p.argv[0], p.dir)
	switch {
	case err == nil && p.iso != nil && !p.iso.off:
		if a, ok := p.iso.superviseIsolated(ctx, p, path, start); ok {
			return a
		}
	case err != nil && p.iso != nil && p.iso.report.Mode == "":
		// Nothing will run: say so rather than leave the report blank.
		p.iso.report = isolate.None(isolate.NotStarted)
	}
	// The parent-death signal fires when the forking thread ends: this
	// one stays until the job has been waited for.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var cmd *exec.Cmd
	if err == nil {
		cmd = &exec.Cmd{
			Path: path, Args: p.argv, Dir: p.dir, Env: p.env,
			Stdout: p.stdout, Stderr: p.stderr,
			SysProcAttr: &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL},
		}
		err = cmd.Start()
	}
	if err != nil {
		a.ExitCode = startExitCode(err)
		a.StartError = err.Error()
		a.FinishedOn, a.wall = time.Now().UTC(), time.Since(start)
		return a
	}
	pgid := cmd.Process.Pid
	leaderDone := make(chan struct{})
	go func() {
		// The exit status is read from cmd.ProcessState below.
		_ = cmd.Wait()
		close(leaderDone)
	}()
	var timeout <-chan time.Time
	if !p.deadline.IsZero() {
		t := time.NewTimer(time.Until(p.deadline))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-leaderDone:
	case <-ctx.Done():
		a.Interrupted = !isClosed(leaderDone)
	case <-timeout:
		a.TimedOut = !isClosed(leaderDone)
	}
	stopGroup(pgid, p.grace, leaderDone)
	a.FinishedOn, a.wall = time.Now().UTC(), time.Since(start)
	a.ExitCode = cmd.ProcessState.ExitCode()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		a.Signal = signalName(ws.Signal())
	}
	return a
}

// isClosed reports whether c is closed: a job that ended on its own just
// before the cancellation or deadline is not counted as stopped by it.
func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// resolve finds the executable for name: through PATH when name has no
// slash, else relative to dir.
func resolve(name, dir string) (string, error) {
	if strings.Contains(name, "/") && !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	return exec.LookPath(name)
}

// startExitCode maps a start failure to the shell's convention: 127 when
// the command does not exist, 126 when it exists but cannot be executed.
func startExitCode(err error) int {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return 127
	}
	return 126
}

func signalName(s syscall.Signal) string {
	if name := unix.SignalName(s); name != "" {
		return name
	}
	return fmt.Sprintf("signal %d", int(s))
}

// stopGroup ends process group pgid: SIGTERM to every member, SIGKILL to
// whatever is left after grace. It reaps members reparented to this
// process and returns once the leader has been waited for and the group is
// gone (or killWait after SIGKILL has passed). A group that is already gone
// costs one kill(2).
func stopGroup(pgid int, grace time.Duration, leaderDone <-chan struct{}) {
	defer func() { <-leaderDone }()
	if err := syscall.Kill(-pgid, syscall.SIGTERM); errors.Is(err, syscall.ESRCH) {
		return
	}
	if waitGone(pgid, leaderDone, time.Now().Add(grace)) {
		return
	}
	// The group may have vanished since the check; ESRCH is fine then.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-leaderDone
	waitGone(pgid, leaderDone, time.Now().Add(killWait))
}

// waitGone polls until process group pgid has no member or deadline
// passes, reaping members that are children of this process once the
// leader has been waited for (never before, so the leader's status is not
// taken from exec.Cmd.Wait). It reports whether the group is gone.
func waitGone(pgid int, leaderDone <-chan struct{}, deadline time.Time) bool {
	for {
		select {
		case <-leaderDone:
			reapGroup(pgid)
		default:
		}
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		if !time.Now().Before(deadline) {
			return false
		}
		time.Sleep(pollInterval)
	}
}

// reapGroup waits, without blocking, for every exited child of this
// process in process group pgid.
func reapGroup(pgid int) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-pgid, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
	}
}
