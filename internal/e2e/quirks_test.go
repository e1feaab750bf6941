package e2e

import (
	"slices"
	"strings"
	"testing"

	"cohos.dev/cohos/internal/substrate"
	"cohos.dev/cohos/policy"
)

// TestQuirkProfiles rehearses the default policy against the substrate's
// plays of real servers' quirks, with real MassGen: llama-server's wire
// (timings, any model name) changes nothing; a server that ignores tools
// without tool_choice (llama-cpp-python's) gets every agent killed and a
// REFUSE that names the failure; without a usage chunk MassGen estimates
// the tokens and the run still completes.
func TestQuirkProfiles(t *testing.T) {
	tests := []struct {
		sc    scenario
		cause string // a substring of the attested cause
	}{
		{sc: scenario{
			profile: substrate.LlamaServer, flags: []string{"--timeout", "4m"},
			decision: policy.Allow, code: 0,
			metrics: map[string]string{"completed": "true", "agent_errors": "0", "answers_total": "3", "enforcement_retries": "0"},
			files:   answerFiles(),
		}},
		{sc: scenario{
			profile: substrate.NoToolChoice, flags: []string{"--timeout", "4m"},
			decision: policy.Refuse, code: 1, decider: "completed",
			metrics:  map[string]string{"completed": "false", "agent_errors": "3", "answers_total": "0", "enforcement_retries": "6"},
			refusing: []string{"agent_errors"},
			marginal: []string{"enforcement_retries"}, // 6 re-prompts: at the default policy's refuse limit, not past it
			files:    []string{"artifacts/index.txt", "massgen_timeline.json"},
		}, cause: "Agent failed to use workflow tools after 3 attempts"},
		{sc: scenario{
			profile: substrate.NoUsage, flags: []string{"--timeout", "4m"},
			decision: policy.Allow, code: 0,
			metrics: map[string]string{"completed": "true", "agent_errors": "0", "answers_total": "3"},
			files:   answerFiles(),
		}},
	}
	for _, tc := range tests {
		t.Run(string(tc.sc.profile), func(t *testing.T) {
			t.Parallel()
			w := needMassGen(t)
			g := govern(t, w, tc.sc)
			g.check(t, w, tc.sc)
			if c := g.pred.Run.Cause; tc.cause == "" && c != "" || !strings.Contains(c, tc.cause) {
				t.Errorf("attested cause %q, want one naming %q", c, tc.cause)
			}
			if tc.cause != "" && !slices.ContainsFunc(g.pred.Run.Problems, func(p string) bool { return strings.Contains(p, tc.cause) }) {
				t.Errorf("run problems %q, want one naming %q", g.pred.Run.Problems, tc.cause)
			}
		})
	}
}
