package massgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"cohos.dev/cohos/internal/atomicfile"
	"cohos.dev/cohos/internal/massgen/massgencfg"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/runner"
)

// Files a MassGen run writes in the run directory, beside artifacts/,
// TimelineName, MassGen's own .massgen/ and the logs massgen_stdout.log
// and massgen_stderr.log.
const (
	ConfigName     = "massgen_config.yaml"
	InvocationName = prefix + "_invocation.json"
	prefix         = "massgen" // runner.Spec.Prefix
)

// Spec describes one governed MassGen run.
type Spec struct {
	// Bin is the massgen executable (see FindExecutable). A relative path
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
	// SIGTERM and SIGKILL (0 = runner.DefaultGrace).
	Timeout, Grace time.Duration
	// Env is the caller's environment, which jobEnv adjusts.
	Env []string
	// Progress, if set, is called about every 200ms while MassGen runs
	// and once at the end.
	Progress func(runner.Progress)
	// Live, if set, gets what MassGen's events say so far (rounds,
	// answers, votes, restarts and errors per agent) about every 500ms
	// while it runs: for a progress display, never evidence.
	Live func(Live)
	// TeeStdout and TeeStderr follow MassGen's output (runner.Spec).
	TeeStdout, TeeStderr io.Writer
	// ModelURL is the model server's base URL, "" if unknown. When it is
	// plain http, MassGen's HTTPS look-ups are sent to a dead local proxy
	// so that they fail at once, and the model host is exempted.
	ModelURL string
	// Mode is the config's mode (see massgencfg.Inspect; "" = voting).
	// In synthesis mode the voting metrics are not observed (see
	// ModeMetrics), and when Roles is not empty the artifacts are named by
	// role (see copyRoleArtifacts).
	Mode massgencfg.Mode
	// Roles are the agents' roles in a synthesis-mode config.
	Roles []massgencfg.AgentRole
	// Isolation says how MassGen is kept from cohos (see
	// runner.Spec.Isolation).
	Isolation runner.Isolation
	// Reserved lists more names cohos writes after the run (see
	// runner.Spec.Reserved), such as the attestation's.
	Reserved []string
}

// Invocation is the record written to massgen_invocation.json: the
// supervisor's, and what MassGen left.
type Invocation struct {
	runner.Invocation
	MassGenVersion string `json:"massgenVersion,omitempty"`
	Config         string `json:"config"`
	// LogDir is MassGen's log directory, relative to the run directory.
	LogDir string `json:"logDir,omitempty"`
	// Artifacts are the files written to artifacts/, relative to the run
	// directory.
	Artifacts []string `json:"artifacts,omitempty"`
}

// Outcome is what Run observed.
type Outcome struct {
	// Outcome is the supervisor's. Its Metrics are Analyze's metrics plus
	// wall_seconds, interrupted, timed_out, massgen_exit_code,
	// stdout_bytes, stderr_bytes, stragglers_killed and isolated;
	// completed is also false when a log was replaced or MassGen tampered
	// with its evidence (runner.Outcome.Tampered). ExitCode is MassGen's: evidence, not
	// the verdict (MassGen exits 0 when every agent failed). Problems also
	// says what could not be read or copied.
	*runner.Outcome
	// Invocation is the record written to massgen_invocation.json.
	Invocation Invocation
	// Analysis is nil when MassGen's logs were not found.
	Analysis *Analysis
	// Version is the MassGen version from its logs, else from its
	// installation, else "".
	Version string
	// Cause says what kept the run from completing (see explain): when
	// MassGen exited before writing any log, the last line of its stderr
	// (see StartFailure); when agents failed, how many and why (the first
	// error, and the first failed agent's notice, see AgentsFailed); ""
	// when it completed.
	Cause string
	// Dists is the Python distribution set installed beside the massgen
	// executable, nil when it is not in a virtualenv.
	Dists *Dists
}

// Run runs `massgen --automation --config massgen_config.yaml QUESTION`
// in spec.RunDir under runner.Run and judges the run from MassGen's
// files, not its exit code.
//
// MassGen runs with HOME and its log directory inside the run directory
// (see jobEnv). Afterwards the log directory .massgen/massgen_logs/log_*
// is analysed, the answers are copied into artifacts/ with an index.txt,
// and massgen_timeline.json and massgen_invocation.json are written.
// Missing or unreadable logs give completed=false and a problem in the
// invocation, never an error.
//
// Run returns an error only when cohos itself cannot do its job: it wraps
// runner.ErrSpec or runner.ErrRunDir (nothing was run, the outcome is
// nil) or runner.ErrWrite (with the complete outcome when MassGen ran).
func Run(ctx context.Context, spec Spec) (*Outcome, error) {
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
	bin := spec.Bin
	if strings.Contains(bin, "/") {
		var err error
		if bin, err = filepath.Abs(bin); err != nil {
			return nil, fmt.Errorf("%w: %w", runner.ErrSpec, err)
		}
	}
	runDir, err := filepath.Abs(spec.RunDir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", runner.ErrRunDir, err)
	}
	argv := []string{bin, "--automation", "--config", ConfigName}
	if strings.HasPrefix(spec.Question, "-") {
		argv = append(argv, "--") // a question is never an option
	}
	argv = append(argv, spec.Question)
	o := &Outcome{}
	progress, stopLive := liveProgress(runDir, spec.Progress, spec.Live)
	defer stopLive()
	ro, err := runner.Run(ctx, runner.Spec{
		Argv: argv, RunDir: runDir, WorkDir: runDir, RunID: spec.RunID,
		Env:     jobEnv(spec.Env, runDir, spec.RunID, spec.ModelURL),
		Timeout: spec.Timeout, Grace: spec.Grace, Progress: progress, Prefix: prefix,
		Prepare:   prepare,
		Inputs:    []runner.Input{{Name: ConfigName, Data: spec.Config}},
		Reserved:  append(reserved(), spec.Reserved...),
		Isolation: spec.Isolation,
		TeeStdout: spec.TeeStdout, TeeStderr: spec.TeeStderr,
		Observe: func(ctx context.Context, dir string, ro *runner.Outcome) (any, error) {
			o.Outcome = ro
			return &o.Invocation, o.observe(ctx, dir, bin, spec)
		},
	})
	if ro == nil {
		return nil, err
	}
	return o, err
}

// checkSpec validates what runner.Run does not. Errors wrap ErrSpec.
func checkSpec(spec Spec) error {
	switch {
	case spec.Bin == "":
		return fmt.Errorf("%w: no massgen executable", runner.ErrSpec)
	case spec.RunDir == "":
		return fmt.Errorf("%w: no run directory", runner.ErrSpec)
	case len(spec.Config) == 0:
		return fmt.Errorf("%w: no massgen config", runner.ErrSpec)
	case strings.TrimSpace(spec.Question) == "":
		return fmt.Errorf("%w: no question", runner.ErrSpec)
	case strings.ContainsRune(spec.Question, 0):
		return fmt.Errorf("%w: question contains a NUL byte", runner.ErrSpec)
	}
	return nil
}

// prepare creates MassGen's HOME in runDir. The config is an input of
// the run (runner.Spec.Inputs): written before, restored after if MassGen
// changed it.
func prepare(runDir string) error {
	return os.MkdirAll(filepath.Join(runDir, filepath.FromSlash(massgenHome)), 0o755)
}

// reserved lists the names cohos writes after MassGen ran: whatever
// MassGen left there is quarantined (runner.Spec.Reserved).
func reserved() []string {
	names := []string{TimelineName, path.Join(artifactsDir, indexName),
		path.Join(artifactsDir, finalAnswerName), path.Join(artifactsDir, "answer_*.txt")}
	for _, r := range massgencfg.Roles() {
		names = append(names, path.Join(artifactsDir, roleArtifact(r)))
	}
	return names
}

// observe finds and analyses MassGen's logs, writes the artifacts and the
// timeline, fills the invocation record and the metrics, and records what
// went wrong in the problems. Errors wrap runner.ErrWrite.
func (o *Outcome) observe(ctx context.Context, runDir, bin string, spec Spec) error {
	o.Invocation.Invocation = o.Outcome.Invocation
	o.Invocation.Config = ConfigName
	// The analysis must finish even when the run was interrupted.
	err := o.judge(context.WithoutCancel(ctx), runDir, spec)
	if path, lerr := exec.LookPath(bin); lerr == nil {
		o.Version = installedVersion(path)
		if d, derr := Distributions(path); derr == nil {
			o.Dists = &d
		}
	}
	if o.Analysis != nil && o.Analysis.Version != "" {
		o.Version = o.Analysis.Version
	}
	o.Invocation.MassGenVersion = o.Version
	o.Outcome.Invocation.Problems = o.Invocation.Problems
	o.Metrics = o.metrics()
	forMode(o.Metrics, spec.Mode)
	o.Cause = o.explain(context.WithoutCancel(ctx), spec.ModelURL)
	return err
}

// judge finds and analyses MassGen's logs, writes the artifacts and the
// timeline. Errors wrap runner.ErrWrite.
func (o *Outcome) judge(ctx context.Context, runDir string, spec Spec) error {
	inv := &o.Invocation
	root, err := os.OpenRoot(runDir)
	if err != nil {
		return fmt.Errorf("%w: %w", runner.ErrWrite, err)
	}
	defer root.Close()
	logDir, err := FindLogDir(root.FS(), massgenLogBase)
	if err != nil {
		inv.Problems = append(inv.Problems, fmt.Sprintf("massgen logs: %v", err))
	} else {
		inv.LogDir = logDir
		o.Analysis = Analyze(ctx, root.FS(), logDir)
		inv.Problems = append(inv.Problems, o.Analysis.Problems...)
		if done, _ := o.Analysis.Metrics["completed"].Boolean(); !done {
			// Why the agents failed is what a REFUSE should name.
			inv.Problems = append(inv.Problems, o.Analysis.Failures...)
		}
	}
	copyFn := copyArtifacts
	if spec.Mode == massgencfg.Synthesis && len(spec.Roles) > 0 {
		copyFn = func(root *os.Root, a *Analysis) ([]string, []string, error) {
			return copyRoleArtifacts(root, a, spec.Roles)
		}
	}
	written, problems, err := copyFn(root, o.Analysis)
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
		return fmt.Errorf("%w: encode timeline: %w", runner.ErrWrite, err)
	}
	if err := atomicfile.Write(filepath.Join(runDir, TimelineName), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("%w: %w", runner.ErrWrite, err)
	}
	return nil
}

// metrics returns the run's metrics: the analysis's, with completed,
// timed_out and interrupted also reflecting what cohos saw.
func (o *Outcome) metrics() policy.Metrics {
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
	m["completed"] = policy.Bool(completed && !o.TimedOut && !o.Interrupted && !o.LogReplaced && !o.Tampered)
	m["timed_out"] = policy.Bool(timedOut)
	m["interrupted"] = policy.Bool(o.Interrupted)
	m["wall_seconds"] = policy.Num(runner.WallSeconds(o.Wall))
	m["massgen_exit_code"] = policy.Num(float64(o.ExitCode))
	m["stdout_bytes"] = policy.Num(float64(o.StdoutBytes))
	m["stderr_bytes"] = policy.Num(float64(o.StderrBytes))
	m["stragglers_killed"] = policy.Num(float64(len(o.Outcome.Invocation.Stragglers)))
	m["isolated"] = policy.Bool(o.Isolation.Isolated)
	return m
}
