package policy

import "strings"

// Deciding returns the reasons that made the decision what it is: every
// rule whose outcome is the decision, in rule order. It is empty for ALLOW.
func (r Result) Deciding() []Reason {
	return Deciding(r.Decision, r.Reasons)
}

// Deciding returns the reasons among reasons whose outcome is d (worst
// first when d is not a valid decision: every non-ALLOW reason, REFUSE
// before MARGINAL), in rule order; nil for ALLOW.
func Deciding(d Decision, reasons []Reason) []Reason {
	if d == Allow {
		return nil
	}
	var out []Reason
	for _, want := range []Decision{Refuse, Marginal} {
		if d.Valid() && want != d {
			continue
		}
		for _, r := range reasons {
			if r.Outcome == want || (want == Refuse && !r.Outcome.Valid()) {
				out = append(out, r)
			}
		}
	}
	return out
}

// Explain is the one line that says why: the deciding reasons' messages
// joined by "; ", the cause cohos observed in parentheses after the first
// (which, for a run that did not complete, is the completed rule the cause
// explains), e.g. "completed false, required true (timed out after 1s);
// timed_out true, required false". For ALLOW without a cause it is "every
// rule within its limits".
func Explain(d Decision, reasons []Reason, cause string) string {
	return strings.Join(ExplainLines(d, reasons, cause), "; ")
}

// ExplainLines is Explain's parts, one per deciding reason, the cause
// after the first.
func ExplainLines(d Decision, reasons []Reason, cause string) []string {
	deciding := Deciding(d, reasons)
	// The completed rule goes first: the cause explains it.
	for i, r := range deciding {
		if r.Metric == "completed" && i > 0 {
			deciding = append([]Reason{r}, append(deciding[:i:i], deciding[i+1:]...)...)
			break
		}
	}
	var lines []string
	for _, r := range deciding {
		lines = append(lines, r.Message)
	}
	switch {
	case len(lines) == 0 && d == Allow:
		lines = []string{"every rule within its limits"}
	case len(lines) == 0:
		lines = []string{"no rule decided (a policy without rules refuses)"}
	}
	if cause != "" {
		lines[0] += " (" + cause + ")"
	}
	return lines
}
