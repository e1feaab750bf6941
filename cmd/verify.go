package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/regfile"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

type verifyFlags struct {
	keys          []string
	threshold     int
	artifacts     string
	policy        string
	allowMarginal bool
	json          bool
	verbose       bool
	quiet         bool
	junit         string
	runID         string
}

func newVerifyCmd() *cobra.Command {
	var fl verifyFlags
	c := &cobra.Command{
		Use:   "verify BUNDLE|RUN_DIR... --key PUB",
		Short: "Verify bundles offline: signatures, artifacts, policy conformance, admissibility",
		Long: `verify checks each bundle offline and reports every check with a stable id.
Exit 0 verified and admissible, 1 a check failed or REFUSE, 3 MARGINAL without
--allow-marginal, 2 could not evaluate (unreadable, empty or malformed bundle,
bad key file). The artifacts are looked for beside each bundle unless
--artifacts says otherwise.`,
		Example: `  cohos verify runs/20261124T051200Z-1a2b/bundle.intoto.jsonl --key key.pub
  cohos verify runs/*/ --key a.pub --key b.pub --threshold 2 --policy trusted.yaml
  cohos verify bundle.intoto.jsonl --key key.pub --json | jq '.bundles[0].checks'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return runVerify(c, args, fl) },
	}
	f := c.Flags()
	f.StringArrayVar(&fl.keys, "key", nil, "trusted public key (repeatable)")
	f.IntVar(&fl.threshold, "threshold", 1, "distinct trusted keys that must sign each envelope")
	f.StringVar(&fl.artifacts, "artifacts", "", "run directory holding the artifacts (default: the bundle's directory)")
	f.StringVar(&fl.policy, "policy", "", "trusted policy: the attested policy must be this one")
	f.BoolVar(&fl.allowMarginal, "allow-marginal", false, "admit MARGINAL decisions")
	f.BoolVar(&fl.json, "json", false, "print one versioned JSON document")
	f.BoolVarP(&fl.verbose, "verbose", "v", false, "show every check")
	f.BoolVarP(&fl.quiet, "quiet", "q", false, "print nothing; the exit code says it all")
	f.StringVar(&fl.junit, "junit", "", "also write each check as a JUnit test case to FILE")
	f.StringVar(&fl.runID, "run-id", "", "the run the bundle must attest (cohos run prints it)")
	return c
}

// bundleResult is one bundle's entry in the JSON document.
type bundleResult struct {
	Path      string                   `json:"path"`
	Verified  bool                     `json:"verified"`
	Error     string                   `json:"error,omitempty"`
	Checks    []verify.Check           `json:"checks"`
	Envelopes []verify.EnvelopeSummary `json:"envelopes"`
	report    *verify.Report           `json:"-"`
	code      int                      `json:"-"`
}

type verifyDocument struct {
	MediaType string         `json:"mediaType"`
	Verified  bool           `json:"verified"`
	Bundles   []bundleResult `json:"bundles"`
}

func runVerify(c *cobra.Command, args []string, fl verifyFlags) error {
	if len(fl.keys) == 0 {
		return usageError("verify needs at least one --key PUB")
	}
	if fl.threshold < 1 {
		return usageError("--threshold must be at least 1")
	}
	trusted, err := loadPublicKeys(fl.keys)
	if err != nil {
		return inputError(err)
	}
	// loadPublicKeys refuses the same key twice, so these keys are distinct.
	if fl.threshold > len(trusted) {
		return usageError("--threshold %d but only %d distinct trusted key(s) given", fl.threshold, len(trusted))
	}
	var pol *policy.Policy
	if fl.policy != "" {
		if pol, err = loadPolicy(fl.policy); err != nil {
			return inputError(err)
		}
	}
	doc := verifyDocument{MediaType: verify.MediaType, Verified: true, Bundles: []bundleResult{}}
	code := ExitOK
	for _, arg := range args {
		br := verifyOne(c, arg, fl, verify.Options{
			Keys: trusted, Threshold: fl.threshold, TrustedPolicy: pol, AllowMarginal: fl.allowMarginal,
			RunID: fl.runID,
		})
		if br.report == nil {
			fmt.Fprintf(c.ErrOrStderr(), "cohos: error: %s\n", br.Error)
		}
		doc.Verified = doc.Verified && br.Verified
		code = worseCode(code, br.code)
		doc.Bundles = append(doc.Bundles, br)
	}
	if fl.junit != "" {
		if err := writeJUnit(fl.junit, doc); err != nil {
			return inputError(err)
		}
	}
	if path := os.Getenv("GITHUB_STEP_SUMMARY"); path != "" {
		if err := appendStepSummary(path, doc); err != nil {
			return inputError(err)
		}
	}
	out := c.OutOrStdout()
	switch {
	case fl.json:
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return inputError(err)
		}
	case !fl.quiet:
		for _, br := range doc.Bundles {
			renderBundle(out, br, fl.verbose)
		}
	}
	return withCode(code)
}

// verifyOne verifies one bundle argument (a bundle file or a run directory).
func verifyOne(c *cobra.Command, arg string, fl verifyFlags, opts verify.Options) bundleResult {
	br := bundleResult{Path: arg, Checks: []verify.Check{}, Envelopes: []verify.EnvelopeSummary{}, code: ExitError}
	path := arg
	if fi, err := os.Stat(arg); err == nil && fi.IsDir() {
		path = filepath.Join(arg, attest.BundleName)
		if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
			br.Error = fmt.Sprintf("%s: run incomplete: no %s (the run was killed or is still running)", arg, attest.BundleName)
			return br
		}
	}
	br.Path = path
	data, err := readBundle(path)
	if err != nil {
		br.Error = err.Error()
		return br
	}
	dir := fl.artifacts
	if dir == "" {
		dir = filepath.Dir(path)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		br.Error = fmt.Sprintf("artifacts: %v", err)
		return br
	}
	defer root.Close()
	opts.Artifacts = artifacts.RootFS(root)
	rep, err := verify.Bundle(c.Context(), data, opts)
	if rep == nil {
		br.Error = err.Error()
		return br
	}
	br.report, br.Checks, br.Envelopes = rep, rep.Checks, rep.Envelopes
	br.code = reportCode(rep)
	br.Verified = br.code == ExitOK
	if err != nil {
		br.Error = err.Error()
	}
	return br
}

// readBundle reads a bundle file: a regular file within the format's
// limit (a FIFO planted in its place is refused, never waited on).
func readBundle(path string) ([]byte, error) {
	return regfile.Read(path, attest.MaxBundleSize)
}

// reportCode maps a report to an exit code: 2 malformed, 1 a check failed
// or REFUSE, 3 MARGINAL not admitted, 0 verified and admissible.
func reportCode(r *verify.Report) int {
	if r.Malformed() {
		return ExitError
	}
	if r.Err() == nil {
		return ExitOK
	}
	if d, only := r.OnlyInadmissible(); only && d == policy.Marginal {
		return ExitMarginal
	}
	return ExitFail
}

// worseCode orders exit codes by severity: 2 > 1 > 3 > 0.
func worseCode(a, b int) int {
	rank := map[int]int{ExitOK: 0, ExitMarginal: 1, ExitFail: 2, ExitError: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func renderBundle(w io.Writer, br bundleResult, verbose bool) {
	if br.report == nil {
		fmt.Fprintf(w, "%s: NOT VERIFIED (could not evaluate)\n", br.Path)
		return
	}
	state := "VERIFIED"
	if d, only := br.report.OnlyInadmissible(); only {
		state = "verified but NOT ADMISSIBLE: " + string(d)
	} else if !br.Verified {
		state = "NOT VERIFIED"
	}
	fmt.Fprintf(w, "%s: %s\n", br.Path, state)
	for _, e := range br.Envelopes {
		if e.Decision != "" {
			fmt.Fprintf(w, "  envelope %d: run %s, decision %s, policy %q, signed by %d trusted key(s)\n", e.Line, e.RunID, e.Decision, e.Policy, len(e.Signers))
		}
	}
	for _, ch := range br.Checks {
		if !verbose && ch.Status != verify.Fail {
			continue
		}
		fmt.Fprintf(w, "  %-4s %-24s %s\n", ch.Status, ch.ID, ch.Reason)
		for _, n := range ch.Added {
			fmt.Fprintf(w, "         added:   %s\n", n)
		}
		for _, n := range ch.Missing {
			fmt.Fprintf(w, "         missing: %s\n", n)
		}
		for _, n := range ch.Changed {
			fmt.Fprintf(w, "         changed: %s\n", n)
		}
	}
}
