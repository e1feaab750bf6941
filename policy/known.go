package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MetricInfo declares one metric a runner reports (SPEC.md §4, Metrics).
type MetricInfo struct {
	Name string `json:"name"`
	// Type is "boolean" or "number": what require or marginal/refuse need.
	Type string `json:"type"`
	// Runners are the runner kinds that report it: "command", "massgen".
	Runners     []string `json:"runners"`
	Description string   `json:"description"`
}

// CustomPrefix starts the name of a metric no runner reports, supplied by
// the caller (cohos attest --metrics): a rule on it is accepted unchecked.
const CustomPrefix = "x_"

var (
	both        = []string{"command", "massgen"}
	commandOnly = []string{"command"}
	massgenOnly = []string{"massgen"}
)

// known is the catalogue, in the order `cohos policy metrics` lists it.
var known = []MetricInfo{
	{"completed", "boolean", both, "the job ran to its end (a command: exit 0; MassGen: a winner and its final answer); false when timed out, interrupted or a log was replaced"},
	{"timed_out", "boolean", both, "cohos's --timeout (or MassGen's orchestrator timeout) stopped the job"},
	{"interrupted", "boolean", both, "a signal (Ctrl-C) stopped the job"},
	{"wall_seconds", "number", both, "elapsed time of the job in seconds"},
	{"restarts", "number", both, "re-runs by --retries; for MassGen, agent restarts beyond the first per agent"},
	{"stdout_bytes", "number", both, "bytes the job wrote to stdout"},
	{"stderr_bytes", "number", both, "bytes the job wrote to stderr"},
	{"stragglers_killed", "number", both, "processes of the job that outlived it and were killed"},
	{"isolated", "boolean", both, "the job ran in its own namespaces (Linux), not only its own process group"},
	{"exit_code", "number", commandOnly, "the command's exit status (-1 when a signal ended it, 127 not found)"},
	{"massgen_exit_code", "number", massgenOnly, "MassGen's exit status (evidence only: it exits 0 when every agent failed)"},
	{"agents", "number", massgenOnly, "agents in the run"},
	{"agent_restarts", "number", massgenOnly, "agent_restart events"},
	{"answers_total", "number", massgenOnly, "answers submitted by all agents"},
	{"answers_per_agent_max", "number", massgenOnly, "most answers one agent submitted"},
	{"ignored_votes", "number", massgenOnly, "votes MassGen ignored"},
	{"enforcement_retries", "number", massgenOnly, "times MassGen re-prompted an agent that did not answer or vote through its tools"},
	{"agent_errors", "number", massgenOnly, "agents that failed or were killed"},
	{"errors_total", "number", massgenOnly, "error events of all agents"},
	{"votes_total", "number", massgenOnly, "votes cast by all agents"},
	{"model_calls", "number", massgenOnly, "calls to the model server"},
	{"tokens_in", "number", massgenOnly, "input tokens of all agents"},
	{"tokens_out", "number", massgenOnly, "output tokens of all agents"},
	{"round_latency_p50_seconds", "number", massgenOnly, "median duration of a coordination round"},
	{"round_latency_p95_seconds", "number", massgenOnly, "95th percentile duration of a coordination round"},
}

// KnownMetrics returns the metrics the runners report, with their types.
func KnownMetrics() []MetricInfo {
	out := make([]MetricInfo, len(known))
	for i, m := range known {
		out[i] = m
		out[i].Runners = slices.Clone(m.Runners)
	}
	return out
}

// LookupMetric returns the declaration of name.
func LookupMetric(name string) (MetricInfo, bool) {
	for _, m := range known {
		if m.Name == name {
			return m, true
		}
	}
	return MetricInfo{}, false
}

// UnknownMetricError is a rule on a metric no runner reports: a typo would
// otherwise switch the rule off (missing) or refuse every run.
type UnknownMetricError struct {
	Rule    int    // index in Rules, from 0
	Metric  string // the name in the rule
	Suggest string // the closest known name, "" if none is close
}

func (e *UnknownMetricError) Error() string {
	s := "rules[" + strconv.Itoa(e.Rule) + "].metric: unknown metric " + strconv.Quote(e.Metric)
	if e.Suggest != "" {
		s += " (did you mean " + strconv.Quote(e.Suggest) + "?)"
	}
	return s
}

// Unwrap makes the error match ErrInvalidValue.
func (e *UnknownMetricError) Unwrap() error { return ErrInvalidValue }

// MetricTypeError is a rule whose kind does not fit its metric's type: a
// require on a number, or limits on a boolean.
type MetricTypeError struct {
	Rule   int
	Metric string
	Type   string
}

func (e *MetricTypeError) Error() string {
	if e.Type == "boolean" {
		return fmt.Sprintf("rules[%d]: %s is a boolean: use require: true or require: false, not marginal/refuse", e.Rule, e.Metric)
	}
	return fmt.Sprintf("rules[%d]: %s is a number: use marginal and/or refuse, not require", e.Rule, e.Metric)
}

// Unwrap makes the error match ErrInvalidValue.
func (e *MetricTypeError) Unwrap() error { return ErrInvalidValue }

// CheckKnown checks that every rule of p names a metric a runner reports
// (or a custom x_ metric) with a rule of the right kind. The error is an
// *UnknownMetricError or a *MetricTypeError for the first rule at fault.
func CheckKnown(p *Policy) error {
	for i, r := range p.Rules {
		if strings.HasPrefix(r.Metric, CustomPrefix) {
			continue
		}
		m, ok := LookupMetric(r.Metric)
		if !ok {
			return &UnknownMetricError{Rule: i, Metric: r.Metric, Suggest: suggestMetric(r.Metric)}
		}
		if (m.Type == "boolean") != (r.Require != nil) {
			return &MetricTypeError{Rule: i, Metric: r.Metric, Type: m.Type}
		}
	}
	return nil
}

// suggestMetric returns the known name closest to name: within an edit
// distance of 3, or one that has name as a prefix or the other way round.
func suggestMetric(name string) string {
	best, bestD := "", 4
	for _, m := range known {
		d := EditDistance(name, m.Name)
		if strings.HasPrefix(m.Name, name) || strings.HasPrefix(name, m.Name) {
			d = min(d, 2)
		}
		if d < bestD {
			best, bestD = m.Name, d
		}
	}
	return best
}

// EditDistance is the Levenshtein distance of two short names (O(len(a) *
// len(b)): meant for names, not text).
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
