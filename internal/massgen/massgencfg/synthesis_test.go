package massgencfg

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestGenerateSynthesis(t *testing.T) {
	b, err := Generate(Options{BaseURL: "http://127.0.0.1:1234/v1", Model: "m", Mode: Synthesis})
	if err != nil {
		t.Fatal(err)
	}
	c := parse(t, b)
	wantIDs := []string{"final_synthesizer", "context_information_gatherer", "domain_expert_1"}
	var ids []string
	for _, a := range c.Agents {
		ids = append(ids, a.ID)
		if a.Backend != (backend{Type: "vllm", Model: "m", BaseURL: "http://127.0.0.1:1234/v1", Temperature: 0, MaxTokens: DefaultMaxTokens}) {
			t.Errorf("agent %s backend = %+v", a.ID, a.Backend)
		}
		r, ok := RoleOf(a.ID)
		if !ok || a.SystemMessage != systemMessage(r) || a.SystemMessage == "" {
			t.Errorf("agent %s: role %q %v, system message %q", a.ID, r, ok, a.SystemMessage)
		}
	}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("agents %q, want %q (the synthesizer first: MassGen's presenter without votes)", ids, wantIDs)
	}
	want := orchestrator{SkipVoting: true, MaxNewAnswersPerAgent: 1, MaxNewAnswersGlobal: 3, FinalAnswerStrategy: "synthesize"}
	if c.Orchestrator != want {
		t.Errorf("orchestrator = %+v, want %+v", c.Orchestrator, want)
	}
	// temperature 0 is written, not left to MassGen's default.
	if n := strings.Count(string(b), "temperature: 0\n"); n != 3 {
		t.Errorf("%d agents with temperature 0, want 3:\n%s", n, b)
	}
	for _, banned := range []string{"voting_sensitivity", "skip_final_presentation: true", "api_key", "cwd"} {
		if strings.Contains(string(b), banned) {
			t.Errorf("synthesis config contains %q:\n%s", banned, b)
		}
	}
	info, err := Inspect(b)
	if err != nil {
		t.Fatal(err)
	}
	wantRoles := []AgentRole{{"final_synthesizer", Synthesizer}, {"context_information_gatherer", Gatherer}, {"domain_expert_1", Expert}}
	if info.Mode != Synthesis || !slices.Equal(info.Roles, wantRoles) {
		t.Errorf("Inspect: mode %q roles %+v", info.Mode, info.Roles)
	}
}

func TestGenerateSynthesisExperts(t *testing.T) {
	b, err := Generate(Options{BaseURL: "http://127.0.0.1:1234/v1", Model: "m", Mode: Synthesis, Agents: 5})
	if err != nil {
		t.Fatal(err)
	}
	c := parse(t, b)
	var ids []string
	for _, a := range c.Agents {
		ids = append(ids, a.ID)
	}
	want := []string{"final_synthesizer", "context_information_gatherer", "domain_expert_1", "domain_expert_2", "domain_expert_3"}
	if !slices.Equal(ids, want) || c.Orchestrator.MaxNewAnswersGlobal != 5 {
		t.Errorf("agents %q (global cap %d), want %q", ids, c.Orchestrator.MaxNewAnswersGlobal, want)
	}
}

func TestGenerateSynthesisInvalid(t *testing.T) {
	for name, o := range map[string]Options{
		"two agents":         {Agents: 2},
		"one agent":          {Agents: 1},
		"two answers":        {MaxAnswersPerAgent: 2},
		"no presentation":    {SkipFinalPresentation: true},
		"unknown mode":       {Mode: "debate"},
		"mode in upper case": {Mode: "SYNTHESIS"},
	} {
		t.Run(name, func(t *testing.T) {
			o.BaseURL, o.Model = "http://127.0.0.1:1234/v1", "m"
			if o.Mode == "" {
				o.Mode = Synthesis
			}
			if b, err := Generate(o); !errors.Is(err, ErrInvalid) || b != nil {
				t.Fatalf("Generate(%+v) = %d bytes, %v; want ErrInvalid", o, len(b), err)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"voting": Voting, "synthesis": Synthesis, " Synthesis ": Synthesis, "VOTING": Voting} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "vote", "decomposition", "synthesize"} {
		if _, err := ParseMode(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseMode(%q) = %v, want ErrInvalid", in, err)
		}
	}
}

func TestRoleOf(t *testing.T) {
	for id, want := range map[string]Role{
		"context_information_gatherer": Gatherer, "final_synthesizer": Synthesizer,
		"domain_expert": Expert, "domain_expert_1": Expert, "domain_expert_24": Expert,
	} {
		if r, ok := RoleOf(id); !ok || r != want {
			t.Errorf("RoleOf(%q) = %q, %v; want %q", id, r, ok, want)
		}
	}
	for _, id := range []string{"", "agent_a", "domain_expert_", "domain_expert_0", "domain_expert_01", "domain_expert_+1",
		"domain_expert_-1", "domain_expert_1x", "domain_expert_1000", "Final_Synthesizer", "final_synthesizer_2", "domain_experts"} {
		if r, ok := RoleOf(id); ok {
			t.Errorf("RoleOf(%q) = %q, want no role", id, r)
		}
	}
}

func TestInspectMode(t *testing.T) {
	const agents = "agents:\n  - {id: final_synthesizer, backend: {type: vllm}}\n  - {id: agent_b, backend: {type: vllm}}\n  - {id: domain_expert, backend: {type: vllm}}\n"
	tests := []struct {
		name, orch string
		mode       Mode
		roles      []AgentRole
	}{
		{"no orchestrator", "", Voting, nil},
		{"voting", "orchestrator: {voting_sensitivity: lenient}\n", Voting, nil},
		{"skip_voting false", "orchestrator: {skip_voting: false}\n", Voting, nil},
		{"skip_voting", "orchestrator: {skip_voting: true, final_answer_strategy: synthesize}\n", Synthesis,
			[]AgentRole{{"final_synthesizer", Synthesizer}, {"domain_expert", Expert}}},
		// MassGen reads skip_voting with Python's bool(): "false" is true.
		{"skip_voting string", "orchestrator: {skip_voting: \"false\"}\n", Synthesis,
			[]AgentRole{{"final_synthesizer", Synthesizer}, {"domain_expert", Expert}}},
		{"skip_voting 0", "orchestrator: {skip_voting: 0}\n", Voting, nil},
		{"decomposition", "orchestrator: {coordination_mode: decomposition, skip_voting: true}\n", Decomposition, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := Inspect([]byte(agents + tt.orch))
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode != tt.mode || !slices.Equal(info.Roles, tt.roles) {
				t.Errorf("mode %q roles %+v; want %q %+v", info.Mode, info.Roles, tt.mode, tt.roles)
			}
		})
	}
	for _, bad := range []string{"orchestrator: [a]\n", "orchestrator: {coordination_mode: [a]}\n"} {
		if _, err := Inspect([]byte(agents + bad)); !errors.Is(err, ErrConfig) {
			t.Errorf("Inspect(%q) = %v, want ErrConfig", bad, err)
		}
	}
}
