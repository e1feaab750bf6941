// Package cmd is the cohos command tree. Each command parses its flags,
// makes one library call, renders the result and maps it to an exit code.
package cmd

import (
	"io"
	"strings"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/internal/version"
)

// New builds the cohos command tree.
func New() *cobra.Command {
	root := &cobra.Command{
		Use:   "cohos",
		Short: "Governed execution with signed evidence",
		Long: `cohos runs a job (a MassGen multi-agent run or any command), observes how it
behaved, grades it against an explicit policy as ALLOW, MARGINAL or REFUSE,
and signs the decision as an in-toto attestation that verifies offline.`,
		Example: `  cohos keys generate --out key
  cohos run --sign key.pem -- make test
  cohos verify runs/<id>/bundle.intoto.jsonl --key key.pub`,
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("cohos version {{.Version}}\n")
	root.SuggestionsMinimumDistance = 2
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(
		newKeysCmd(),
		newPolicyCmd(),
		newAttestCmd(),
		newVerifyCmd(),
		newPackCmd(),
		newPushCmd(),
		newPullCmd(),
		newRunCmd(),
		newSubstrateCmd(),
		newRehearseCmd(),
		newInspectCmd(),
		newReportCmd(),
		newManCmd(),
	)
	// cobra adds the completion command lazily; add it now to give it examples.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Example = "  source <(cohos completion bash)\n  cohos completion zsh > \"${fpath[1]}/_cohos\""
		for _, sh := range c.Commands() {
			sh.Example = "  cohos completion " + sh.Name() + " > cohos." + sh.Name()
		}
	}
	return root
}

// Main runs the command tree with args and returns the process exit code.
// Errors are printed to stderr as one line: "cohos: error: ...".
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := New()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	code, msg := codeOf(err)
	hint := hintOf(err)
	// cobra's "unknown command" error carries its suggestions on lines
	// of their own: one error line, one hint line.
	if head, sugg, ok := strings.Cut(msg, "\n\nDid you mean this?\n"); ok {
		msg, hint = head, "did you mean: "+strings.Join(strings.Fields(sugg), ", ")+"?"
	}
	if msg != "" {
		printDiagnostic(stderr, strings.TrimSpace(msg), hint)
	}
	return code
}
