package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

type verifyFlags struct {
	keys          []string
	threshold     int
	artifacts     string
	policy        string
	grade         string
	allowMarginal bool
	json          bool
	verbose       bool
	quiet         bool
	junit         string
	runID         string
	plainHTTP     bool
}

func newVerifyCmd() *cobra.Command {
	var fl verifyFlags
	c := &cobra.Command{
		Use:   "verify BUNDLE|RUN_DIR|run.oci.tar|oci://REF... --key PUB",
		Short: "Verify bundles offline: signatures, artifacts, policy conformance, admissibility",
		Long: `verify checks each bundle offline and reports every check with a stable id.
Exit 0 verified and admissible, 1 a check failed or REFUSE, 3 MARGINAL without
--allow-marginal, 2 could not evaluate (unreadable, empty or malformed bundle,
bad key file, registry unreachable). The artifacts are looked for beside each
bundle unless --artifacts says otherwise. An archive from cohos pack is read in
place; oci://HOST/REPO@sha256:... is fetched by digest, checked digest by digest
(oci.manifest, oci.referrer, oci.layer), then verified like a directory.
--policy pins the policy the producer used; --grade re-grades the signed
metrics under your own policy, and the gate takes the stricter of the
attested and the re-graded decision.`,
		Example: `  cohos verify runs/20261124T051200Z-1a2b/bundle.intoto.jsonl --key key.pub
  cohos verify runs/*/ --key a.pub --key b.pub --threshold 2 --policy trusted.yaml
  cohos verify bundle.intoto.jsonl --key key.pub --json | jq '.bundles[0].checks'
  cohos verify runs/*/ --key key.pub --grade strict.yaml
  cohos verify run.oci.tar --key key.pub --run-id <id>
  cohos verify oci://registry.example/team/evidence@sha256:... --key key.pub --run-id <id>`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return runVerify(c, args, fl) },
	}
	f := c.Flags()
	f.StringArrayVar(&fl.keys, "key", nil, "trusted public key (repeatable)")
	f.IntVar(&fl.threshold, "threshold", 1, "distinct trusted keys that must sign each envelope")
	f.StringVar(&fl.artifacts, "artifacts", "", "run directory holding the artifacts (default: the bundle's directory)")
	f.StringVar(&fl.policy, "policy", "", "trusted policy: the attested policy must be this one (pin)")
	f.StringVar(&fl.grade, "grade", "", "your own policy: grade the signed metrics under it too and gate on the stricter decision")
	f.BoolVar(&fl.allowMarginal, "allow-marginal", false, "admit MARGINAL decisions")
	f.BoolVar(&fl.json, "json", false, "print one versioned JSON document")
	f.BoolVarP(&fl.verbose, "verbose", "v", false, "show every check")
	f.BoolVarP(&fl.quiet, "quiet", "q", false, "print nothing; the exit code says it all")
	f.StringVar(&fl.junit, "junit", "", "also write each check as a JUnit test case to FILE")
	f.StringVar(&fl.runID, "run-id", "", "the run the bundle must attest (cohos run prints it)")
	f.BoolVar(&fl.plainHTTP, "plain-http", false, "talk plain HTTP to an oci:// registry (local test registries only)")
	return c
}

// verified is one bundle's outcome: its entry in the JSON document, its
// report (nil when it could not be evaluated), the hint for its error and
// its exit code.
type verified struct {
	verify.BundleResult
	report *verify.Report
	hint   string
	code   int
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
	var grade *policy.Policy
	if fl.grade != "" {
		if grade, err = loadPolicy(fl.grade); err != nil {
			return inputError(err)
		}
	}
	doc := verify.Document{MediaType: verify.MediaType, Verified: true, Bundles: []verify.BundleResult{}}
	results := verifyAll(c, args, fl, verify.Options{
		Keys: trusted, Threshold: fl.threshold, TrustedPolicy: pol, GradePolicy: grade, AllowMarginal: fl.allowMarginal,
		RunID: fl.runID,
	})
	code := ExitOK
	for _, br := range results {
		if br.report == nil {
			printDiagnostic(c.ErrOrStderr(), br.Error, br.hint)
		}
		doc.Verified = doc.Verified && br.Verified
		code = worseCode(code, br.code)
		doc.Bundles = append(doc.Bundles, br.BundleResult)
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
		enc.SetEscapeHTML(false) // reasons say "restarts 3 > refuse 2"
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return inputError(err)
		}
	case !fl.quiet:
		for _, br := range results {
			renderBundle(out, br, fl.verbose)
		}
		renderTotals(out, results)
	}
	return withCode(code)
}

// verifyAll verifies the bundle arguments, as many at once as there are
// processors (each bundle's work is independent; most of a small one's is
// CPU), and returns the results in argument order.
func verifyAll(c *cobra.Command, args []string, fl verifyFlags, opts verify.Options) []verified {
	results := make([]verified, len(args))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(args)) {
		wg.Go(func() {
			for i := range next {
				results[i] = verifyOne(c, args[i], fl, opts)
			}
		})
	}
	for i := range args {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// verifyOne verifies one bundle argument (a bundle file or a run directory).
func verifyOne(c *cobra.Command, arg string, fl verifyFlags, opts verify.Options) verified {
	if isOCIArg(arg) {
		return verifyOCI(c, arg, fl, opts)
	}
	br := verified{BundleResult: verify.BundleResult{Path: arg, Checks: []verify.Check{}, Envelopes: []verify.EnvelopeSummary{}}, code: ExitError}
	path := arg
	if fi, err := os.Stat(arg); err == nil && fi.IsDir() {
		path = filepath.Join(arg, attest.BundleName)
		if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
			br.Error, br.hint = notARun(arg)
			return br
		}
	}
	br.Path = path
	if msg, hint := notABundle(path); msg != "" {
		br.Error, br.hint = msg, hint
		return br
	}
	data, err := readInput(nil, path, attest.MaxBundleSize)
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
	if rep == nil || c.Context().Err() != nil {
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
