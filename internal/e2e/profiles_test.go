package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cohos.dev/cohos/internal/substrate"
	"cohos.dev/cohos/policy"
)

// answerFiles are the files a run with a winner leaves for people to read.
func answerFiles() []string {
	return []string{
		"artifacts/final_answer.txt", "artifacts/index.txt", "artifacts/answer_agent_a.txt",
		"artifacts/answer_agent_b.txt", "artifacts/answer_agent_c.txt", "massgen_timeline.json",
		"massgen_config.yaml", "massgen_stdout.log", "massgen_invocation.json",
	}
}

// TestProfiles governs one real MassGen run per substrate profile under the
// default policy (policies/default.yaml).
func TestProfiles(t *testing.T) {
	tests := []scenario{
		{
			profile: substrate.Stable, flags: []string{"--timeout", "4m"},
			decision: policy.Allow, code: 0,
			metrics: map[string]string{
				"completed": "true", "timed_out": "false", "interrupted": "false", "massgen_exit_code": "0",
				"answers_total": "3", "answers_per_agent_max": "1", "agent_errors": "0", "agents": "3", "enforcement_retries": "0",
			},
			below: map[string]float64{"round_latency_p95_seconds": 3},
			files: answerFiles(),
		},
		{
			// 4 s per model call: every round takes longer than the
			// default policy's marginal 3 s, far below its refuse 60 s.
			// The latency rule says MARGINAL; it decides unless an earlier
			// rule (restarts: agents that restart while a slow answer is
			// pending) says MARGINAL too.
			profile: substrate.Slow, opts: substrate.Options{Latency: 4 * time.Second}, flags: []string{"--timeout", "4m"},
			decision: policy.Marginal, code: 3, decider: "*", marginal: []string{"round_latency_p95_seconds"},
			metrics: map[string]string{"completed": "true", "timed_out": "false", "answers_per_agent_max": "1", "agent_errors": "0"},
			above:   map[string]float64{"round_latency_p95_seconds": 3, "round_latency_p50_seconds": 3},
			below:   map[string]float64{"round_latency_p95_seconds": 60},
			files:   answerFiles(),
		},
		{
			// Five answers per agent: MassGen still converges (completed),
			// but the churn is past both refuse limits; restarts comes
			// first in the policy, so it decides. Usually 15 answers; an
			// agent's fifth can be cut when the others have converged
			// (MassGen's scheduling: seen once in about ten runs), so
			// the total is held to 13..15.
			profile: substrate.Thrash, flags: []string{"--timeout", "4m"},
			decision: policy.Refuse, code: 1, decider: "restarts",
			metrics:  map[string]string{"completed": "true", "answers_per_agent_max": "5", "agent_errors": "0"},
			above:    map[string]float64{"restarts": 6, "answers_total": 12},
			below:    map[string]float64{"answers_total": 16},
			refusing: []string{"answers_per_agent_max"},
			files:    answerFiles(),
		},
		{
			profile: substrate.Dead, flags: []string{"--timeout", "4m"},
			decision: policy.Refuse, code: 1, decider: "completed",
			metrics:  map[string]string{"completed": "false", "agent_errors": "3", "answers_total": "0", "massgen_exit_code": "0"},
			refusing: []string{"agent_errors"},
			files:    []string{"artifacts/index.txt", "massgen_timeline.json"},
		},
	}
	for _, sc := range tests {
		t.Run(string(sc.profile), func(t *testing.T) {
			t.Parallel()
			w := needMassGen(t)
			g := govern(t, w, sc)
			g.check(t, w, sc)
		})
	}
}

// TestTimeoutStopsAHangingMassGen: every model call hangs for a minute;
// cohos's own --timeout stops MassGen's whole process group and signs a
// REFUSE.
func TestTimeoutStopsAHangingMassGen(t *testing.T) {
	t.Parallel()
	w := needMassGen(t)
	sc := scenario{
		profile: substrate.Slow, opts: substrate.Options{Latency: time.Minute}, flags: []string{"--timeout", "20s"},
		decision: policy.Refuse, code: 1, decider: "completed",
		metrics:  map[string]string{"completed": "false", "timed_out": "true", "interrupted": "false", "massgen_exit_code": "-1"},
		refusing: []string{"timed_out"},
		below:    map[string]float64{"wall_seconds": 30},
		files:    []string{"artifacts/index.txt"},
	}
	g := govern(t, w, sc)
	g.check(t, w, sc)
	// The cause names the timeout (issue 12).
	if got := g.pred.Run.Cause; got != "timed out after 20s" {
		t.Errorf("cause %q, want %q", got, "timed out after 20s")
	}
	if !strings.Contains(g.res.stdout, "REFUSE: completed false, required true (timed out after 20s)\n") {
		t.Errorf("decision line does not name the timeout:\n%s", g.res.stdout)
	}
}

// TestMissingLogs: a "massgen" that exits 0 and writes nothing gives a
// signed REFUSE that says why, not a crash.
func TestMissingLogs(t *testing.T) {
	t.Parallel()
	w := needCohos(t)
	sc := scenario{
		profile: substrate.Stable,
		bin: func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "massgen")
			if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			return p
		},
		decision: policy.Refuse, code: 1, decider: "completed",
		metrics: map[string]string{"completed": "false", "timed_out": "false", "massgen_exit_code": "0"},
		files:   []string{"artifacts/index.txt", "massgen_config.yaml", "massgen_invocation.json"},
		problem: "massgen logs",
	}
	g := govern(t, w, sc)
	g.check(t, w, sc)
}

// TestFlaky: a quarter of the model calls fail (HTTP 500/503 or a cut
// stream). Which calls fail depends on the order in which MassGen's agents
// reach the server, so the churn differs from run to run: MassGen recovers
// (completed, no agent killed) and the run ends ALLOW or, when the
// failures made agents retry or restart, MARGINAL by that rule.
func TestFlaky(t *testing.T) {
	t.Parallel()
	w := needMassGen(t)
	sc := scenario{profile: substrate.Flaky, opts: substrate.Options{Seed: 1}, flags: []string{"--timeout", "4m"}, code: -1}
	g := govern(t, w, sc)
	if st := g.srv.Stats(); st.Failed+st.Cut == 0 {
		t.Errorf("substrate injected no failure: %+v", st)
	}
	sc.decision, sc.code = g.dec.Decision, g.res.code
	sc.decider = decider(g.dec)
	sc.metrics = map[string]string{"completed": "true", "agent_errors": "0", "answers_per_agent_max": "1", "timed_out": "false"}
	sc.files = []string{"artifacts/final_answer.txt", "artifacts/index.txt"}
	switch {
	case sc.decision == policy.Allow && sc.code == 0:
	case sc.decision == policy.Marginal && sc.code == 3 && (sc.decider == "restarts" || sc.decider == "enforcement_retries"):
	default:
		t.Errorf("flaky run ended %s (exit %d) by %q, want ALLOW, or MARGINAL by restarts or enforcement_retries; reasons: %s",
			sc.decision, sc.code, sc.decider, messages(g.dec))
	}
	g.check(t, w, sc)
}
