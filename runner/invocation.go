package runner

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"cohos.dev/cohos/internal/atomicfile"
	"cohos.dev/cohos/internal/isolate"
	"cohos.dev/cohos/internal/version"
)

// Attempt records one run of the job's process.
type Attempt struct {
	StartedOn  time.Time `json:"startedOn"`
	FinishedOn time.Time `json:"finishedOn"`
	// ExitCode is the process's exit status, -1 if a signal killed it,
	// 127/126 if it could not start.
	ExitCode int `json:"exitCode"`
	// Signal names the signal that killed the process ("SIGKILL").
	Signal      string `json:"signal,omitempty"`
	TimedOut    bool   `json:"timedOut"`
	Interrupted bool   `json:"interrupted"`
	// StartError says why the process could not start.
	StartError string `json:"startError,omitempty"`

	wall       time.Duration // monotonic duration of the attempt
	stragglers []Straggler   // killed by the init of an isolated attempt
}

// Record is what every runner's invocation file starts with.
type Record struct {
	Argv    []string `json:"argv"`
	WorkDir string   `json:"workDir"`
	// EnvNames lists the names of the job's environment variables, sorted;
	// values are never recorded.
	EnvNames     []string  `json:"envNames"`
	StartedOn    time.Time `json:"startedOn"`
	FinishedOn   time.Time `json:"finishedOn"`
	Attempts     []Attempt `json:"attempts"`
	CohosVersion string    `json:"cohosVersion"`
	Timeout      string    `json:"timeout,omitempty"`
	// Stragglers are the job's processes that had left its process group
	// and were still running after it ended; cohos killed them (Linux
	// only, see killStragglers).
	Stragglers []Straggler `json:"stragglers,omitempty"`
	// Isolation says how the job was kept from cohos.
	Isolation isolate.Report `json:"isolation"`
}

// newRecord starts the record of a job run as argv in dir with env.
func newRecord(argv []string, dir string, env []string, timeout time.Duration) Record {
	r := Record{
		Argv: slices.Clone(argv), WorkDir: dir, EnvNames: envNames(env),
		CohosVersion: version.String(), Attempts: []Attempt{},
	}
	if timeout > 0 {
		r.Timeout = timeout.String()
	}
	return r
}

// Invocation is the record written to <Prefix>_invocation.json.
type Invocation struct {
	Record
	Retries       int      `json:"retries"`
	Collected     []string `json:"collected,omitempty"`
	CollectErrors []string `json:"collectErrors,omitempty"`
	// Problems says what cohos saw the job do to its own evidence: a log
	// replaced (and restored), processes that outlived the job (killed).
	Problems []string `json:"problems,omitempty"`
}

// appendProblem returns problems with p appended, unless p is "".
func appendProblem(problems []string, p string) []string {
	if p == "" {
		return problems
	}
	return append(problems, p)
}

// envNames returns the sorted, distinct names of env entries.
func envNames(env []string) []string {
	seen := make(map[string]bool, len(env))
	names := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// setEnv returns env with every entry named name replaced by one name=value
// at the end.
func setEnv(env []string, name, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != name {
			out = append(out, kv)
		}
	}
	return append(out, name+"="+value)
}

// writeInvocation writes inv (an *Invocation, or a record embedding one)
// as indented JSON to dir/<prefix>_invocation.json atomically. Errors wrap
// ErrWrite.
func writeInvocation(dir, prefix string, inv any) error {
	data, err := json.MarshalIndent(inv, "", "  ")
	if err != nil {
		return fmt.Errorf("%w: encode invocation: %w", ErrWrite, err)
	}
	data = append(data, '\n')
	path := filepath.Join(dir, prefix+"_invocation.json")
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return nil
}
