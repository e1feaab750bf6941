package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cohos.dev/cohos/internal/atomicfile"
	"cohos.dev/cohos/internal/massgen"
	"cohos.dev/cohos/policy"
)

// Files a MassGen run writes in the run directory, beside artifacts/,
// massgen.TimelineName and MassGen's own .massgen/.
const (
	MassGenConfigName     = "massgen_config.yaml"
	MassGenStdoutName     = "massgen_stdout.log"
	MassGenStderrName     = "massgen_stderr.log"
	MassGenInvocationName = "massgen_invocation.json"
)

// MassGenSpec describes one governed MassGen run.
type MassGenSpec struct {
	// Bin is the massgen executable (see FindMassGen). A relative path
	// with a slash is taken relative to the caller's current directory.
	Bin string
	// Config is the MassGen config to run, written to massgen_config.yaml
	// byte for byte.
	Config []byte
	// Question is the task given to MassGen.
	Question string
	// RunDir is the run directory: created by the caller, it must exist
	// and be empty. MassGen runs with it as its working directory.
	RunDir, RunID string
	// Timeout is cohos's wall-clock limit (0 = none; MassGen's own
	// orchestrator timeout still applies). Grace is the time between
	// SIGTERM and SIGKILL (0 = DefaultGrace).
	Timeout, Grace time.Duration
	// Env is the caller's environment, which massgenEnv adjusts.
	Env []string
	// Progress, if set, is called about every 200ms while MassGen runs
	// and once at the end.
	Progress func(Progress)
	// ModelURL is the model server's base URL, "" if unknown. When it is
	// plain http, MassGen's HTTPS look-ups are sent to a dead local proxy
	// so that they fail at once, and the model host is exempted.
	ModelURL string
}

// MassGenInvocation is the record written to massgen_invocation.json.
type MassGenInvocation struct {
	Record
	MassGenVersion string `json:"massgenVersion,omitempty"`
	Config         string `json:"config"`
	// LogDir is MassGen's log directory, relative to the run directory.
	LogDir string `json:"logDir,omitempty"`
	// Artifacts are the files written to artifacts/, relative to the run
	// directory.
	Artifacts []string `json:"artifacts,omitempty"`
	// Problems says what could not be read or copied (missing or
	// unreadable logs, answers that could not be copied) and what the job
	// did to its own evidence (a log replaced, then restored; processes
	// that outlived it, killed).
	Problems []string `json:"problems,omitempty"`
}

// MassGenOutcome is what RunMassGen observed.
type MassGenOutcome struct {
	Invocation MassGenInvocation
	// Metrics are Analyze's metrics plus wall_seconds, interrupted,
	// timed_out, massgen_exit_code, stdout_bytes, stderr_bytes and
	// stragglers_killed; completed is also false when a log was replaced.
	Metrics policy.Metrics
	// Analysis is nil when MassGen's logs were not found.
	Analysis *massgen.Analysis
	// ExitCode is MassGen's: -1 if killed by a signal, 127/126 if it could
	// not start. It is evidence, not the verdict: MassGen exits 0 when
	// every agent failed.
	ExitCode              int
	TimedOut, Interrupted bool
	// Version is the MassGen version from its logs, else from its
	// installation, else "".
	Version string
	// Problems is Invocation.Problems, for the attested run.problems.
	Problems []string

	logReplaced bool // a log file was replaced during the run
}

// RunMassGen runs `massgen --automation --config massgen_config.yaml
// QUESTION` in spec.RunDir and judges the run from MassGen's files, not its
// exit code.
//
// MassGen runs in its own process group with HOME and its log directory
// inside the run directory (see massgenEnv). When spec.Timeout passes the
// group is stopped (timed_out); cancelling ctx stops it too (interrupted).
// Afterwards the log directory .massgen/massgen_logs/log_* is analysed,
// the answers are copied into artifacts/ with an index.txt, and
// massgen_timeline.json and massgen_invocation.json are written. Missing
// or unreadable logs give completed=false and a problem in the
// invocation, never an error. As with Run, MassGen's processes that left
// its group are killed and a replaced log is restored, and both are
// reported in Problems.
//
// RunMassGen returns an error only when cohos itself cannot do its job: it
// wraps ErrSpec or ErrRunDir (nothing was run, the outcome is nil) or
// ErrWrite (with the complete outcome when MassGen ran).
func RunMassGen(ctx context.Context, spec MassGenSpec) (*MassGenOutcome, error) {
	grace, err := checkMassGenSpec(spec)
	if err != nil {
		return nil, err
	}
	bin := spec.Bin
	if strings.Contains(bin, "/") {
		if bin, err = filepath.Abs(bin); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSpec, err)
		}
	}
	runDir, err := checkRunDir(spec.RunDir)
	if err != nil {
		return nil, err
	}
	stdout, stderr, err := prepareMassGenDir(runDir, spec.Config)
	if err != nil {
		return nil, err
	}
	defer stdout.Close()
	defer stderr.Close()

	argv := []string{bin, "--automation", "--config", MassGenConfigName}
	if strings.HasPrefix(spec.Question, "-") {
		argv = append(argv, "--") // a question is never an option
	}
	argv = append(argv, spec.Question)
	token := newJobToken()
	env := setEnv(massgenEnv(spec.Env, runDir, spec.RunID, spec.ModelURL), jobTokenEnv, token)
	inv := MassGenInvocation{Record: newRecord(argv, runDir, env, spec.Timeout), Config: MassGenConfigName}
	start := time.Now()
	inv.StartedOn = start.UTC()
	p := proc{argv: argv, dir: runDir, env: env, stdout: stdout, stderr: stderr, grace: grace}
	if spec.Timeout > 0 {
		p.deadline = start.Add(spec.Timeout)
	}
	m := &meter{start: start, stdout: stdout, stderr: stderr}
	stopProgress := m.report(spec.Progress)
	out := attempts(ctx, p, 0, m, &inv.Record)
	stopProgress()
	inv.Stragglers = killStragglers(token)
	inv.Problems = appendProblem(inv.Problems, stragglerProblem(inv.Stragglers))
	var wall time.Duration
	for _, a := range inv.Attempts {
		wall += a.wall
	}
	o := &MassGenOutcome{ExitCode: out.ExitCode, TimedOut: out.TimedOut, Interrupted: out.Interrupted}
	stdoutBytes, replaced1, err1 := finishLog(stdout)
	stderrBytes, replaced2, err2 := finishLog(stderr)
	o.logReplaced = replaced1 != "" || replaced2 != ""
	inv.Problems = appendProblem(appendProblem(inv.Problems, replaced1), replaced2)

	// The analysis must finish even when the run was interrupted.
	err3 := o.judge(context.WithoutCancel(ctx), runDir, &inv)
	if path, err := resolve(bin, runDir); err == nil {
		o.Version = installedVersion(path)
	}
	if o.Analysis != nil && o.Analysis.Version != "" {
		o.Version = o.Analysis.Version
	}
	inv.MassGenVersion = o.Version
	o.Metrics = o.metrics(wall, stdoutBytes, stderrBytes, len(inv.Stragglers))
	inv.FinishedOn = time.Now().UTC()
	o.Invocation = inv
	o.Problems = o.Invocation.Problems
	err4 := writeMassGenInvocation(runDir, &o.Invocation)
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			return o, err
		}
	}
	return o, nil
}

// checkMassGenSpec validates spec and returns its grace with the default
// applied. Errors wrap ErrSpec.
func checkMassGenSpec(spec MassGenSpec) (time.Duration, error) {
	switch {
	case spec.Bin == "":
		return 0, fmt.Errorf("%w: no massgen executable", ErrSpec)
	case spec.RunDir == "":
		return 0, fmt.Errorf("%w: no run directory", ErrSpec)
	case len(spec.Config) == 0:
		return 0, fmt.Errorf("%w: no massgen config", ErrSpec)
	case strings.TrimSpace(spec.Question) == "":
		return 0, fmt.Errorf("%w: no question", ErrSpec)
	case strings.ContainsRune(spec.Question, 0):
		return 0, fmt.Errorf("%w: question contains a NUL byte", ErrSpec)
	case spec.Timeout < 0 || spec.Grace < 0:
		return 0, fmt.Errorf("%w: negative timeout or grace", ErrSpec)
	}
	if spec.Grace == 0 {
		return DefaultGrace, nil
	}
	return spec.Grace, nil
}

// prepareMassGenDir writes the config, creates the logs, artifacts/ and
// MassGen's HOME in runDir. Errors wrap ErrWrite.
func prepareMassGenDir(runDir string, config []byte) (stdout, stderr *os.File, err error) {
	if err := atomicfile.Create(filepath.Join(runDir, MassGenConfigName), config, 0o644); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrWrite, err)
	}
	for _, dir := range []string{artifactsDir, filepath.FromSlash(massgenHome)} {
		if err := os.MkdirAll(filepath.Join(runDir, dir), 0o755); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrWrite, err)
		}
	}
	if stdout, err = createLog(runDir, MassGenStdoutName); err != nil {
		return nil, nil, err
	}
	if stderr, err = createLog(runDir, MassGenStderrName); err != nil {
		stdout.Close()
		return nil, nil, err
	}
	return stdout, stderr, nil
}

// judge finds and analyses MassGen's logs, writes the artifacts and the
// timeline, and records what went wrong in inv.Problems. Errors wrap
// ErrWrite.
func (o *MassGenOutcome) judge(ctx context.Context, runDir string, inv *MassGenInvocation) error {
	root, err := os.OpenRoot(runDir)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	defer root.Close()
	logDir, err := massgen.FindLogDir(root.FS(), massgenLogBase)
	if err != nil {
		inv.Problems = append(inv.Problems, fmt.Sprintf("massgen logs: %v", err))
	} else {
		inv.LogDir = logDir
		o.Analysis = massgen.Analyze(ctx, root.FS(), logDir)
		inv.Problems = append(inv.Problems, o.Analysis.Problems...)
	}
	written, problems, err := massgenArtifacts(root, o.Analysis)
	inv.Artifacts = written
	inv.Problems = append(inv.Problems, problems...)
	if err != nil {
		return err
	}
	if o.Analysis == nil || o.Analysis.Timeline == nil {
		return nil
	}
	data, err := json.MarshalIndent(o.Analysis.Timeline, "", "  ")
	if err != nil {
		return fmt.Errorf("%w: encode timeline: %w", ErrWrite, err)
	}
	if err := atomicfile.Write(filepath.Join(runDir, massgen.TimelineName), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return nil
}

// metrics returns the run's metrics: the analysis's, with completed,
// timed_out and interrupted also reflecting what cohos saw.
func (o *MassGenOutcome) metrics(wall time.Duration, stdoutBytes, stderrBytes int64, stragglers int) policy.Metrics {
	m := policy.Metrics{}
	completed, timedOut := false, o.TimedOut
	if o.Analysis != nil {
		for k, v := range o.Analysis.Metrics {
			m[k] = v
		}
		completed, _ = m["completed"].Boolean()
		if t, _ := m["timed_out"].Boolean(); t {
			timedOut = true
		}
	}
	m["completed"] = policy.Bool(completed && !o.TimedOut && !o.Interrupted && !o.logReplaced)
	m["timed_out"] = policy.Bool(timedOut)
	m["interrupted"] = policy.Bool(o.Interrupted)
	m["wall_seconds"] = policy.Num(math.Round(wall.Seconds()*1000) / 1000)
	m["massgen_exit_code"] = policy.Num(float64(o.ExitCode))
	m["stdout_bytes"] = policy.Num(float64(stdoutBytes))
	m["stderr_bytes"] = policy.Num(float64(stderrBytes))
	m["stragglers_killed"] = policy.Num(float64(stragglers))
	return m
}

// writeMassGenInvocation writes inv as indented JSON to
// dir/massgen_invocation.json atomically. Errors wrap ErrWrite.
func writeMassGenInvocation(dir string, inv *MassGenInvocation) error {
	data, err := json.MarshalIndent(inv, "", "  ")
	if err != nil {
		return fmt.Errorf("%w: encode invocation: %w", ErrWrite, err)
	}
	if err := atomicfile.Write(filepath.Join(dir, MassGenInvocationName), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return nil
}
