package cmd

import (
	"fmt"
	"io"
	"os"

	"cohos.dev/cohos/policies"
	"cohos.dev/cohos/policy"
)

// loadPolicy reads a policy file, or the built-in default when path is "".
func loadPolicy(path string) (*policy.Policy, error) {
	if path == "" {
		p, err := policy.Parse(policies.Default())
		if err != nil {
			return nil, fmt.Errorf("built-in default policy: %w", err)
		}
		return p, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := policy.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// renderDecisionLine prints the one-line summary of a decision.
func renderDecisionLine(w io.Writer, r policy.Result, bundle string) {
	why := "every rule within its limits"
	if d := r.Decider(); d != nil {
		why = d.Message
	}
	fmt.Fprintf(w, "%s: %s\nbundle: %s\n", r.Decision, why, bundle)
}
