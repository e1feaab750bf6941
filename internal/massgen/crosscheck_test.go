package massgen

import (
	"context"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
)

func TestIsRetry(t *testing.T) {
	for c, want := range map[string]bool{
		"❌ Retry (1/3): You must use workflow tools (vote or new_answer) to complete the task.": true,
		"❌ Retry (2/3): anything": true,
		"❌ Retry (12/20)":         true,
		"❌ Retry (0/3): x":        false,
		"❌ Retry (4/3): x":        false,
		"❌ Retry (1/): x":         false,
		"❌ Retry (/3): x":         false,
		"❌ Retry (1/3 x":          false,
		"Retry (1/3): no mark":    false,
		"❌ Agent failed to use workflow tools after 3 attempts": false,
		"❌ Retry (1234567/9999999)":                             false,
	} {
		if got := isRetry(c); got != want {
			t.Errorf("isRetry(%q) = %v, want %v", c, got, want)
		}
	}
}

// TestCrossCheckLaggingStatus: the dead run's status.json edited to an
// earlier snapshot (agent_c's reliability not written yet, agent_b one
// record short). The metric stays the events' count; each disagreement is
// a problem.
func TestCrossCheckLaggingStatus(t *testing.T) {
	m, dir := mapFixture(t, "dead")
	editJSON(t, m, attemptFile(dir, statusName), func(v map[string]any) {
		agents := v["agents"].(map[string]any)
		delete(agents["agent_c"].(map[string]any), "reliability")
		rel := agents["agent_b"].(map[string]any)["reliability"].(map[string]any)
		att := rel["enforcement_attempts"].([]any)
		rel["enforcement_attempts"] = att[:2]
		rel["total_enforcement_retries"] = 2.0
	})
	a := Analyze(context.Background(), m, dir)
	if v := a.Metrics["enforcement_retries"].String(); v != "6" {
		t.Errorf("enforcement_retries = %s, want 6 (the Retry events)", v)
	}
	want := []string{
		`status.json: enforcement retries of agent_b is 1 but events.jsonl has 2 "Retry (n/m)" events (the metric counts the events)`,
		`status.json: enforcement retries of agent_c is 0 but events.jsonl has 2 "Retry (n/m)" events (the metric counts the events)`,
	}
	if !slices.Equal(a.Problems, want) {
		t.Errorf("Problems = %q, want %q", a.Problems, want)
	}
	if a.Metrics["completed"].String() != "false" {
		t.Errorf("completed = %s", a.Metrics["completed"])
	}
}

// TestCrossCheckAnswers: status.json short of an answer the events have.
func TestCrossCheckAnswers(t *testing.T) {
	m, dir := mapFixture(t, "stable")
	editJSON(t, m, attemptFile(dir, statusName), func(v map[string]any) {
		v["agents"].(map[string]any)["agent_b"].(map[string]any)["answer_count"] = 0.0
	})
	a := Analyze(context.Background(), m, dir)
	want := []string{"status.json: answer_count of agent_b is 0 but events.jsonl has 1 answer_submitted events (the metric counts the events)"}
	if !slices.Equal(a.Problems, want) || a.Metrics["answers_total"].String() != "3" || a.Metrics["completed"].String() != "false" {
		t.Errorf("Problems = %q, answers_total %s, completed %s", a.Problems, a.Metrics["answers_total"], a.Metrics["completed"])
	}
}

// TestFailuresNameTheCause: the dead run's agents were killed after
// HTTP 500s; each failure quotes the kill notice and the last error.
func TestFailuresNameTheCause(t *testing.T) {
	a, _ := analyzeFixture(t, "dead")
	if len(a.Failures) != 3 {
		t.Fatalf("Failures = %q, want 3", a.Failures)
	}
	for i, id := range []string{"agent_a", "agent_b", "agent_c"} {
		want := id + ": Agent failed to use workflow tools after 3 attempts; last error: Error code: 500 - {'error': {'message': 'scripted failure: the dead substrate profile fails this request'"
		if !strings.HasPrefix(a.Failures[i], want) {
			t.Errorf("Failures[%d] = %q, want prefix %q", i, a.Failures[i], want)
		}
	}
	if a, _ := analyzeFixture(t, "flaky"); len(a.Failures) != 0 {
		t.Errorf("flaky (recovered) Failures = %q, want none", a.Failures)
	}
}

func TestAgentsFailed(t *testing.T) {
	a, _ := analyzeFixture(t, "dead")
	got := AgentsFailed(a)
	if !strings.HasPrefix(got, "agent_a: Agent failed to use workflow tools after 3 attempts; last error: Error code: 500") ||
		!strings.HasSuffix(got, " (and 2 more agents failed)") {
		t.Errorf("AgentsFailed(dead) = %q", got)
	}
	for _, name := range []string{"stable", "flaky"} {
		if a, _ := analyzeFixture(t, name); AgentsFailed(a) != "" {
			t.Errorf("AgentsFailed(%s) = %q, want none", name, AgentsFailed(a))
		}
	}
}

// TestLaggingStatusCapture pins the metric on a real fast-failing run
// (testdata/massgen/no-tool-choice: MassGen 0.1.91 against the substrate's
// no-tool-choice profile, every agent killed in 40 s): its last status.json
// snapshot holds 1, 0 and 0 enforcement retries while events.jsonl logged
// two "Retry (n/3)" per agent. The metric equals the events' count.
func TestLaggingStatusCapture(t *testing.T) {
	a, dir := analyzeFixture(t, "no-tool-choice")
	b, err := os.ReadFile(path.Join(fixtures, "no-tool-choice", dir, "turn_1", "attempt_1", eventsName))
	if err != nil {
		t.Fatal(err)
	}
	retries := strings.Count(string(b), `"❌ Retry (`)
	if retries != 6 {
		t.Fatalf("the capture has %d Retry events, want 6", retries)
	}
	if got := a.Metrics["enforcement_retries"].String(); got != "6" {
		t.Errorf("enforcement_retries = %s, want %d (the events' count)", got, retries)
	}
	want := []string{
		`status.json: enforcement retries of agent_a is 1 but events.jsonl has 2 "Retry (n/m)" events (the metric counts the events)`,
		`status.json: enforcement retries of agent_b is 0 but events.jsonl has 2 "Retry (n/m)" events (the metric counts the events)`,
		`status.json: enforcement retries of agent_c is 0 but events.jsonl has 2 "Retry (n/m)" events (the metric counts the events)`,
	}
	if !slices.Equal(a.Problems, want) {
		t.Errorf("Problems = %q, want %q", a.Problems, want)
	}
	if a.Metrics["agent_errors"].String() != "3" || a.Metrics["completed"].String() != "false" {
		t.Errorf("agent_errors %s completed %s", a.Metrics["agent_errors"], a.Metrics["completed"])
	}
}

// TestRetriesAfterModelText: with a real model the notice follows the
// model's own streamed text in the same event (seen with llama-server).
func TestRetriesAfterModelText(t *testing.T) {
	for c, want := range map[string]int{
		"工作中 Comb屑❌ Retry (1/3): You must use workflow tools": 1,
		"❌ Retry (1/3): x ❌ Retry (2/3): y":                   2,
		"text ❌ Retry (x/3)":                                  0,
	} {
		if got := retries(c); got != want {
			t.Errorf("retries(%q) = %d, want %d", c, got, want)
		}
	}
}
