package isolate

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// capSysAdmin is CAP_SYS_ADMIN: the only capability the init of an
// unprivileged caller holds (for its mounts), never passed to the job.
const capSysAdmin = 21

// maxStatusLine bounds one line on the status pipe; maxStragglers the
// stragglers recorded (the init kills them all either way).
const (
	maxStatusLine = 64 << 10
	maxStragglers = 1024
)

// spec is what the init reads from fd 3.
type spec struct {
	Path  string   `json:"path"`
	Args  []string `json:"args"`
	Dir   string   `json:"dir"`
	Masks []mask   `json:"masks,omitempty"`
	Pins  []string `json:"pins,omitempty"`
}

// mask is one path to hide, resolved by the caller.
type mask struct {
	Path string `json:"path"`
	Dir  bool   `json:"dir,omitempty"`
}

// StartError is returned by Start when the namespaces were set up but the
// job itself could not be executed (not found, not executable).
type StartError struct {
	Errno syscall.Errno
	Msg   string
}

func (e *StartError) Error() string { return e.Msg }

// Unwrap lets errors.Is match the errno (fs.ErrNotExist, fs.ErrPermission).
func (e *StartError) Unwrap() error { return e.Errno }

// Status is how the job ended.
type Status struct {
	// WaitStatus is the job's, as the init reaped it.
	WaitStatus syscall.WaitStatus
	// Reported is false when the init died before it could report (it was
	// killed): the job was killed with it.
	Reported bool
	// Stragglers are the processes still in the namespace when the job
	// exited, which the init killed.
	Stragglers []Straggler
}

// Straggler is one process that outlived the job, as the namespace saw it.
type Straggler struct {
	PID     int    // in the job's PID namespace
	Command string // the kernel's name for it (at most 15 bytes)
}

// Process is a running isolated job.
type Process struct {
	init   *exec.Cmd
	status *bufio.Reader
	done   chan struct{}
	st     Status
}

// Start starts job in new namespaces behind the init and returns once the
// job runs. A non-nil error means the job did not start: it wraps
// ErrUnavailable when the namespaces could not be set up (the reason is
// the error's text), or is a *StartError when the job could not be
// executed (the report then says how it would have been isolated).
func Start(job Job, opts Options) (*Process, Report, error) {
	if !dispatches.Load() {
		return nil, Report{}, fmt.Errorf("%w: this program does not run the init (it must call isolate.MaybeInit first)", ErrUnavailable)
	}
	masks, err := resolveMasks(opts.Mask)
	if err != nil {
		return nil, Report{}, err
	}
	var pins []string
	for _, p := range opts.Pin {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			if fi, err := os.Stat(r); err == nil && fi.IsDir() {
				pins = append(pins, r)
			}
		}
	}
	data, err := json.Marshal(spec{Path: job.Path, Args: job.Args, Dir: job.Dir, Masks: masks, Pins: pins})
	if err != nil {
		return nil, Report{}, fmt.Errorf("isolate: %w", err)
	}
	specR, specW, err := os.Pipe()
	if err != nil {
		return nil, Report{}, fmt.Errorf("isolate: %w", err)
	}
	statR, statW, err := os.Pipe()
	if err != nil {
		specR.Close()
		specW.Close()
		return nil, Report{}, fmt.Errorf("isolate: %w", err)
	}
	// Not /proc/self/exe: a non-dumpable caller's /proc entries belong to
	// root, and an unprivileged child in a new user namespace may not
	// exec through them (EACCES).
	self, err := os.Executable()
	if err != nil {
		return nil, Report{}, fmt.Errorf("%w: find own executable: %w", ErrUnavailable, err)
	}
	user := os.Geteuid() != 0
	attr := &syscall.SysProcAttr{
		Pdeathsig:  syscall.SIGKILL,
		Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWIPC,
	}
	if user {
		uid, gid := os.Geteuid(), os.Getegid()
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
		attr.AmbientCaps = []uintptr{capSysAdmin}
	}
	p := &Process{
		init: &exec.Cmd{
			Path: self, Args: []string{initArg0}, Env: job.Env, Dir: "/",
			Stdout: job.Stdout, Stderr: job.Stderr,
			ExtraFiles:  []*os.File{specR, statW},
			SysProcAttr: attr,
		},
		status: bufio.NewReaderSize(statR, 4096),
		done:   make(chan struct{}),
	}
	started := make(chan error, 1)
	go p.supervise(started, statR)
	err = <-started
	specR.Close()
	statW.Close()
	if err != nil {
		specW.Close()
		return nil, Report{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	_, werr := specW.Write(data)
	specW.Close()
	line, rerr := p.readLine()
	verb, rest, _ := strings.Cut(line, " ")
	switch {
	case rerr == nil && verb == "started":
		return p, Report{Isolated: true, Mode: mode(user)}, nil
	case verb == "start":
		<-p.done
		errno, msg, _ := strings.Cut(rest, " ")
		n, _ := strconv.Atoi(errno)
		return nil, Report{Isolated: true, Mode: mode(user)}, &StartError{Errno: syscall.Errno(n), Msg: msg}
	case verb == "setup":
		<-p.done
		return nil, Report{}, fmt.Errorf("%w: %s", ErrUnavailable, rest)
	}
	p.Kill()
	<-p.done
	why := "the init exited before starting the job"
	if werr != nil {
		why += ": " + werr.Error()
	}
	return nil, Report{}, fmt.Errorf("%w: %s (%s)", ErrUnavailable, why, p.init.ProcessState)
}

// supervise starts the init and waits for it on one locked OS thread: the
// parent-death signal fires when the thread that forked the child exits,
// so that thread must live as long as the init (go.dev/issue/27505).
func (p *Process) supervise(started chan<- error, statR *os.File) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := startDumpable(p.init); err != nil {
		statR.Close()
		close(p.done)
		started <- err
		return
	}
	started <- nil
	// The status is read once the init is gone: the kernel ends the
	// namespace's other processes before the init's exit completes.
	_ = p.init.Wait()
	for {
		line, err := p.readLine()
		if err != nil {
			break
		}
		if v, ok := strings.CutPrefix(line, "straggler "); ok {
			pid, comm, _ := strings.Cut(v, " ")
			if n, err := strconv.Atoi(pid); err == nil && len(p.st.Stragglers) < maxStragglers {
				p.st.Stragglers = append(p.st.Stragglers, Straggler{PID: n, Command: comm})
			}
		}
		if v, ok := strings.CutPrefix(line, "exit "); ok {
			if n, err := strconv.Atoi(v); err == nil {
				p.st.WaitStatus, p.st.Reported = syscall.WaitStatus(n), true
			}
		}
	}
	statR.Close()
	close(p.done)
}

// readLine reads one line of the status pipe, without its newline.
func (p *Process) readLine() (string, error) {
	var b []byte
	for {
		chunk, more, err := p.status.ReadLine()
		if err != nil {
			return "", err
		}
		b = append(b, chunk...)
		if len(b) > maxStatusLine {
			return "", errors.New("isolate: status line too long")
		}
		if !more {
			return string(b), nil
		}
	}
}

// Signal asks the job to stop: the init forwards SIGTERM, SIGINT, SIGHUP
// and SIGQUIT to the job's process group and ignores other signals.
func (p *Process) Signal(sig syscall.Signal) error {
	return p.init.Process.Signal(sig)
}

// Kill kills the init, and with it every process in the namespace.
func (p *Process) Kill() error {
	return p.init.Process.Kill()
}

// Done is closed when the init and every process of the namespace are gone.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits until Done and returns how the job ended.
func (p *Process) Wait() Status {
	<-p.done
	if !p.st.Reported {
		// Killed with the init: report SIGKILL, as the job saw it.
		p.st.WaitStatus = syscall.WaitStatus(syscall.SIGKILL)
	}
	return p.st
}

// resolveMasks resolves symbolic links in paths and notes which are
// directories; missing paths are left out.
func resolveMasks(paths []string) ([]mask, error) {
	var out []mask
	seen := map[string]bool{}
	for _, p := range paths {
		for _, q := range []string{p, ""} {
			if q == "" {
				r, err := filepath.EvalSymlinks(p)
				if err != nil {
					break
				}
				q = r
			}
			abs, err := filepath.Abs(q)
			if err != nil {
				return nil, fmt.Errorf("isolate: mask %s: %w", p, err)
			}
			fi, err := os.Stat(abs)
			if err != nil || seen[abs] {
				continue
			}
			seen[abs] = true
			out = append(out, mask{Path: abs, Dir: fi.IsDir()})
		}
	}
	return out, nil
}

// dumpableMu serialises startDumpable: dumpability is per process.
var dumpableMu sync.Mutex

// startDumpable starts cmd. A non-dumpable caller (cohos hides its
// environment that way) gives its child /proc files owned by root, so an
// unprivileged caller could not write the child's uid_map; it is made
// dumpable for the moment of the clone only (the job does not exist yet).
func startDumpable(cmd *exec.Cmd) error {
	dumpableMu.Lock()
	defer dumpableMu.Unlock()
	was, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	if err != nil || was != 0 || os.Geteuid() == 0 {
		return cmd.Start()
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 1, 0, 0, 0); err != nil {
		return err
	}
	defer unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	return cmd.Start()
}
