package runner

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// maxSweeps bounds killStragglers's rounds; one normally suffices, a
// second finds nothing.
const maxSweeps = 16

// procInfo is one process as /proc/<pid>/stat shows it. pid and start
// together identify a process: a pid can be reused, not with the same
// start time.
type procInfo struct {
	pid, ppid int
	state     byte
	start     uint64 // clock ticks after boot
	comm      string
}

// killStragglers kills every descendant of the calling process that
// belongs to the job whose processes carry jobTokenEnv=token in their
// environment, together with everything below such a process, and reaps
// those that are children of the calling process. Because the calling
// process is a child subreaper (becomeSubreaper), processes that left the
// job's process group and were orphaned are its children, so they are
// found however they detached.
//
// The processes are first stopped (SIGSTOP) and the tree scanned again
// until no new member appears, so that none can fork out of reach; then
// all get SIGKILL. The whole sweep is repeated until it finds nothing.
// Each process is signalled through a pidfd after checking its start time,
// so a reused pid is never hit. It returns the processes killed.
//
// Limits: a descendant that removed the marker from its environment (env
// -i, execve with a new environment) is only caught while a marked
// ancestor of it below the calling process is alive; a process stuck in
// the kernel may outlast killWait.
func killStragglers(token string) []Straggler {
	self := os.Getpid()
	marker := []byte(jobTokenEnv + "=" + token)
	var killed []Straggler
	for range maxSweeps {
		targets := freeze(self, marker)
		if len(targets) == 0 {
			break
		}
		for _, p := range targets {
			if !dead(p.state) && signal(p, unix.SIGKILL) {
				killed = append(killed, Straggler{PID: p.pid, Command: p.comm})
			}
		}
		reap(self, targets)
	}
	return killed
}

// freeze finds the marked descendants of self and everything below them,
// stops each with SIGSTOP, and scans again until no new one appears and
// all are stopped (or killWait passes). It returns them.
func freeze(self int, marker []byte) map[int]procInfo {
	targets := map[int]procInfo{}
	deadline := time.Now().Add(killWait)
	for {
		procs := scanProcs()
		children := make(map[int][]procInfo, len(procs))
		for _, p := range procs {
			children[p.ppid] = append(children[p.ppid], p)
		}
		added := false
		visited := map[int]bool{self: true}
		var walk func(pid int, below bool)
		walk = func(pid int, below bool) {
			for _, c := range children[pid] {
				if visited[c.pid] {
					continue
				}
				visited[c.pid] = true
				t, known := targets[c.pid]
				mine := known && t.start == c.start
				switch {
				case mine:
				case dead(c.state):
					// A zombie's environment is unreadable; one below a
					// target is the job's, to be reaped once its parent
					// is killed and it is reparented to self.
					if below {
						targets[c.pid] = c
					}
					continue
				case below || marked(c.pid, marker):
					targets[c.pid] = c
					signal(c, unix.SIGSTOP)
					mine, added = true, true
				}
				walk(c.pid, mine)
			}
		}
		walk(self, false)
		if !added && (allStopped(targets, procs) || !time.Now().Before(deadline)) {
			return targets
		}
		time.Sleep(time.Millisecond)
	}
}

// allStopped reports whether every target is stopped, dead or gone in
// procs.
func allStopped(targets, procs map[int]procInfo) bool {
	for pid, t := range targets {
		p, ok := procs[pid]
		if ok && p.start == t.start && p.state != 'T' && p.state != 't' && !dead(p.state) {
			return false
		}
	}
	return true
}

// dead reports whether a process in state s has exited (zombie or dead).
func dead(s byte) bool { return s == 'Z' || s == 'X' }

// reap waits until every target has died, reaping those that are (or,
// once their parent died, became) children of self, or until killWait
// passes. A zombie whose parent is another target waits for that parent
// to die: it is then reparented to self and reaped here.
func reap(self int, targets map[int]procInfo) {
	deadline := time.Now().Add(killWait)
	left := len(targets)
	done := make(map[int]bool, len(targets))
	for left > 0 && time.Now().Before(deadline) {
		for pid, t := range targets {
			if done[pid] {
				continue
			}
			cur, err := readStat(pid)
			gone := err != nil || cur.start != t.start
			if !gone && cur.ppid == self {
				// An unreaped child's pid cannot be reused, so this waits
				// for the very process that was checked.
				var ws unix.WaitStatus
				n, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
				gone = n == pid || errors.Is(err, unix.ECHILD)
			} else if !gone && dead(cur.state) {
				// A parent outside the job reaps it.
				_, parentIsTarget := targets[cur.ppid]
				gone = !parentIsTarget
			}
			if gone {
				done[pid] = true
				left--
			}
		}
		if left > 0 {
			time.Sleep(pollInterval)
		}
	}
}

// signal sends sig to p if it still is the process scanned (same start
// time), through a pidfd where the kernel has them. It reports whether the
// signal was sent.
func signal(p procInfo, sig unix.Signal) bool {
	fd, err := unix.PidfdOpen(p.pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return false
	}
	if err == nil {
		defer unix.Close(fd)
	}
	cur, serr := readStat(p.pid)
	if serr != nil || cur.start != p.start {
		return false
	}
	if err == nil {
		return unix.PidfdSendSignal(fd, sig, nil, 0) == nil
	}
	// No pidfds: the window between the check and kill(2) remains.
	return unix.Kill(p.pid, sig) == nil
}

// emptyEnvRetries is how often an empty environment is read again: a
// process in the middle of execve shows one until the kernel has copied
// the new environment.
const emptyEnvRetries = 5

// marked reports whether process pid's environment holds marker as one
// whole entry. An unreadable environment (a zombie, a process that has
// become another user's) is unmarked.
func marked(pid int, marker []byte) bool {
	path := "/proc/" + strconv.Itoa(pid) + "/environ"
	env, err := os.ReadFile(path)
	for i := 0; err == nil && len(env) == 0 && i < emptyEnvRetries; i++ {
		time.Sleep(time.Millisecond)
		env, err = os.ReadFile(path)
	}
	if err != nil {
		return false
	}
	for entry := range bytes.SplitSeq(env, []byte{0}) {
		if bytes.Equal(entry, marker) {
			return true
		}
	}
	return false
}

// scanProcs returns every process in /proc by pid; processes that vanish
// while it reads are left out.
func scanProcs() map[int]procInfo {
	procs := map[int]procInfo{}
	d, err := os.Open("/proc")
	if err != nil {
		return procs
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid <= 0 {
			continue
		}
		if p, err := readStat(pid); err == nil {
			procs[pid] = p
		}
	}
	return procs
}

// errStat: /proc/<pid>/stat is not in the format proc(5) documents.
var errStat = errors.New("malformed /proc stat")

// readStat reads and parses /proc/<pid>/stat.
func readStat(pid int) (procInfo, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procInfo{}, err
	}
	return parseStat(pid, string(b))
}

// parseStat parses the text of /proc/<pid>/stat. The command name is
// between the first "(" and the last ")", as it may contain either.
func parseStat(pid int, s string) (procInfo, error) {
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return procInfo{}, errStat
	}
	// Fields from 3 (state) on; starttime is field 22.
	f := strings.Fields(s[end+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return procInfo{}, errStat
	}
	ppid, err1 := strconv.Atoi(f[1])
	start, err2 := strconv.ParseUint(f[19], 10, 64)
	if err1 != nil || err2 != nil {
		return procInfo{}, errStat
	}
	return procInfo{pid: pid, ppid: ppid, state: f[0][0], start: start, comm: s[open+1 : end]}, nil
}
