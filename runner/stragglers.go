package runner

import (
	"crypto/rand"
	"fmt"
	"strings"
)

// jobTokenEnv names the environment variable that marks every process of
// one Run call: its value is random and new for each call
// (unlike the caller's RunID, which nothing forces to be unique), so the
// job's descendants can be told apart from any other job's.
const jobTokenEnv = "COHOS_JOB_TOKEN"

// Straggler is a process that was still running after the job ended and
// its process group had been stopped (it had left the group, with setsid
// or setpgid) and that cohos killed.
type Straggler struct {
	// PID is the process id; in the job's own PID namespace when the job
	// was isolated (the init killed it), else the host's.
	PID int `json:"pid"`
	// Command is the process's name as the kernel reports it (at most 15
	// bytes); its arguments are not recorded, as they may hold secrets.
	Command string `json:"command"`
}

// newJobToken returns a fresh random marker value for jobTokenEnv.
func newJobToken() string {
	return rand.Text()
}

// stragglerProblem describes killed stragglers for Problems, "" for none.
func stragglerProblem(killed []Straggler) string {
	if len(killed) == 0 {
		return ""
	}
	names := make([]string, len(killed))
	for i, s := range killed {
		names[i] = fmt.Sprintf("pid %d (%s)", s.PID, s.Command)
	}
	return fmt.Sprintf("%d processes of the job outlived it and were killed: %s", len(killed), strings.Join(names, ", "))
}
