package massgen

import (
	"context"
	"encoding/json"
	"maps"
	"path"
	"slices"
	"testing"

	"cohos.dev/cohos/policy"
)

// TestAnalyzeFixtures pins every metric Analyze derives from the real
// MassGen 0.1.91 runs in testdata/massgen (see its README).
func TestAnalyzeFixtures(t *testing.T) {
	agents := []string{"agent_a", "agent_b", "agent_c"}
	tests := []struct {
		name     string
		want     policy.Metrics
		winner   string
		final    string // relative to the log directory
		problems []string
		answers  int // len(AgentAnswers)
		model    string
	}{
		{
			name: "stable",
			want: policy.Metrics{
				"model_calls": num(7),
				"completed":   boolean(true), "timed_out": boolean(false), "restarts": num(0), "agent_restarts": num(3),
				"answers_total": num(3), "answers_per_agent_max": num(1), "ignored_votes": num(0),
				"enforcement_retries": num(0), "agent_errors": num(0), "tokens_in": num(25673),
				"tokens_out": num(159), "round_latency_p50_seconds": num(0.13782),
				"round_latency_p95_seconds": num(0.31752), "agents": num(3), "votes_total": num(3), "errors_total": num(0),
			},
			winner: "agent_a", final: "turn_1/final/agent_a/answer.txt", answers: 3, model: "cohos-substrate-stable",
		},
		{
			name: "slow",
			want: policy.Metrics{
				"model_calls": num(7),
				"completed":   boolean(true), "timed_out": boolean(false), "restarts": num(0), "agent_restarts": num(3),
				"answers_total": num(3), "answers_per_agent_max": num(1), "ignored_votes": num(0),
				"enforcement_retries": num(0), "agent_errors": num(0), "tokens_in": num(25667),
				"tokens_out": num(155), "round_latency_p50_seconds": num(5.57163),
				"round_latency_p95_seconds": num(15.24846), "agents": num(3), "votes_total": num(3), "errors_total": num(0),
			},
			winner: "agent_a", final: "turn_1/final/agent_a/answer.txt", answers: 3, model: "cohos-substrate-slow",
		},
		{
			name: "thrash",
			want: policy.Metrics{
				"model_calls": num(19),
				"completed":   boolean(true), "timed_out": boolean(false), "restarts": num(12), "agent_restarts": num(15),
				"answers_total": num(15), "answers_per_agent_max": num(5), "ignored_votes": num(0),
				"enforcement_retries": num(0), "agent_errors": num(0), "tokens_in": num(83360),
				"tokens_out": num(480), "round_latency_p50_seconds": num(0.28504),
				"round_latency_p95_seconds": num(1.60502), "agents": num(3), "votes_total": num(3), "errors_total": num(0),
			},
			winner: "agent_a", final: "turn_1/final/agent_a/answer.txt", answers: 3, model: "cohos-substrate-thrash",
		},
		{
			// One stream cut (an enforcement retry that recovered) and a failed
			// presentation: MassGen still says completed and copies the
			// winner's answer; no coordination_events.json, so no ignored_votes.
			name: "flaky",
			want: policy.Metrics{
				"completed": boolean(true), "timed_out": boolean(false), "restarts": num(3), "agent_restarts": num(6),
				"answers_total": num(3), "answers_per_agent_max": num(1),
				"enforcement_retries": num(1), "agent_errors": num(0), "tokens_in": num(39531),
				"tokens_out": num(219), "round_latency_p50_seconds": num(0.1968),
				"round_latency_p95_seconds": num(0.64252), "agents": num(3), "votes_total": num(5), "errors_total": num(1),
			},
			winner: "agent_a", final: "turn_1/final/agent_a/answer.txt", answers: 3, model: "cohos-substrate-flaky",
		},
		{
			// Every agent killed: only the text events and reliability say so.
			name: "dead",
			want: policy.Metrics{
				"completed": boolean(false), "timed_out": boolean(false), "restarts": num(0), "agent_restarts": num(0),
				"answers_total": num(0), "answers_per_agent_max": num(0),
				"enforcement_retries": num(6), "agent_errors": num(3), "tokens_in": num(0),
				"tokens_out": num(0), "agents": num(3), "votes_total": num(0), "errors_total": num(9),
			},
			model: "cohos-substrate-dead",
		},
		{
			// finish_reason stays in_progress, but winner_selected names the
			// winner and its final answer exists: completed.
			name: "stable-skip-presentation",
			want: policy.Metrics{
				"model_calls": num(6),
				"completed":   boolean(true), "timed_out": boolean(false), "restarts": num(0), "agent_restarts": num(3),
				"answers_total": num(3), "answers_per_agent_max": num(1), "ignored_votes": num(0),
				"enforcement_retries": num(0), "agent_errors": num(0), "tokens_in": num(24864),
				"tokens_out": num(141), "round_latency_p50_seconds": num(0.12784),
				"round_latency_p95_seconds": num(0.30955), "agents": num(3), "votes_total": num(3), "errors_total": num(0),
			},
			winner: "agent_a", final: "turn_1/final/agent_a/answer.txt", answers: 3, model: "cohos-substrate-stable",
		},
		{
			name: "truncated",
			want: policy.Metrics{
				"model_calls": num(7),
				"completed":   boolean(false), "timed_out": boolean(false), "restarts": num(0), "agent_restarts": num(3),
				"answers_total": num(3), "answers_per_agent_max": num(1), "ignored_votes": num(0),
				"agent_errors": num(0), "agents": num(3), "enforcement_retries": num(0), "votes_total": num(3), "errors_total": num(0),
			},
			winner: "agent_a", final: "turn_1/final/agent_a/answer.txt", answers: 3, model: "cohos-substrate-stable",
			problems: []string{"status.json: truncated"},
		},
		{
			name: "no-events",
			want: policy.Metrics{
				"model_calls": num(7),
				"completed":   boolean(false), "timed_out": boolean(false),
				"answers_total": num(3), "answers_per_agent_max": num(1), "ignored_votes": num(0),
				"enforcement_retries": num(0), "agent_errors": num(0), "tokens_in": num(25673),
				"tokens_out": num(159), "round_latency_p50_seconds": num(0.13782),
				"round_latency_p95_seconds": num(0.31752), "agents": num(3),
			},
			winner: "agent_a", final: "turn_1/final/agent_a/answer.txt", answers: 3, model: "cohos-substrate-stable",
			problems: []string{"events.jsonl: missing"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, dir := analyzeFixture(t, tt.name)
			for _, d := range diffMetrics(a.Metrics, tt.want) {
				t.Error(d)
			}
			if a.Winner != tt.winner {
				t.Errorf("Winner = %q, want %q", a.Winner, tt.winner)
			}
			wantFinal := ""
			if tt.final != "" {
				wantFinal = path.Join(dir, tt.final)
			}
			if a.FinalAnswer != wantFinal {
				t.Errorf("FinalAnswer = %q, want %q", a.FinalAnswer, wantFinal)
			}
			if !slices.Equal(a.Problems, tt.problems) {
				t.Errorf("Problems = %q, want %q", a.Problems, tt.problems)
			}
			if !slices.Equal(a.Agents, agents) || !slices.Equal(a.Timeline.Agents, agents) {
				t.Errorf("Agents = %q, Timeline.Agents = %q, want %q", a.Agents, a.Timeline.Agents, agents)
			}
			if !slices.Equal(a.Models, []string{tt.model}) || a.Version != "0.1.91" {
				t.Errorf("Models = %q, Version = %q", a.Models, a.Version)
			}
			if len(a.AgentAnswers) != tt.answers {
				t.Errorf("AgentAnswers = %q, want %d entries", a.AgentAnswers, tt.answers)
			}
			if a.Timeline.Winner != tt.winner {
				t.Errorf("Timeline.Winner = %q, want %q", a.Timeline.Winner, tt.winner)
			}
		})
	}
}

func TestAgentAnswersAreLatest(t *testing.T) {
	a, dir := analyzeFixture(t, "thrash")
	want := map[string]string{
		"agent_a": "turn_1/attempt_1/agent_a/20261124_053124_213745/answer.txt",
		"agent_b": "turn_1/attempt_1/agent_b/20261124_053124_153177/answer.txt",
		"agent_c": "turn_1/attempt_1/agent_c/20261124_053124_196503/answer.txt",
	}
	for id, rel := range want {
		if got := a.AgentAnswers[id]; got != path.Join(dir, rel) {
			t.Errorf("AgentAnswers[%s] = %q, want %q", id, got, path.Join(dir, rel))
		}
	}
}

func TestTimelineStable(t *testing.T) {
	a, _ := analyzeFixture(t, "stable")
	tl := a.Timeline
	if len(tl.Rounds) != 7 {
		t.Fatalf("%d rounds, want 7", len(tl.Rounds))
	}
	perAgent := map[string]int{}
	for i, r := range tl.Rounds {
		perAgent[r.Agent]++
		if r.DurationSeconds <= 0 || r.Start.IsZero() || r.End.Before(r.Start) || r.InputTokens <= 0 {
			t.Errorf("round %d = %+v: want a duration, start <= end and tokens", i, r)
		}
		if i > 0 && r.Start.Before(tl.Rounds[i-1].Start) {
			t.Errorf("round %d starts before round %d", i, i-1)
		}
	}
	if perAgent["agent_a"] != 3 || perAgent["agent_b"] != 2 || perAgent["agent_c"] != 2 {
		t.Errorf("rounds per agent = %v, want a:3 b:2 c:2", perAgent)
	}
	first := tl.Rounds[0]
	if first.Agent != "agent_a" || first.Outcome != "answer" || first.DurationSeconds != 0.31752 ||
		first.Start.UnixMicro() != 1795498269308650 || first.InputTokens != 3375 || first.OutputTokens != 21 {
		t.Errorf("first round = %+v", first)
	}
	types := map[string]int{}
	for i, e := range tl.Events {
		types[e.Type]++
		if i > 0 && e.Time.Before(tl.Events[i-1].Time) {
			t.Errorf("event %d is before event %d", i, i-1)
		}
	}
	if want := map[string]int{"answer": 3, "vote": 3, "restart": 3, "winner": 1}; !maps.Equal(types, want) {
		t.Errorf("event types = %v, want %v", types, want)
	}
	last := tl.Events[len(tl.Events)-1]
	if last.Type != "winner" || last.Agent != "agent_a" || last.Detail != "presentation" {
		t.Errorf("last event = %+v, want the winner", last)
	}
	// The timeline survives its own strict parser.
	b, err := json.Marshal(tl)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseTimeline(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Rounds) != 7 || len(back.Events) != len(tl.Events) || !back.Rounds[0].Start.Equal(first.Start) {
		t.Errorf("round trip lost data: %+v", back)
	}
}

func TestTimelineDead(t *testing.T) {
	a, _ := analyzeFixture(t, "dead")
	killed := map[string]bool{}
	errs := 0
	for _, e := range a.Timeline.Events {
		if e.Type != "error" {
			t.Errorf("event %+v: only errors expected", e)
		}
		errs++
		if e.Detail == "❌ "+killedText+" after 3 attempts" {
			killed[e.Agent] = true
		}
	}
	if errs != 12 || len(killed) != 3 || len(a.Timeline.Rounds) != 0 {
		t.Errorf("%d error events, %d agents killed, %d rounds; want 12, 3, 0", errs, len(killed), len(a.Timeline.Rounds))
	}
}

func BenchmarkAnalyzeThrash(b *testing.B) {
	fsys, dir := mapFixture(b, "thrash")
	for b.Loop() {
		if a := Analyze(context.Background(), fsys, dir); len(a.Problems) != 0 {
			b.Fatal(a.Problems)
		}
	}
}
