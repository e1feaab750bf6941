package cmd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/runner"
)

type runFlags struct {
	sign         []string
	policy       string
	out          string
	timeout      time.Duration
	retries      int
	collect      []string
	passwordFile string
	quiet        bool
	massgen      massgenFlags
}

func newRunCmd() *cobra.Command {
	var fl runFlags
	c := &cobra.Command{
		Use:   "run --sign KEY [flags] (-- COMMAND [ARGS...] | --massgen-config CFG QUESTION)",
		Short: "Run a job, observe it, grade it under the policy and sign the evidence",
		Long: `run starts the job, captures its output and behaviour into a new run
directory, grades the metrics under the policy and writes a signed bundle,
whatever happened: a failed, timed-out or interrupted job gets a signed
REFUSE. Exit 0 ALLOW, 3 MARGINAL, 1 REFUSE; 2 only when cohos itself cannot
do its job (bad flags, unreadable key or policy, an existing run directory,
evidence that cannot be written). The job gets COHOS_ARTIFACTS (the run's
artifacts/ directory) and COHOS_RUN_ID in its environment.`,
		Example: `  cohos run --sign key.pem -- make test
  cohos run --sign key.pem --policy p.yaml --timeout 10m --retries 2 -- ./train.sh
  cohos run --sign key.pem --massgen-config run.yaml "What is 2+2?"
  cohos run --sign key.pem --model-url http://127.0.0.1:1234/v1 "Summarise RFC 9162"`,
		RunE: func(c *cobra.Command, args []string) error { return runRun(c, args, fl) },
	}
	f := c.Flags()
	f.StringArrayVar(&fl.sign, "sign", nil, "private key to sign with (repeatable)")
	f.StringVar(&fl.policy, "policy", "", "policy file (default: the built-in default policy)")
	f.StringVar(&fl.out, "out", "", "run directory to create (default: runs/<run-id>)")
	f.DurationVar(&fl.timeout, "timeout", 0, "wall-clock limit for the whole job (e.g. 10m); 0 = none")
	f.IntVar(&fl.retries, "retries", 0, "re-run a failing command up to N times (each is a counted restart)")
	f.StringArrayVar(&fl.collect, "collect", nil, "glob of files the job writes elsewhere to copy into artifacts/ (repeatable)")
	f.StringVar(&fl.passwordFile, "password-file", "", "file holding the password of encrypted keys (default: $COHOS_PASSWORD)")
	f.BoolVarP(&fl.quiet, "quiet", "q", false, "no progress line")
	fl.massgen.register(f)
	return c
}

func runRun(c *cobra.Command, args []string, fl runFlags) error {
	if len(fl.sign) == 0 {
		return usageError("run needs at least one --sign KEY (make one with: cohos keys generate --out key)")
	}
	if fl.retries < 0 || fl.timeout < 0 {
		return usageError("--retries and --timeout must not be negative")
	}
	massgen := fl.massgen.enabled()
	dash := c.ArgsLenAtDash()
	switch {
	case massgen && dash >= 0:
		return usageError("give either -- COMMAND or a MassGen question, not both")
	case massgen && len(args) != 1:
		return usageError("a MassGen run takes exactly one QUESTION argument")
	case !massgen && (dash < 0 || len(args) == 0):
		return usageError("nothing to run: give -- COMMAND [ARGS...] or --massgen-config CFG QUESTION")
	}
	// Everything that can be wrong with the request is checked before the job starts.
	pol, err := loadPolicy(fl.policy)
	if err != nil {
		return inputError(err)
	}
	signers, err := loadSigners(fl.sign, fl.passwordFile)
	if err != nil {
		return inputError(err)
	}
	var mg *massgenJob
	if massgen {
		if mg, err = fl.massgen.prepare(); err != nil {
			return inputError(err)
		}
	}
	runID, err := newRunID(time.Now())
	if err != nil {
		return inputError(err)
	}
	dir := fl.out
	if dir == "" {
		dir = filepath.Join("runs", runID)
	}
	if err := createRunDir(dir); err != nil {
		return inputError(err)
	}

	ctx, stop := interruptContext(c)
	defer stop()
	prog := newProgress(c.ErrOrStderr(), fl.quiet)
	var (
		metrics policy.Metrics
		run     attest.Run
	)
	if massgen {
		metrics, run, err = mg.run(ctx, dir, runID, fl, prog.update)
	} else {
		metrics, run, err = runCommand(ctx, dir, runID, args, fl, prog.update)
	}
	prog.done()
	if err != nil {
		return inputError(err)
	}
	// Attestation must finish even when the job was interrupted.
	// The directory is this run's own (created above, never reused), so a
	// bundle or evidence file the job planted in it is replaced, not obeyed.
	res, err := attest.Attest(context.WithoutCancel(ctx), dir, attest.Options{
		Policy: pol, Metrics: metrics, Run: run, Signers: dsseSigners(signers), Force: true,
	})
	if err != nil {
		return inputError(err)
	}
	renderDecisionLine(c.OutOrStdout(), res.Evaluation, res.Bundle)
	fmt.Fprintf(c.OutOrStdout(), "run: %s\n", res.Predicate.Run.ID)
	for _, p := range run.Problems {
		fmt.Fprintf(c.OutOrStdout(), "problem: %s\n", p)
	}
	return withCode(decisionCode(res.Evaluation.Decision))
}

func runCommand(ctx context.Context, dir, runID string, argv []string, fl runFlags, progress func(runner.Progress)) (policy.Metrics, attest.Run, error) {
	out, err := runner.Run(ctx, runner.Spec{
		Argv: argv, RunDir: dir, Env: jobEnv(), RunID: runID,
		Timeout: fl.timeout, Retries: fl.retries, Collect: fl.collect,
		Progress: progress, Prefix: "command",
	})
	if err != nil {
		return nil, attest.Run{}, err
	}
	exit := out.ExitCode
	inv := out.Invocation
	return policy.Metrics(out.Metrics), attest.Run{
		ID: runID, Runner: "command", Argv: inv.Argv,
		StartedOn: stamp(inv.StartedOn), FinishedOn: stamp(inv.FinishedOn), ExitCode: &exit,
		Problems: out.Problems,
	}, nil
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// newRunID returns a unique, time-sortable run id: UTC time then 48 random bits.
func newRunID(now time.Time) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("run id: %w", err)
	}
	return now.UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b[:]), nil
}

// createRunDir makes a new, empty run directory; an existing one is never reused.
func createRunDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("run directory %s already exists: runs are never reused (choose another --out)", dir)
		}
		return err
	}
	return nil
}

// interruptContext is cancelled by the first SIGINT, SIGTERM or SIGHUP (a
// closed terminal): the job is stopped and the run is still graded and
// signed. A second signal exits at once, leaving no bundle.
func interruptContext(c *cobra.Command) (context.Context, func()) {
	ctx, cancel := context.WithCancel(c.Context())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			fmt.Fprintln(c.ErrOrStderr(), "\ncohos: interrupted: stopping the job and signing the evidence (interrupt again to abandon)")
			cancel()
		case <-done:
			return
		}
		select {
		case <-sigs:
			fmt.Fprintln(c.ErrOrStderr(), "cohos: error: interrupted twice: abandoning the run, no bundle written")
			os.Exit(ExitError)
		case <-done:
		}
	}()
	return ctx, func() { signal.Stop(sigs); close(done); cancel() }
}

// secretEnv names variables cohos reads for itself that the governed job
// must not see: the signing key's password stays with the governor.
var secretEnv = []string{"COHOS_PASSWORD"}

// jobEnv is cohos's environment without its secrets.
func jobEnv() []string {
	env := os.Environ()
	out := env[:0:0]
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(secretEnv, name) {
			out = append(out, kv)
		}
	}
	return out
}
