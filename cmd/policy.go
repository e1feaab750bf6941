package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

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
	c.AddCommand(newPolicyCheckCmd(), newPolicyEvalCmd(), newPolicyInitCmd(), newPolicyMetricsCmd(), newPolicySchemaCmd())
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
				return withHint(err, "use --force to overwrite")
			}
			if err != nil {
				return inputError(err)
			}
			p, err := policy.Parse(policies.Starter())
			if err != nil {
				return inputError(err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: policy %q sha256:%s, the built-in default rules; edit them, then: cohos policy check %s\n", path, p.Name, p.Digest(), path)
			return err
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
		if data, err = readInput(cmd.InOrStdin(), path, policy.MaxInputSize); err != nil {
			return nil, err
		}
		name = path
	}
	p, err := policy.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := checkKnown(name, p); err != nil {
		return nil, err
	}
	return p, nil
}

func policyWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
