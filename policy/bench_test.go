package policy_test

import (
	"testing"

	"cohos.dev/cohos/policies"
	"cohos.dev/cohos/policy"
)

var benchMetrics = []byte(`{"completed": true, "timed_out": false, "interrupted": false, "restarts": 1,
 "wall_seconds": 42.5, "answers_per_agent_max": 2, "agent_errors": 0, "enforcement_retries": 1,
 "round_latency_p95_seconds": 8.25, "tokens_in": 51234, "tokens_out": 8123}`)

func BenchmarkParseDefault(b *testing.B) {
	data := policies.Default()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := policy.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseCanonical is the verifier's path: the attested canonical JSON.
func BenchmarkParseCanonical(b *testing.B) {
	p, _ := policy.Parse(policies.Default())
	data := p.Canonical()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := policy.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMetrics(b *testing.B) {
	b.SetBytes(int64(len(benchMetrics)))
	for b.Loop() {
		if _, err := policy.ParseMetrics(benchMetrics); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluateDefault(b *testing.B) {
	p, _ := policy.Parse(policies.Default())
	m, _ := policy.ParseMetrics(benchMetrics)
	for b.Loop() {
		if policy.Evaluate(p, m).Decision != policy.Marginal {
			b.Fatal("unexpected decision")
		}
	}
}

func BenchmarkDigest(b *testing.B) {
	p, _ := policy.Parse(policies.Default())
	for b.Loop() {
		_ = p.Digest()
	}
}
