package cmd

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/policy"
)

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
			data, err := readInput(cmd.InOrStdin(), metricsPath, policy.MaxInputSize)
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
