package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/internal/atomicfile"
	"cohos.dev/cohos/policies"
	"cohos.dev/cohos/policy"
)

// policyEvalMediaType versions the document `cohos policy eval --json` prints.
const policyEvalMediaType = "application/vnd.cohos.policy-eval+json;version=1"

func newPolicyCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "policy",
		Short: "Check, try out and start policies",
		Long: `A policy is a strict YAML (or JSON) file of explicit limits on the metrics a
run observes; it grades each run as ALLOW, MARGINAL or REFUSE. Start from the
commented file that "cohos policy init" writes. Without --policy, cohos uses
its built-in default policy, which has the same rules.`,
		Example: `  cohos policy init
  cohos policy check policy.yaml
  cohos policy eval --policy policy.yaml --metrics metrics.json`,
	}
	c.AddCommand(newPolicyCheckCmd(), newPolicyEvalCmd(), newPolicyInitCmd())
	return c
}

func newPolicyCheckCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "check FILE",
		Short: "Validate a policy and print its name, digest and rule count",
		Long: `Check parses FILE ("-" for standard input) strictly and prints the policy's
name, its digest (the sha256 of its canonical JSON, the value recorded with
every decision) and its number of rules. With --json it prints the canonical
JSON instead. A malformed policy is exit 2 with the line and field at fault.`,
		Example: `  cohos policy check policy.yaml
  cohos policy check --json policy.yaml > policy.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := policyLoad(cmd, args[0])
			if err != nil {
				return inputError(err)
			}
			w := cmd.OutOrStdout()
			if asJSON {
				_, err = fmt.Fprintf(w, "%s\n", p.Canonical())
				return err
			}
			_, err = fmt.Fprintf(w, "name:   %s\ndigest: sha256:%s\nrules:  %d\n", p.Name, p.Digest(), len(p.Rules))
			return err
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the canonical policy JSON")
	return c
}

// policyEvalDoc is what `cohos policy eval --json` prints.
type policyEvalDoc struct {
	MediaType string          `json:"mediaType"`
	Policy    policyEvalRef   `json:"policy"`
	Decision  policy.Decision `json:"decision"`
	Reasons   []policy.Reason `json:"reasons"`
}

type policyEvalRef struct {
	Name   string `json:"name"`
	Digest string `json:"digest"` // "sha256:<hex>"
}

func newPolicyEvalCmd() *cobra.Command {
	var policyPath, metricsPath string
	var asJSON bool
	c := &cobra.Command{
		Use:   "eval --metrics FILE [--policy FILE]",
		Short: "Grade metrics against a policy",
		Long: `Eval grades the metrics in --metrics (a flat JSON object of numbers and
booleans, "-" for standard input) against --policy (the built-in default
policy when omitted) and prints the decision and one line per rule.

Exit status: 0 ALLOW, 3 MARGINAL, 1 REFUSE, 2 malformed policy or metrics.
--json prints the same result as one versioned document and keeps the exit
status.`,
		Example: `  cohos policy eval --metrics metrics.json
  echo '{"completed": true, "restarts": 3}' | cohos policy eval --policy policy.yaml --metrics -
  cohos policy eval --policy policy.yaml --metrics runs/ID/metrics.json --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := policyLoad(cmd, policyPath)
			if err != nil {
				return inputError(err)
			}
			data, err := policyReadInput(cmd, metricsPath)
			if err != nil {
				return inputError(err)
			}
			m, err := policy.ParseMetrics(data)
			if err != nil {
				return inputError(fmt.Errorf("%s: %w", metricsPath, err))
			}
			res := policy.Evaluate(p, m)
			doc := policyEvalDoc{
				MediaType: policyEvalMediaType,
				Policy:    policyEvalRef{Name: p.Name, Digest: "sha256:" + p.Digest()},
				Decision:  res.Decision,
				Reasons:   res.Reasons,
			}
			if asJSON {
				err = policyWriteJSON(cmd.OutOrStdout(), doc)
			} else {
				err = policyRenderEval(cmd.OutOrStdout(), doc, res)
			}
			if err != nil {
				return err
			}
			return withCode(decisionCode(res.Decision))
		},
	}
	c.Flags().StringVar(&policyPath, "policy", "", "policy file (default: the built-in default policy)")
	c.Flags().StringVar(&metricsPath, "metrics", "", `metrics JSON file, "-" for standard input`)
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	_ = c.MarkFlagRequired("metrics")
	return c
}

func newPolicyInitCmd() *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   "init [FILE]",
		Short: "Write the commented starter policy",
		Long: `Init writes the starter policy to FILE (default policy.yaml; "-" for standard
output): the built-in default rules with every field explained. The file is
written atomically and an existing one is never replaced without --force.`,
		Example: `  cohos policy init
  cohos policy init ci/policy.yaml --force
  cohos policy init - | less`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "policy.yaml"
			if len(args) == 1 {
				path = args[0]
			}
			if path == "-" {
				_, err := cmd.OutOrStdout().Write(policies.Starter())
				return err
			}
			write := atomicfile.Create
			if force {
				write = atomicfile.Write
			}
			err := write(path, policies.Starter(), 0o644)
			if errors.Is(err, atomicfile.ErrExists) {
				fmt.Fprintf(cmd.ErrOrStderr(), "cohos: error: %v\ncohos: hint: use --force to overwrite\n", err)
				return withCode(ExitError)
			}
			if err != nil {
				return inputError(err)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&force, "force", false, "replace an existing file")
	return c
}

// policyLoad parses the policy at path, or the built-in default when path
// is empty. Errors name the file.
func policyLoad(cmd *cobra.Command, path string) (*policy.Policy, error) {
	name, data := "default policy", policies.Default()
	if path != "" {
		var err error
		if data, err = policyReadInput(cmd, path); err != nil {
			return nil, err
		}
		name = path
	}
	p, err := policy.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// policyReadInput reads path ("-" for standard input), at most one byte more
// than policy.MaxInputSize so that the parser reports an oversized input.
func policyReadInput(cmd *cobra.Command, path string) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = cmd.InOrStdin()
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, policy.MaxInputSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

func policyWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// policyRenderEval prints the decision, the policy and a table of the rules
// that fits 80 columns for the shipped policies.
func policyRenderEval(w io.Writer, doc policyEvalDoc, res policy.Result) error {
	why := "every rule within its limits"
	if d := res.Decider(); d != nil {
		why = d.Message
	}
	fmt.Fprintf(w, "%s: %s\npolicy: %s %s\n\n", doc.Decision, why, doc.Policy.Name, doc.Policy.Digest)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tOBSERVED\tLIMITS\tOUTCOME")
	for _, r := range doc.Reasons {
		observed := "-"
		if r.Observed != nil {
			observed = r.Observed.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Metric, observed, policyLimits(r), r.Outcome)
	}
	return tw.Flush()
}

// policyLimits describes a reason's limits, e.g. "marginal 2, refuse 6".
func policyLimits(r policy.Reason) string {
	var parts []string
	if r.Require != nil {
		parts = append(parts, fmt.Sprintf("require %t", *r.Require))
	}
	if r.Marginal != nil {
		parts = append(parts, "marginal "+policy.Num(*r.Marginal).String())
	}
	if r.Refuse != nil {
		parts = append(parts, "refuse "+policy.Num(*r.Refuse).String())
	}
	return strings.Join(parts, ", ")
}
