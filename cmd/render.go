package cmd

import (
	"fmt"
	"io"

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
	b, err := readInput(nil, path, policy.MaxInputSize)
	if err != nil {
		return nil, err
	}
	p, err := policy.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := checkKnown(path, p); err != nil {
		return nil, err
	}
	return p, nil
}

// checkKnown refuses a policy with a rule on a metric no runner reports
// (a typo would switch the rule off or refuse every run) or of the wrong
// kind, naming the file, the rule, the closest known metric and the fix.
func checkKnown(path string, p *policy.Policy) error {
	err := policy.CheckKnown(p)
	if err == nil {
		return nil
	}
	return withHint(fmt.Errorf("%s: %w", path, err),
		"cohos policy metrics lists the metrics runners report; a metric of your own (cohos attest --metrics) must start with "+policy.CustomPrefix)
}

// renderDecisionLine prints the summary of a decision: the first deciding
// rule with the cause cohos observed, then a line for each other rule at
// the same outcome.
func renderDecisionLine(w io.Writer, r policy.Result, cause, bundle string) {
	lines := policy.ExplainLines(r.Decision, r.Reasons, cause)
	fmt.Fprintf(w, "%s: %s\n", paint(colourOn(w), r.Decision, string(r.Decision)), lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(w, "  and: %s\n", l)
	}
	fmt.Fprintf(w, "bundle: %s\n", bundle)
}
