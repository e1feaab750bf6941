package isolate

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// Descriptors the init inherits: the job spec to read, the status to write.
const (
	specFD   = 3
	statusFD = 4
)

// maxSpec bounds the job spec the init reads.
const maxSpec = 16 << 20

// MaybeInit runs the init when this process is one (argv[0] is the marker
// Start gives it) and returns its exit code and true: the caller must exit
// with that code at once. Otherwise it returns false at once, and Start may
// re-execute this program as an init from then on.
func MaybeInit() (code int, isInit bool) {
	if len(os.Args) == 0 || os.Args[0] != initArg0 {
		dispatches.Store(true)
		return 0, false
	}
	return initMain(), true
}

// dispatches is set once this program has called MaybeInit. It is the one
// piece of package state: a program (a test binary without the TestMain
// that calls MaybeInit) re-executed as an init that it does not run would
// run as itself instead, inside the job's namespaces; Start refuses
// rather than do that.
var dispatches atomic.Bool

// initMain is PID 1 of the job's namespaces. It reports on the status pipe
// "setup MSG" (the namespaces are unusable; nothing ran), "start ERRNO MSG"
// (the job could not be executed), "started", and finally "exit STATUS".
func initMain() int {
	// Every catchable signal arrives here, so none can crash the init.
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs)
	syscall.CloseOnExec(specFD)
	syscall.CloseOnExec(statusFD)
	status := os.NewFile(statusFD, "status")
	report := func(format string, args ...any) {
		fmt.Fprintf(status, format+"\n", args...)
	}
	var sp spec
	data, err := io.ReadAll(io.LimitReader(os.NewFile(specFD, "spec"), maxSpec))
	if err == nil {
		err = json.Unmarshal(data, &sp)
	}
	if err != nil {
		report("setup read job spec: %v", err)
		return 125
	}
	if err := setup(sp.Masks, sp.Pins); err != nil {
		report("setup %v", err)
		return 125
	}
	pid, err := startJob(sp)
	if err != nil {
		errno := syscall.Errno(0)
		if e, ok := err.(*os.PathError); ok {
			errno, _ = e.Err.(syscall.Errno)
		}
		report("start %d %v", int(errno), err)
		return 125
	}
	report("started")
	go forward(sigs, pid)
	ws := reap(pid, func(pid int, comm string) { report("straggler %d %s", pid, comm) })
	report("exit %d", int(ws))
	return 0
}

// setup makes the mount namespace private, mounts a fresh /proc, hides the
// masks and makes the init non-dumpable.
func setup(masks []mask, pins []string) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount /proc: %w", err)
	}
	// A mount point cannot be renamed or removed in its namespace.
	for _, p := range pins {
		if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("pin %s: %w", p, err)
		}
	}
	for _, m := range masks {
		if err := hide(m); err != nil {
			return err
		}
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_DUMPABLE): %w", err)
	}
	return nil
}

// hide mounts an empty, unreadable tmpfs over a directory, or the null
// device over a file (read-only where the kernel allows the remount).
func hide(m mask) error {
	if m.Dir {
		if err := unix.Mount("tmpfs", m.Path, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=4k,mode=000"); err != nil {
			return fmt.Errorf("mask %s: %w", m.Path, err)
		}
		return nil
	}
	if err := unix.Mount("/dev/null", m.Path, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("mask %s: %w", m.Path, err)
	}
	// Writes to the null device are discarded anyway; read-only is extra.
	_ = unix.Mount("", m.Path, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NOEXEC, "")
	return nil
}

// startJob starts the job in a new session, from a thread that holds no
// capability, with no_new_privs, so that the job can never gain one.
func startJob(sp spec) (int, error) {
	// The thread stays locked (and is discarded when the init exits):
	// capabilities are per thread and the job is forked from this one.
	runtime.LockOSThread()
	if err := dropCaps(); err != nil {
		return 0, err
	}
	cmd := &exec.Cmd{
		Path: sp.Path, Args: sp.Args, Dir: sp.Dir, Env: os.Environ(),
		Stdout: os.Stdout, Stderr: os.Stderr,
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	return cmd.Process.Pid, nil
}

// dropCaps empties the calling thread's bounding (where it may), ambient,
// inheritable, permitted and effective capability sets and sets
// no_new_privs.
func dropCaps() error {
	for c := 0; c <= 63; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err == unix.EINVAL {
			break
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("drop capabilities: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	return nil
}

// forward passes stop signals to the job's process group; the init
// ignores every other signal.
func forward(sigs <-chan os.Signal, pid int) {
	for s := range sigs {
		switch s {
		case syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT:
			_ = syscall.Kill(-pid, s.(syscall.Signal))
		}
	}
}

// reap waits for every child; when the job exits, everything else in the
// namespace is listed (to straggler) and killed. It returns the job's wait
// status.
func reap(job int, straggler func(pid int, comm string)) syscall.WaitStatus {
	var jobStatus syscall.WaitStatus
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return jobStatus // ECHILD: nothing left
		}
		if pid == job {
			jobStatus = ws
			listOthers(straggler)
			_ = syscall.Kill(-1, syscall.SIGKILL)
		}
	}
}

// listOthers calls f for every process of the namespace but the init
// (zombies included), with its name as the kernel reports it.
func listOthers(f func(pid int, comm string)) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == 1 {
			continue
		}
		comm, err := os.ReadFile("/proc/" + e.Name() + "/comm")
		if err != nil {
			continue // gone meanwhile
		}
		f(pid, strings.TrimSpace(strings.ToValidUTF8(string(comm), "?")))
	}
}
