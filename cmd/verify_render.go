package cmd

import (
	"fmt"
	"io"

	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

// reportCode maps a report to an exit code: 2 malformed, 1 a check failed
// or REFUSE, 3 MARGINAL not admitted, 0 verified and admissible.
func reportCode(r *verify.Report) int {
	switch {
	case r.Malformed():
		return ExitError
	case r.Admissible():
		return ExitOK
	case r.Verified() && r.Decision() == policy.Marginal:
		return ExitMarginal
	}
	return ExitFail
}

// worseCode orders exit codes by severity: 2 > 1 > 3 > 0.
func worseCode(a, b int) int {
	rank := map[int]int{ExitOK: 0, ExitMarginal: 1, ExitFail: 2, ExitError: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func renderBundle(w io.Writer, br verified, verbose bool) {
	if br.report == nil {
		fmt.Fprintf(w, "%s: NOT VERIFIED (could not evaluate)\n", br.Path)
		return
	}
	on := colourOn(w)
	state := paint(on, policy.Allow, "VERIFIED")
	switch {
	case !br.report.Verified():
		state = paint(on, policy.Refuse, "NOT VERIFIED")
	case !br.report.Admissible():
		state = "verified but " + paint(on, br.report.Decision(), "NOT ADMISSIBLE: "+string(br.report.Decision()))
	}
	fmt.Fprintf(w, "%s: %s\n", br.Path, state)
	for _, e := range br.Envelopes {
		if e.Decision != "" {
			fmt.Fprintf(w, "  envelope %d: run %s, decision %s, policy %q, signed by %d trusted key(s)\n", e.Line, e.RunID, e.Decision, e.Policy, len(e.Signers))
			if e.Decision != policy.Allow {
				fmt.Fprintf(w, "    why: %s\n", e.Explanation)
			}
			if e.Graded != "" {
				fmt.Fprintf(w, "    graded %s under %q: %s\n", e.Graded, e.GradedBy, orDefault(e.GradedWhy, "every rule within its limits"))
			}
		}
	}
	for _, ch := range br.Checks {
		if !verbose && ch.Status != verify.Fail {
			continue
		}
		fmt.Fprintf(w, "  %-4s %-24s %s\n", ch.Status, ch.ID, ch.Reason)
		for _, n := range ch.Added {
			fmt.Fprintf(w, "         added:   %s\n", n)
		}
		for _, n := range ch.Missing {
			fmt.Fprintf(w, "         missing: %s\n", n)
		}
		for _, n := range ch.Changed {
			fmt.Fprintf(w, "         changed: %s\n", n)
		}
	}
}

// renderTotals prints the closing line: "N of M verified, K admissible".
func renderTotals(w io.Writer, results []verified) {
	n, k := 0, 0
	for _, br := range results {
		if br.report != nil && br.report.Verified() {
			n++
		}
		if br.report != nil && br.report.Admissible() {
			k++
		}
	}
	fmt.Fprintf(w, "%d of %d verified, %d admissible\n", n, len(results), k)
}
