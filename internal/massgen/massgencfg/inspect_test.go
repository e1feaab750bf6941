package massgencfg

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestInspect(t *testing.T) {
	t.Parallel()
	const three = `agents:
  - id: agent_a
    backend: {type: vllm, model: m1, base_url: "http://127.0.0.1:1234/v1"}
  - id: agent_b
    backend: {type: vllm, model: m2, base_url: "http://127.0.0.1:1234/v1"}
  - id: agent_c
    backend: {type: openai, model: m1}
orchestrator: {anything: [goes, here]}
`
	tests := []struct {
		name, in string
		want     *Info // nil: want ErrConfig
	}{
		{"three agents", three, &Info{Agents: []string{"agent_a", "agent_b", "agent_c"}, Models: []string{"m1", "m2"}, BaseURLs: []string{"http://127.0.0.1:1234/v1"}}},
		{"single agent", "agent:\n  backend: {type: vllm, model: m}\n", &Info{Agents: []string{""}, Models: []string{"m"}}},
		{"json", `{"agents": [{"id": "a", "backend": {"type": "vllm"}}]}`, &Info{Agents: []string{"a"}}},
		{"empty", "", nil},
		{"comment only", "# nothing\n", nil},
		{"not a mapping", "- a\n- b\n", nil},
		{"scalar", "hello\n", nil},
		{"no agents", "orchestrator: {}\n", nil},
		{"empty agents", "agents: []\n", nil},
		{"agents not a list", "agents: {a: 1}\n", nil},
		{"both agent and agents", "agent: {backend: {type: x}}\nagents: [{backend: {type: x}}]\n", nil},
		{"agent not a mapping", "agents: [x]\n", nil},
		{"no backend", "agents: [{id: a}]\n", nil},
		{"backend without type", "agents: [{id: a, backend: {model: m}}]\n", nil},
		{"type not a string", "agents: [{id: a, backend: {type: 3}}]\n", nil},
		{"model not a string", "agents: [{id: a, backend: {type: x, model: [m]}}]\n", nil},
		{"id twice", "agents: [{id: a, backend: {type: x}}, {id: a, backend: {type: x}}]\n", nil},
		{"duplicate key", "agents: [{id: a, backend: {type: x}}]\nagents: []\n", nil},
		{"two documents", "agents: [{id: a, backend: {type: x}}]\n---\nx: 1\n", nil},
		{"syntax error", "agents: [\n", nil},
		{"too large", "agents: [{id: a, backend: {type: x}}]\n#" + strings.Repeat("x", MaxConfigSize), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Inspect([]byte(tt.in))
			if tt.want == nil {
				if !errors.Is(err, ErrConfig) || got != nil {
					t.Fatalf("Inspect = %+v, %v; want ErrConfig", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if !slices.Equal(got.Agents, tt.want.Agents) || !slices.Equal(got.Models, tt.want.Models) || !slices.Equal(got.BaseURLs, tt.want.BaseURLs) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
