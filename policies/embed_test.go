package policies_test

import (
	"bytes"
	"reflect"
	"testing"

	"cohos.dev/cohos/policies"
	"cohos.dev/cohos/policy"
)

func parse(t *testing.T, data []byte) *policy.Policy {
	t.Helper()
	p, err := policy.Parse(data)
	if err != nil {
		t.Fatalf("shipped policy does not parse: %v", err)
	}
	return p
}

// TestStarterMatchesDefault: the starter file has exactly the default rules.
func TestStarterMatchesDefault(t *testing.T) {
	d, s := parse(t, policies.Default()), parse(t, policies.Starter())
	if !reflect.DeepEqual(d.Rules, s.Rules) {
		t.Fatalf("rules differ:\ndefault %s\nstarter %s", d.Canonical(), s.Canonical())
	}
	if d.Name != "cohos-default" {
		t.Fatalf("default policy is named %q", d.Name)
	}
	// Pinning the file policy init writes pins the default.
	if d.Digest() != s.Digest() {
		t.Fatalf("starter digest %s, default %s", s.Digest(), d.Digest())
	}
}

func TestCopies(t *testing.T) {
	a := policies.Default()
	a[0] = 'X'
	if bytes.Equal(a, policies.Default()) {
		t.Fatalf("Default() hands out shared bytes")
	}
}

// The metrics each kind of run reports (see the runner).
var (
	commandMetrics = []string{"completed", "exit_code", "wall_seconds", "restarts", "timed_out", "interrupted", "stdout_bytes", "stderr_bytes", "isolated"}
	massgenMetrics = []string{"completed", "isolated", "timed_out", "interrupted", "wall_seconds", "restarts", "answers_total",
		"answers_per_agent_max", "ignored_votes", "enforcement_retries", "agent_errors", "tokens_in", "tokens_out",
		"round_latency_p50_seconds", "round_latency_p95_seconds"}
)

// TestDefaultFitsBothRunKinds: every rule names a real metric, and a rule
// whose metric one kind of run lacks allows it missing.
func TestDefaultFitsBothRunKinds(t *testing.T) {
	for _, r := range parse(t, policies.Default()).Rules {
		inCmd, inMG := contains(commandMetrics, r.Metric), contains(massgenMetrics, r.Metric)
		if !inCmd && !inMG {
			t.Errorf("rule for unknown metric %q", r.Metric)
		}
		if (!inCmd || !inMG) && r.Missing != policy.Allow {
			t.Errorf("%q exists for one kind of run only but missing is %q", r.Metric, r.Missing)
		}
		if inCmd && inMG && r.Missing != "" {
			t.Errorf("%q exists for every run but does not fail closed", r.Metric)
		}
	}
}

func TestDefaultDecisions(t *testing.T) {
	healthyMassGen := policy.Metrics{
		"completed": policy.Bool(true), "timed_out": policy.Bool(false), "interrupted": policy.Bool(false),
		"wall_seconds": policy.Num(42), "restarts": policy.Num(1), "answers_total": policy.Num(3),
		"answers_per_agent_max": policy.Num(2), "ignored_votes": policy.Num(0), "enforcement_retries": policy.Num(0),
		"agent_errors": policy.Num(0), "tokens_in": policy.Num(5000), "tokens_out": policy.Num(800),
		"round_latency_p50_seconds": policy.Num(0.4), "round_latency_p95_seconds": policy.Num(0.9),
		"isolated": policy.Bool(true),
	}
	with := func(m policy.Metrics, k string, v policy.Value) policy.Metrics {
		out := policy.Metrics{}
		for key, val := range m {
			out[key] = val
		}
		out[k] = v
		return out
	}
	tests := []struct {
		name    string
		metrics policy.Metrics
		want    policy.Decision
		decider string
	}{
		{"healthy command", policy.Metrics{
			"completed": policy.Bool(true), "exit_code": policy.Num(0), "wall_seconds": policy.Num(1.2),
			"restarts": policy.Num(0), "timed_out": policy.Bool(false), "interrupted": policy.Bool(false),
			"stdout_bytes": policy.Num(120), "stderr_bytes": policy.Num(0), "isolated": policy.Bool(true)}, policy.Allow, ""},
		{"failing command", policy.Metrics{
			"completed": policy.Bool(false), "exit_code": policy.Num(1), "wall_seconds": policy.Num(1.2),
			"restarts": policy.Num(0), "timed_out": policy.Bool(false), "interrupted": policy.Bool(false)}, policy.Refuse, "completed"},
		{"healthy massgen", healthyMassGen, policy.Allow, ""},
		{"slow model server", with(healthyMassGen, "round_latency_p95_seconds", policy.Num(8.5)), policy.Marginal, "round_latency_p95_seconds"},
		{"thrashing", with(healthyMassGen, "restarts", policy.Num(9)), policy.Refuse, "restarts"},
		{"answer churn", with(healthyMassGen, "answers_per_agent_max", policy.Num(3)), policy.Marginal, "answers_per_agent_max"},
		{"one agent error", with(healthyMassGen, "agent_errors", policy.Num(1)), policy.Marginal, "agent_errors"},
		{"timed out", with(healthyMassGen, "timed_out", policy.Bool(true)), policy.Refuse, "timed_out"},
		{"not isolated", with(healthyMassGen, "isolated", policy.Bool(false)), policy.Refuse, "isolated"},
		{"nothing observed", policy.Metrics{}, policy.Refuse, "completed"},
	}
	p := parse(t, policies.Default())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := policy.Evaluate(p, tt.metrics)
			d := res.Decider()
			if res.Decision != tt.want || (d == nil) != (tt.decider == "") || (d != nil && d.Metric != tt.decider) {
				t.Fatalf("got %s decided by %+v, want %s by %q", res.Decision, d, tt.want, tt.decider)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
