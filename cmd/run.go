package cmd

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/govern"
	"cohos.dev/cohos/internal/isolate"
	"cohos.dev/cohos/runner"
)

type runFlags struct {
	sign      []string
	policy    string
	out       string
	timeout   time.Duration
	retries   int
	collect   []string
	password  passwordSource
	isolation string
	quiet     bool
	tee       bool
	massgen   massgenFlags
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
  cohos run --sign key.pem --tee -- ./integration-tests.sh
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
	fl.password.fd = -1
	fl.password.register(f, "file holding the password of encrypted keys (default: $COHOS_PASSWORD)")
	f.StringVar(&fl.isolation, "isolation", "auto", "how the job is kept from cohos: auto (Linux namespaces where available) or off (process group only; attested isolated: false)")
	f.BoolVarP(&fl.quiet, "quiet", "q", false, "no progress line")
	f.BoolVar(&fl.tee, "tee", false, "show the job's stdout and stderr on stderr while it runs (the logs stay the evidence)")
	fl.massgen.register(f)
	return c
}

func runRun(c *cobra.Command, args []string, fl runFlags) error {
	massgen, err := checkRunArgs(c, args, fl)
	if err != nil {
		return err
	}
	// Everything that can be wrong with the request is checked before the job starts.
	pol, err := loadPolicy(fl.policy)
	if err != nil {
		return inputError(err)
	}
	env := os.Environ()
	signers, err := loadSigners(fl.sign, fl.password, c.ErrOrStderr())
	if err != nil {
		return inputError(err)
	}
	var job govern.Job = govern.Command{Argv: args, Retries: fl.retries, Collect: fl.collect}
	if massgen {
		if job, err = fl.massgen.job(c.Context()); err != nil {
			return inputError(err)
		}
	}
	var sig atomic.Value // the first interrupting signal
	prog := newProgress(c.ErrOrStderr(), fl.quiet || fl.tee)
	opts := govern.Options{
		Policy: pol, Signers: signers, Dir: fl.out, Timeout: fl.timeout, Env: env, Progress: prog.update,
		Isolation: fl.jobIsolation(),
		Interrupted: func(s os.Signal) {
			sig.Store(s)
			fmt.Fprintln(c.ErrOrStderr(), "\ncohos: interrupted: stopping the job and signing the evidence (interrupt again to abandon)")
		},
	}
	if prog.on {
		opts.Live = prog.setLive
	}
	if fl.tee {
		opts.TeeStdout, opts.TeeStderr = c.ErrOrStderr(), c.ErrOrStderr()
	}
	res, err := govern.Run(c.Context(), job, opts)
	prog.done()
	if err != nil {
		return inputError(err)
	}
	printRunResult(c, fl, res)
	if s, ok := sig.Load().(syscall.Signal); ok {
		// Interrupted, and the evidence is signed: exit as a shell does
		// for a job stopped by that signal (130 for SIGINT).
		return withCode(128 + int(s))
	}
	return withCode(decisionCode(res.Evaluation.Decision))
}

// checkRunArgs checks run's flags and arguments before anything is loaded;
// massgen says whether the job is a MassGen run.
func checkRunArgs(c *cobra.Command, args []string, fl runFlags) (massgen bool, err error) {
	if len(fl.sign) == 0 {
		return false, usageError("run needs at least one --sign KEY (make one with: cohos keys generate --out key)")
	}
	if fl.retries < 0 || fl.timeout < 0 {
		return false, usageError("--retries and --timeout must not be negative")
	}
	if fl.isolation != "auto" && fl.isolation != "off" {
		return false, usageError("--isolation %q: want auto or off", fl.isolation)
	}
	massgen = fl.massgen.enabled()
	dash := c.ArgsLenAtDash()
	switch {
	case massgen && dash >= 0:
		return false, usageError("give either -- COMMAND or a MassGen question, not both")
	case massgen && len(args) != 1:
		return false, usageError("a MassGen run takes exactly one QUESTION argument")
	case !massgen && dash < 0 && len(args) > 0:
		return false, withHint(usageError("nothing to run: %q is not after --", args[0]),
			"put -- before the command: cohos run --sign KEY -- "+strings.Join(args, " "))
	case !massgen && (dash < 0 || len(args) == 0):
		return false, withHint(usageError("nothing to run: give -- COMMAND [ARGS...] or --massgen-config CFG QUESTION"),
			"cohos run --sign KEY -- make test")
	}
	return massgen, nil
}

// printRunResult prints what a person needs of a signed run: a warning when
// it ran unisolated, the end of the job's stderr, the decision with its
// cause, the run id and every problem.
func printRunResult(c *cobra.Command, fl runFlags, res *attest.Result) {
	if iso := res.Predicate.Run.Isolation; iso != nil && !iso.Isolated && fl.isolation != "off" && iso.Reason != isolate.NotStarted {
		fmt.Fprintf(c.ErrOrStderr(), "cohos: warning: the job ran without isolation (%s); attested isolated: false\n", iso.Reason)
	}
	if !fl.tee && !fl.quiet {
		printStderrTail(c.ErrOrStderr(), res)
	}
	renderDecisionLine(c.OutOrStdout(), res.Evaluation, res.Predicate.Run.Cause, res.Bundle)
	fmt.Fprintf(c.OutOrStdout(), "run: %s\n", res.Predicate.Run.ID)
	for _, p := range res.Predicate.Run.Problems {
		fmt.Fprintf(c.OutOrStdout(), "problem: %s\n", p)
	}
}

// jobIsolation is how the job is isolated: the signing keys and the
// password file are hidden from it.
func (fl runFlags) jobIsolation() runner.Isolation {
	mask := append(slices.Clone(fl.sign), fl.password.files()...)
	return runner.Isolation{Off: fl.isolation == "off", Mask: mask}
}
