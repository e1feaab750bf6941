package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/internal/massgen"
	"cohos.dev/cohos/internal/massgen/massgencfg"
	"cohos.dev/cohos/internal/rehearse"
	"cohos.dev/cohos/internal/substrate"
	"cohos.dev/cohos/runner"
)

type rehearseFlags struct {
	sign     []string
	policy   string
	out      string
	json     bool
	quiet    bool
	profiles []string
	modes    []string
	modelURL string
	model    string
	agents   int
	timeout  time.Duration
	latency  time.Duration
	jobs     int
	bin      string
	password passwordSource
}

func newRehearseCmd() *cobra.Command {
	var fl rehearseFlags
	c := &cobra.Command{
		Use:   "rehearse --sign KEY [flags]",
		Short: "Run a policy against MassGen in both modes on every substrate profile: a decision matrix",
		Long: `rehearse governs one real MassGen run per cell of a matrix, profile × mode:
each substrate profile (the scripted server: stable, slow, thrash, flaky,
dead) against each MassGen mode (voting, synthesis), under the policy. Each
run is signed as cohos run signs it, into its own run directory
DIR/<profile>-<mode>, and its bundle is verified offline with the signing
keys' public keys. The matrix shows each cell's decision, the rule that
decided it, the job's wall time and MassGen's model calls; --json prints it
as one document.

With --model-url the rows are that one OpenAI-compatible server instead of
the substrate, so the same comparison can be made for a real model.

Exit 0 when every cell was governed and its bundle verified, whatever the
decisions (a rehearsal measures, it does not gate); 1 when a bundle did not
verify; 2 when a cell could not be governed or the flags are wrong.`,
		Example: `  cohos rehearse --sign key.pem
  cohos rehearse --sign key.pem --policy p.yaml --profiles stable,thrash --json
  cohos rehearse --sign key.pem --model-url http://127.0.0.1:1234/v1 --out rehearsals/lmstudio`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runRehearse(c, fl) },
	}
	f := c.Flags()
	f.StringArrayVar(&fl.sign, "sign", nil, "private key to sign with (repeatable)")
	f.StringVar(&fl.policy, "policy", "", "policy file (default: the built-in default policy)")
	f.StringVar(&fl.out, "out", "", "directory to create for the cells' run directories (default: rehearsals/<UTC time>)")
	f.BoolVar(&fl.json, "json", false, "print the matrix as one JSON document")
	f.BoolVarP(&fl.quiet, "quiet", "q", false, "no progress lines")
	f.StringSliceVar(&fl.profiles, "profiles", nil, "substrate profiles, the rows (default: stable,slow,thrash,flaky,dead)")
	f.StringSliceVar(&fl.modes, "modes", nil, "MassGen modes, the columns (default: voting,synthesis)")
	f.StringVar(&fl.modelURL, "model-url", "", "rehearse against this OpenAI-compatible server instead of the substrate")
	f.StringVar(&fl.model, "model", "", "model id for --model-url (default: the first model the server lists)")
	f.IntVar(&fl.agents, "agents", massgencfg.DefaultAgents, "agents per run (synthesis: a gatherer, agents-2 domain experts, a synthesizer)")
	f.DurationVar(&fl.timeout, "timeout", 10*time.Minute, "wall-clock limit of each run")
	f.DurationVar(&fl.latency, "latency", rehearse.DefaultLatency, "per-response delay of the slow profile")
	f.IntVar(&fl.jobs, "jobs", runtime.NumCPU(), "runs at once (the slow profile's, which mostly wait, run beside them)")
	f.StringVar(&fl.bin, "massgen-bin", "", "massgen executable (default: $COHOS_MASSGEN, the project .venv, then PATH)")
	fl.password.register(f, "file holding the password of encrypted keys (default: $COHOS_PASSWORD)")
	return c
}

func runRehearse(c *cobra.Command, fl rehearseFlags) error {
	if len(fl.sign) == 0 {
		return usageError("rehearse needs at least one --sign KEY (make one with: cohos keys generate --out key)")
	}
	if fl.jobs < 1 || fl.timeout < 0 || fl.latency < 0 {
		return usageError("--jobs must be at least 1, --timeout and --latency not negative")
	}
	if fl.modelURL == "" && c.Flags().Changed("model") {
		return usageError("--model goes with --model-url")
	}
	if fl.modelURL != "" && c.Flags().Changed("profiles") {
		return usageError("--profiles are the substrate's; with --model-url the row is that server")
	}
	opts := rehearse.Options{
		ModelURL: strings.TrimRight(fl.modelURL, "/"), Model: fl.model, Agents: fl.agents,
		Timeout: fl.timeout, Latency: fl.latency, Jobs: fl.jobs, Bin: fl.bin, Dir: fl.out,
	}
	for _, p := range fl.profiles {
		prof, err := substrate.ParseProfile(p)
		if err != nil {
			return withHint(usageError("%w", err), "see cohos substrate profiles")
		}
		opts.Profiles = append(opts.Profiles, prof)
	}
	for _, m := range fl.modes {
		mode, err := massgencfg.ParseMode(m)
		if err != nil {
			return usageError("%w", err)
		}
		opts.Modes = append(opts.Modes, mode)
	}
	var err error
	if opts.Policy, err = loadPolicy(fl.policy); err != nil {
		return inputError(err)
	}
	if opts.Signers, err = loadSigners(fl.sign, fl.password, c.ErrOrStderr()); err != nil {
		return err
	}
	// Each run is isolated as cohos run isolates it: the keys and the
	// password file are hidden from MassGen.
	opts.Isolation = runner.Isolation{Mask: append(slices.Clone(fl.sign), fl.password.files()...)}
	if opts.Dir == "" {
		opts.Dir = filepath.Join("rehearsals", time.Now().UTC().Format("20060102T150405Z"))
	}
	if err := os.MkdirAll(filepath.Dir(opts.Dir), 0o755); err != nil {
		return inputError(err)
	}
	if !fl.quiet {
		var mu sync.Mutex
		opts.Done = func(cell rehearse.Cell) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(c.ErrOrStderr(), "cohos: rehearse: %s\n", cellLine(cell))
		}
		fmt.Fprintf(c.ErrOrStderr(), "cohos: rehearse: governing %s (real MassGen runs, %d at a time)\n", cellCount(opts), fl.jobs)
	}
	ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m, err := rehearse.Run(ctx, opts)
	if errors.Is(err, massgen.ErrNotFound) {
		return withHint(inputError(err), errMassGenHint)
	}
	if err != nil {
		return inputError(err)
	}
	out := c.OutOrStdout()
	if fl.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(m); err != nil {
			return inputError(err)
		}
	} else {
		renderMatrix(out, m)
	}
	return withCode(matrixCode(m))
}

// cellCount says how many runs a rehearsal makes.
func cellCount(o rehearse.Options) string {
	rows := len(o.Profiles)
	if rows == 0 {
		rows = len(rehearse.Behaviours())
	}
	if o.ModelURL != "" {
		rows = 1
	}
	cols := len(o.Modes)
	if cols == 0 {
		cols = len(massgencfg.Modes())
	}
	return fmt.Sprintf("%d runs", rows*cols)
}

// matrixCode is rehearse's exit code: 2 when a cell has no decision, 1
// when a bundle did not verify, else 0.
func matrixCode(m *rehearse.Matrix) int {
	code := ExitOK
	for _, c := range m.Cells {
		switch {
		case c.Decision == "":
			return ExitError
		case !c.Verified:
			code = ExitFail
		}
	}
	return code
}
