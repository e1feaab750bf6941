package cmd

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/policy"
)

func newAttestCmd() *cobra.Command {
	pws := passwordSource{fd: -1}
	var (
		signKeys    []string
		policyPath  string
		metricsPath string
		runID       string
		force       bool
	)
	c := &cobra.Command{
		Use:   "attest DIR --sign KEY --metrics M.json [--policy P]",
		Short: "Grade a directory's metrics under a policy and sign the evidence",
		Long: `attest evaluates the policy on the metrics, writes decision.json, policy.json,
manifest.json, hashes.json and SHA256SUMS into DIR, and finally the signed
bundle DIR/bundle.intoto.jsonl. Exit 0 ALLOW, 3 MARGINAL, 1 REFUSE, 2 when
the evidence could not be written.`,
		Example: `  cohos attest runs/nightly --sign key.pem --policy policy.yaml --metrics metrics.json
  cohos attest out --sign a.pem --sign b.pem --metrics m.json --run-id build-42`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(signKeys) == 0 {
				return usageError("attest needs at least one --sign KEY")
			}
			if metricsPath == "" {
				return usageError("attest needs --metrics FILE")
			}
			pol, err := loadPolicy(policyPath)
			if err != nil {
				return inputError(err)
			}
			mb, err := readInput(c.InOrStdin(), metricsPath, policy.MaxInputSize)
			if err != nil {
				return inputError(err)
			}
			metrics, err := policy.ParseMetrics(mb)
			if err != nil {
				return inputError(fmt.Errorf("%s: %w", metricsPath, err))
			}
			signers, err := loadSigners(signKeys, pws, c.ErrOrStderr())
			if err != nil {
				return inputError(err)
			}
			res, err := attest.Attest(c.Context(), args[0], attest.Options{
				Policy:  pol,
				Metrics: metrics,
				Run:     attest.Run{ID: runID, Runner: "external"},
				Signers: signers,
				Force:   force,
			})
			if errors.Is(err, attest.ErrBundleExists) {
				return withHint(inputError(err), "use --force to replace the existing bundle")
			}
			if err != nil {
				return inputError(err)
			}
			renderDecisionLine(c.OutOrStdout(), res.Evaluation, "", res.Bundle)
			return withCode(decisionCode(res.Evaluation.Decision))
		},
	}
	f := c.Flags()
	f.StringArrayVar(&signKeys, "sign", nil, "private key to sign with (repeatable: one signature per key)")
	f.StringVar(&policyPath, "policy", "", "policy file (default: the built-in default policy)")
	f.StringVar(&metricsPath, "metrics", "", "metrics: a flat JSON object of numbers and booleans (\"-\" for standard input)")
	f.StringVar(&runID, "run-id", "", "run id recorded in the attestation (default: DIR's name)")
	pws.register(f, "file holding the password of encrypted keys (default: $COHOS_PASSWORD)")
	f.BoolVar(&force, "force", false, "replace an existing bundle")
	return c
}

// decisionCode maps a decision to the process exit code.
func decisionCode(d policy.Decision) int {
	switch d {
	case policy.Allow:
		return ExitOK
	case policy.Marginal:
		return ExitMarginal
	default:
		return ExitFail
	}
}
