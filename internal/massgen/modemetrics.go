package massgen

import (
	"slices"

	"cohos.dev/cohos/internal/massgen/massgencfg"
	"cohos.dev/cohos/policy"
)

// votingMetrics are observed only when MassGen's agents vote. In
// synthesis mode no agent is asked to vote, so these are left out (a
// rule on them sees "not observed" and its missing outcome decides)
// rather than reported as a misleading 0.
var votingMetrics = []string{"votes_total", "ignored_votes"}

// metricNames are the metrics a MassGen run can report, in SPEC.md's order.
var metricNames = []string{
	"completed", "timed_out", "interrupted", "wall_seconds", "agents", "agent_restarts", "restarts",
	"answers_total", "answers_per_agent_max", "votes_total", "ignored_votes", "enforcement_retries",
	"errors_total", "agent_errors", "model_calls", "tokens_in", "tokens_out",
	"round_latency_p50_seconds", "round_latency_p95_seconds",
	"massgen_exit_code", "stdout_bytes", "stderr_bytes", "stragglers_killed",
}

// ModeMetrics returns the names of the metrics a MassGen run of mode can
// report ("" = voting), in a fixed order. A metric a run could not observe
// (unreadable logs) is still left out of that run's metrics.
func ModeMetrics(mode massgencfg.Mode) []string {
	if mode != massgencfg.Synthesis {
		return slices.Clone(metricNames)
	}
	var names []string
	for _, n := range metricNames {
		if !slices.Contains(votingMetrics, n) {
			names = append(names, n)
		}
	}
	return names
}

// forMode removes from m the metrics mode does not produce.
func forMode(m policy.Metrics, mode massgencfg.Mode) {
	if mode != massgencfg.Synthesis {
		return
	}
	for _, n := range votingMetrics {
		delete(m, n)
	}
}
