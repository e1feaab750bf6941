package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/internal/evidence"
)

// inspectListMax is how many artifacts (and changed names) the text view
// lists before saying how many more there are.
const inspectListMax = 20

func newInspectCmd() *cobra.Command {
	var (
		keyPaths []string
		asJSON   bool
	)
	c := &cobra.Command{
		Use:   "inspect BUNDLE|RUN_DIR [--key PUB ...] [--json]",
		Short: "Show what a bundle says: decision, rules, signers, run, artifacts",
		Long: `inspect shows what a bundle (or a run directory's bundle) says: the decision,
each rule with its observed value and limits, who signed it, the run and the
artifacts with their digests. Without --key the signatures are not checked
and everything shown is only what the bundle claims; with --key it also
verifies the bundle offline and says what failed.

inspect is for reading, verify is the gate: whatever the decision, inspect
exits 0 when it could read its input, 1 when --key was given and the
evidence it shows does not verify, and 2 when it could not read its input.`,
		Example: `  cohos inspect runs/20261124T051200Z-1a2b
  cohos inspect runs/20261124T051200Z-1a2b/bundle.intoto.jsonl --key key.pub
  cohos inspect runs/nightly --json | jq '.envelopes[0].rules'`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			trusted, err := loadPublicKeys(keyPaths)
			if err != nil {
				return err
			}
			ev, err := evidence.Load(c.Context(), args[0], evidence.Options{Keys: trusted})
			if err != nil {
				return inputError(err)
			}
			var buf bytes.Buffer
			if asJSON {
				enc := json.NewEncoder(&buf)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				if err := enc.Encode(ev); err != nil {
					return inputError(err)
				}
			} else {
				renderEvidence(&buf, ev)
			}
			if _, err := c.OutOrStdout().Write(buf.Bytes()); err != nil {
				return inputError(err)
			}
			return unverifiedExit(ev)
		},
	}
	f := c.Flags()
	f.StringArrayVar(&keyPaths, "key", nil, "trusted public key: verify the signatures against it (repeatable)")
	f.BoolVar(&asJSON, "json", false, "print one versioned JSON document ("+evidence.MediaType+")")
	return c
}

// unverifiedExit is exit 1 when trusted keys were given and the evidence
// shown does not verify: a script must not mistake a forged bundle shown
// for a good one. A MARGINAL or REFUSE decision that verifies is not a
// failure here.
func unverifiedExit(ev *evidence.Evidence) error {
	if ev.Verification.Checked && !ev.Verification.Verified {
		return withCode(ExitFail)
	}
	return nil
}

// renderEvidence writes the text view; every line fits 80 columns except
// over-long names and values that cannot be shortened without losing them.
func renderEvidence(w io.Writer, ev *evidence.Evidence) {
	fmt.Fprintf(w, "bundle:       %s\n", ev.Bundle)
	renderVerification(w, ev.Verification)
	for _, e := range ev.Envelopes {
		fmt.Fprintln(w)
		renderEnvelope(w, e)
	}
	fmt.Fprintln(w)
	renderTimelineLine(w, ev)
}

func renderVerification(w io.Writer, v evidence.Verification) {
	switch {
	case !v.Checked:
		fmt.Fprint(w, "verification: signatures NOT CHECKED (no --key): what follows is what the\n"+
			"              bundle claims, not verified evidence\n")
	case v.Verified:
		fmt.Fprintf(w, "verification: verified against %d trusted key(s): every check passed\n", len(v.Keys))
	default:
		fmt.Fprintf(w, "verification: FAILED against %d trusted key(s): %s\n", len(v.Keys), strings.Join(v.Failed, ", "))
		for _, c := range v.Failures {
			fmt.Fprintln(w, fitWidth(fmt.Sprintf("  fail %s: %s", c.ID, c.Reason), 80))
			renderNames(w, "added", c.Added)
			renderNames(w, "missing", c.Missing)
			renderNames(w, "changed", c.Changed)
		}
	}
}

// renderNames lists the first inspectListMax names of one kind.
func renderNames(w io.Writer, kind string, names []string) {
	for i, n := range names {
		if i == inspectListMax {
			fmt.Fprintf(w, "       ... %d more %s\n", len(names)-i, kind)
			return
		}
		fmt.Fprintf(w, "       %-8s %s\n", kind+":", n)
	}
}

// trustHeading says in a few words how far an envelope can be believed.
func trustHeading(t evidence.Trust) string {
	switch t {
	case evidence.Verified:
		return "signed by a trusted key"
	case evidence.Untrusted:
		return "NOT signed by a trusted key: do not trust what it says"
	}
	return "signatures not checked: claimed, not verified"
}

func renderEnvelope(w io.Writer, e evidence.Envelope) {
	fmt.Fprintf(w, "envelope %d (%s)\n", e.Line, trustHeading(e.Trust))
	why := "every rule within its limits"
	if e.Decider != "" {
		why = e.Decider
	}
	fmt.Fprintf(w, "decision:  %s: %s\n", e.Decision, why)

	fmt.Fprintln(w, "rules:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  METRIC\tOBSERVED\tLIMITS\tOUTCOME")
	for _, r := range e.Rules {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Metric, ruleObserved(r.Reason), ruleLimits(r.Reason), r.Outcome)
	}
	tw.Flush()

	fmt.Fprintln(w, "signatures:")
	for _, s := range e.Signatures {
		fmt.Fprintf(w, "  %d  %s  %s\n", s.Index, dashIfEmpty(s.KeyID), s.Status)
	}
	fmt.Fprintln(w, "policy:")
	inspectField(w, "name", e.Policy.Name)
	inspectField(w, "sha256", e.Policy.SHA256)
	renderRun(w, e)
	renderArtifacts(w, e)
}
