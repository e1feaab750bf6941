package massgencfg

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// parse decodes generated YAML strictly: an unknown key fails the test.
func parse(t *testing.T, b []byte) config {
	t.Helper()
	var c config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("generated YAML does not parse strictly: %v\n%s", err, b)
	}
	return c
}

func TestGenerateDefaults(t *testing.T) {
	b, err := Generate(Options{BaseURL: "http://127.0.0.1:1234/v1", Model: "cohos-substrate-stable"})
	if err != nil {
		t.Fatal(err)
	}
	c := parse(t, b)
	if len(c.Agents) != DefaultAgents {
		t.Fatalf("%d agents, want %d", len(c.Agents), DefaultAgents)
	}
	for i, a := range c.Agents {
		want := agent{ID: []string{"agent_a", "agent_b", "agent_c"}[i], Backend: backend{
			Type: "vllm", Model: "cohos-substrate-stable", BaseURL: "http://127.0.0.1:1234/v1", MaxTokens: DefaultMaxTokens,
		}}
		if a != want {
			t.Errorf("agent %d = %+v, want %+v", i, a, want)
		}
	}
	wantOrch := orchestrator{
		VotingSensitivity: "lenient", MaxNewAnswersPerAgent: 5, MaxNewAnswersGlobal: 15,
		SkipFinalPresentation: false, FinalAnswerStrategy: "winner_present",
	}
	if c.Orchestrator != wantOrch {
		t.Errorf("orchestrator = %+v, want %+v", c.Orchestrator, wantOrch)
	}
	if c.TimeoutSettings.OrchestratorTimeoutSeconds != 600 {
		t.Errorf("orchestrator timeout %d, want 600", c.TimeoutSettings.OrchestratorTimeoutSeconds)
	}
	for _, banned := range []string{"api_key", "cwd", "silent", "lmstudio"} {
		if strings.Contains(string(b), banned) {
			t.Errorf("generated config contains %q:\n%s", banned, b)
		}
	}
}

func TestGenerateOptions(t *testing.T) {
	b, err := Generate(Options{
		BaseURL: "https://models.example:8443/v1", Model: "qwen2.5-7b-instruct", Agents: 2,
		OrchestratorTimeout: 90*time.Second + 900*time.Millisecond, MaxAnswersPerAgent: 2, MaxTokens: 512,
		SkipFinalPresentation: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	c := parse(t, b)
	if len(c.Agents) != 2 || c.Agents[1].ID != "agent_b" || c.Agents[0].Backend.MaxTokens != 512 || c.Agents[0].Backend.BaseURL != "https://models.example:8443/v1" {
		t.Errorf("agents = %+v", c.Agents)
	}
	o := c.Orchestrator
	if o.MaxNewAnswersPerAgent != 2 || o.MaxNewAnswersGlobal != 4 || !o.SkipFinalPresentation || o.FinalAnswerStrategy != "winner_reuse" || o.Coordination.MaxOrchestrationRestarts != 0 {
		t.Errorf("orchestrator = %+v", o)
	}
	if c.TimeoutSettings.OrchestratorTimeoutSeconds != 90 {
		t.Errorf("orchestrator timeout %d, want 90", c.TimeoutSettings.OrchestratorTimeoutSeconds)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	o := Options{BaseURL: "http://127.0.0.1:1/v1", Model: "m"}
	a, err1 := Generate(o)
	b, err2 := Generate(o)
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		t.Fatalf("two calls differ or fail: %v %v", err1, err2)
	}
}

func TestGenerateInvalid(t *testing.T) {
	ok := Options{BaseURL: "http://127.0.0.1:1234/v1", Model: "m"}
	tests := []struct {
		name string
		edit func(*Options)
	}{
		{"empty url", func(o *Options) { o.BaseURL = "" }},
		{"relative url", func(o *Options) { o.BaseURL = "/v1" }},
		{"other scheme", func(o *Options) { o.BaseURL = "ftp://h/v1" }},
		{"no host", func(o *Options) { o.BaseURL = "http:///v1" }},
		{"empty model", func(o *Options) { o.Model = " " }},
		{"multi-line model", func(o *Options) { o.Model = "a\nb: c" }},
		{"negative agents", func(o *Options) { o.Agents = -1 }},
		{"too many agents", func(o *Options) { o.Agents = MaxAgents + 1 }},
		{"sub-second timeout", func(o *Options) { o.OrchestratorTimeout = time.Millisecond }},
		{"negative timeout", func(o *Options) { o.OrchestratorTimeout = -time.Second }},
		{"negative answers", func(o *Options) { o.MaxAnswersPerAgent = -1 }},
		{"negative tokens", func(o *Options) { o.MaxTokens = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			b, err := Generate(o)
			if !errors.Is(err, ErrInvalid) || b != nil {
				t.Fatalf("Generate(%+v) = %d bytes, %v; want nil, ErrInvalid", o, len(b), err)
			}
		})
	}
}
