package cmd

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/policies"
	"cohos.dev/cohos/policy"
)

// policyMetricsMediaType versions the document `cohos policy metrics --json` prints.
const policyMetricsMediaType = "application/vnd.cohos.policy-metrics+json;version=1"

func newPolicyMetricsCmd() *cobra.Command {
	var asJSON bool
	var runner string
	c := &cobra.Command{
		Use:   "metrics",
		Short: "List the metrics each runner reports, for policy rules",
		Long: `Metrics lists every metric a policy rule can name: its type (a boolean rule
says require: true|false, a number rule marginal and/or refuse), the runners
that report it (command, massgen) and what it measures. A rule on any other
name is an error, so a typo cannot switch a rule off; a metric of your own,
given to cohos attest --metrics, must start with x_.`,
		Example: `  cohos policy metrics
  cohos policy metrics --runner command
  cohos policy metrics --json | jq -r '.metrics[].name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runner != "" && runner != "command" && runner != "massgen" {
				return withHint(usageError("--runner %q: unknown runner", runner), "use --runner command or --runner massgen")
			}
			var list []policy.MetricInfo
			for _, m := range policy.KnownMetrics() {
				if runner == "" || contains(m.Runners, runner) {
					list = append(list, m)
				}
			}
			if asJSON {
				return policyWriteJSON(cmd.OutOrStdout(), struct {
					MediaType string              `json:"mediaType"`
					Metrics   []policy.MetricInfo `json:"metrics"`
				}{policyMetricsMediaType, list})
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "METRIC\tTYPE\tRUNNERS\tMEANING")
			for _, m := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name, m.Type, strings.Join(m.Runners, ","), m.Description)
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print one versioned JSON document")
	c.Flags().StringVar(&runner, "runner", "", "only the metrics of this runner (command or massgen)")
	return c
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func newPolicySchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the policy format, for editors",
		Long: `Schema prints the JSON Schema (2020-12) of cohos policies, the file
policies/policy.schema.json in the cohos repository. Point your editor's YAML
or JSON support at it; cohos policy check remains the reference.`,
		Example: `  cohos policy schema > policy.schema.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(policies.Schema())
			return err
		},
	}
}
