package substrate

import (
	"encoding/json"
	"testing"
)

func msg(role, content string) message {
	b, _ := json.Marshal(content)
	return message{Role: role, Content: b}
}

func voteTool(enum ...string) tool {
	var t tool
	t.Type = "function"
	t.Function.Name = toolVote
	p, _ := json.Marshal(map[string]any{"type": "object", "properties": map[string]any{"agent_id": map[string]any{"type": "string", "enum": enum}}})
	t.Function.Parameters = p
	return t
}

func TestVoteTarget(t *testing.T) {
	tests := []struct {
		name     string
		messages []message
		enum     []string
		want     string
	}{
		{"lowest answered", []message{msg("user", "<agent3.1> a <end of agent3.1>\n<agent2.2> b <end of agent2.2>")}, []string{"agent1", "agent2", "agent3"}, "agent2"},
		{"numeric not lexical", []message{msg("user", "<agent10.1> a <end of agent10.1> <agent9.1> b <end of agent9.1>")}, []string{"agent9", "agent10"}, "agent9"},
		{"answered but not allowed", []message{msg("user", "<agent1.1> a <end of agent1.1> <agent2.1> b <end of agent2.1>")}, []string{"agent2"}, "agent2"},
		{"system prompt examples ignored", []message{msg("system", "labels like <agent1.2>"), msg("user", "<agent2.1> b <end of agent2.1>")}, []string{"agent1", "agent2"}, "agent2"},
		{"no enum", []message{msg("user", "<agent2.1> b <end of agent2.1>")}, nil, "agent2"},
		{"nothing answered", []message{msg("user", "(no answers available yet)")}, []string{"agent1"}, "agent1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &chatRequest{Messages: tt.messages, Tools: []tool{voteTool(tt.enum...)}}
			if got := readDialogue(req).voteTarget(); got != tt.want {
				t.Fatalf("voteTarget() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecideToolSets(t *testing.T) {
	answer := tool{Type: "function"}
	answer.Function.Name = toolNewAnswer
	listed := msg("user", "<ORIGINAL MESSAGE> q? <END OF ORIGINAL MESSAGE> <agent1.1> a <end of agent1.1>")
	tests := []struct {
		name  string
		tools []tool
		want  replyKind
	}{
		{"both tools", []tool{answer, voteTool("agent1")}, replyVote},
		{"vote only at the answer limit", []tool{voteTool("agent1")}, replyVote},
		{"new_answer only is the presentation", []tool{answer}, replyText},
		{"no tools", nil, replyText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := readDialogue(&chatRequest{Messages: []message{listed}, Tools: tt.tools})
			if got := decide(Stable, d, DefaultThrashAnswers, 0); got.kind != tt.want {
				t.Fatalf("decide() kind %v, want %v", got.kind, tt.want)
			}
		})
	}
}

func TestMessageText(t *testing.T) {
	parts := message{Role: "user", Content: json.RawMessage(`[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"b"}]`)}
	if got := parts.text(); got != "ab" {
		t.Fatalf("text() = %q, want ab", got)
	}
	if got := (message{Content: json.RawMessage(`null`)}).text(); got != "" {
		t.Fatalf("text() of null = %q, want empty", got)
	}
}
