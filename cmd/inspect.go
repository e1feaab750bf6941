package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/internal/evidence"
	"cohos.dev/cohos/internal/massgen"
	"cohos.dev/cohos/policy"
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

inspect is for reading, verify is the gate: inspect exits 0 whenever it
could read its input, whatever the decision, and 2 when it could not.`,
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
			return nil
		},
	}
	f := c.Flags()
	f.StringArrayVar(&keyPaths, "key", nil, "trusted public key: verify the signatures against it (repeatable)")
	f.BoolVar(&asJSON, "json", false, "print one versioned JSON document ("+evidence.MediaType+")")
	return c
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
		for _, c := range v.Checks {
			if c.Status != "fail" || c.ID == "decision.admissible" {
				continue
			}
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

func renderRun(w io.Writer, e evidence.Envelope) {
	r := e.Run
	exit := "-"
	if r.ExitCode != nil {
		exit = fmt.Sprint(*r.ExitCode)
	}
	rows := [][2]string{
		{"id", r.ID},
		{"runner", r.Runner},
		{"version", r.RunnerVersion},
		{"models", strings.Join(r.Models, ", ")},
		{"base URL", r.BaseURL},
		{"question", inspectDigest(r.QuestionDigest)},
		{"started", r.StartedOn},
		{"finished", r.FinishedOn},
		{"exit code", exit},
	}
	if len(r.ConfigDigest) > 0 {
		rows = append(rows, [2]string{"config", inspectDigest(r.ConfigDigest)})
	}
	fmt.Fprintln(w, "run:")
	for _, row := range rows {
		inspectField(w, row[0], dashIfEmpty(row[1]))
	}
	if len(r.Argv) > 0 {
		fmt.Fprintln(w, fitWidth("  argv:      "+strings.Join(r.Argv, " "), 80))
	}
	for _, p := range r.Problems {
		fmt.Fprintln(w, fitWidth("  problem:   "+p, 80))
	}
	fmt.Fprintf(w, "attested:  %s by %s %s\n", dashIfEmpty(e.AttestedOn), e.Governor.Name, e.Governor.Version)
}

func renderArtifacts(w io.Writer, e evidence.Envelope) {
	fmt.Fprintf(w, "artifacts: %d file(s)\n", len(e.Artifacts))
	inspectField(w, "set sha256", e.Subject.Digest["sha256"])
	inspectField(w, "set merkle", e.Subject.Digest["merkle_rfc9162_sha256"])
	shown := e.Artifacts[:min(len(e.Artifacts), inspectListMax)]
	width := len("SIZE")
	for _, f := range shown {
		width = max(width, len(fmt.Sprint(f.Size)))
	}
	if len(shown) > 0 {
		fmt.Fprintf(w, "  %-12s  %*s  %s\n", "SHA256", width, "SIZE", "NAME")
	}
	for _, f := range shown {
		fmt.Fprintf(w, "  %-12.12s  %*d  %s\n", f.SHA256, width, f.Size, f.Name)
	}
	if n := len(e.Artifacts) - len(shown); n > 0 {
		fmt.Fprintf(w, "  ... %d more (cohos inspect --json lists every file)\n", n)
	}
	for _, s := range e.Skipped {
		fmt.Fprintf(w, "  skipped %s: %s\n", s.Kind, s.Name)
	}
}

func renderTimelineLine(w io.Writer, ev *evidence.Evidence) {
	t := ev.Timeline
	switch {
	case ev.TimelineError != "":
		fmt.Fprintln(w, fitWidth("timeline:  unreadable: "+ev.TimelineError, 80))
	case t == nil:
		fmt.Fprintf(w, "timeline:  none (no %s in this run)\n", massgen.TimelineName)
	default:
		state := "not in the attested set or changed"
		if ev.TimelineAttested {
			state = "matches the attested digest"
		}
		fmt.Fprintf(w, "timeline:  %d agent(s), %d round(s), %d event(s), winner %s\n           %s %s\n",
			len(t.Agents), len(t.Rounds), len(t.Events), dashIfEmpty(t.Winner), massgen.TimelineName, state)
	}
}

// field prints "  name: value", moving a value that would not fit 80
// columns to its own indented line(s): digests are never cut.
func inspectField(w io.Writer, name, value string) {
	head := fmt.Sprintf("  %-10s ", name+":")
	if len(head)+len(value) <= 80 {
		fmt.Fprintln(w, head+value)
		return
	}
	fmt.Fprintln(w, strings.TrimRight(head, " "))
	for _, part := range strings.Fields(value) {
		fmt.Fprintln(w, "    "+part)
	}
}

func ruleObserved(r policy.Reason) string {
	if r.Observed == nil {
		return "-"
	}
	return r.Observed.String()
}

func ruleLimits(r policy.Reason) string {
	var parts []string
	if r.Require != nil {
		parts = append(parts, "require "+policy.Bool(*r.Require).String())
	}
	if r.Marginal != nil {
		parts = append(parts, "marginal "+policy.Num(*r.Marginal).String())
	}
	if r.Refuse != nil {
		parts = append(parts, "refuse "+policy.Num(*r.Refuse).String())
	}
	return strings.Join(parts, ", ")
}

// digestString renders a digest map as "alg:hex" pairs in a stable order.
func inspectDigest(d map[string]string) string {
	algs := make([]string, 0, len(d))
	for a := range d {
		algs = append(algs, a)
	}
	sort.Strings(algs)
	parts := make([]string, len(algs))
	for i, a := range algs {
		parts[i] = a + ":" + d[a]
	}
	return strings.Join(parts, " ")
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// fit shortens s to n columns, ending it with "..." when cut.
func fitWidth(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}
