package substrate

import (
	"strings"
	"testing"
)

// presentation is MassGen 0.1.91's synthesize presentation prompt as a
// synthesis-mode run sends it (captured from a real run, shortened).
const presentation = "<ORIGINAL MESSAGE> What is 2+2? <END OF ORIGINAL MESSAGE>\n\nVOTING RESULTS:\n" +
	"No voting round was run. You were selected as the presenter to synthesize the final answer from all completed answers.\n\n" +
	"All answers provided during coordination:\n\n" +
	"final_synthesizer: \"[cohos-substrate-stable] scripted rehearsal answer 1 to: What is 2+2?\"\n\n" +
	"context_information_gatherer: \"[cohos-substrate-stable] scripted rehearsal answer 1 to: What is 2+2?\"\n\n" +
	"domain_expert_1: \"[cohos-substrate-stable] scripted rehearsal answer 1 to: What is 2+2?\"\n\n\n" +
	"Synthesize the strongest relevant parts across all completed answers into a single final answer.\n\n" +
	"Preserve concrete details during synthesis: keep specific implementation details, exact values, ..."

// TestDecideSynthesis: every profile answers MassGen's synthesis
// presentation with one deterministic text naming the answers combined,
// and answers the synthesis-mode coordination prompt (new_answer and vote
// offered, no answers yet) as it answers the voting one.
func TestDecideSynthesis(t *testing.T) {
	answer := tool{Type: "function"}
	answer.Function.Name = toolNewAnswer
	pres := []message{msg("system", "You are the final synthesizer ..."), msg("user", presentation)}
	first := []message{msg("user", "<ORIGINAL MESSAGE> What is 2+2? <END OF ORIGINAL MESSAGE>\n<CURRENT ANSWERS from the agents>\n(no answers available yet)")}
	for _, p := range []Profile{Stable, Slow, Thrash, Flaky, Dead} {
		for _, tools := range [][]tool{{answer}, nil} {
			rep := decide(p, readDialogue(&chatRequest{Messages: pres, Tools: tools}), 5, 7)
			want := "[" + p.Model() + "] scripted synthesis of 3 answers (final_synthesizer, context_information_gatherer, domain_expert_1) to: What is 2+2?"
			if rep.kind != replyText || rep.text != want {
				t.Errorf("%s, %d tools: %v %q, want text %q", p, len(tools), rep.kind, rep.text, want)
			}
		}
		rep := decide(p, readDialogue(&chatRequest{Messages: first, Tools: []tool{answer, voteTool("agent1", "agent2", "agent3")}}), 5, 7)
		if rep.kind != replyNewAnswer || !strings.Contains(rep.args, "scripted rehearsal answer 1 to: What is 2+2?") {
			t.Errorf("%s: first coordination reply %v %s, want a new_answer", p, rep.kind, rep.args)
		}
	}
}

func TestReadSynthesis(t *testing.T) {
	tests := []struct {
		name, txt string
		ok        bool
		agents    []string
	}{
		{"neutral", presentation, true, []string{"final_synthesizer", "context_information_gatherer", "domain_expert_1"}},
		{"after a vote", "All answers provided during coordination:\n\nagent_a (YOUR ANSWER): \"x\"\n\nagent_b: \"y\"\n\n" +
			"Actively incorporate the strongest elements from the other agents' answers", true, []string{"agent_a", "agent_b"}},
		{"winner_present is not synthesis", "All answers provided during coordination:\n\nagent_a (YOUR ANSWER): \"x\"\n\n" +
			"Use your answer as the primary basis for the final response.", false, nil},
		{"no answer list", markSynthesize, true, nil},
		{"an answer line that looks like a listing counts", "All answers provided during coordination:\n\na: \"one\nb: \"two\"\n\n" + markSynthesize, true, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := readSynthesis(tt.txt)
			if ok != tt.ok || strings.Join(s.agents, ",") != strings.Join(tt.agents, ",") {
				t.Errorf("readSynthesis = %q, %v; want %q, %v", s.agents, ok, tt.agents, tt.ok)
			}
		})
	}
	many := "All answers provided during coordination:\n" + strings.Repeat("a: \"x\"\n", 100) + markSynthesize
	if s, _ := readSynthesis(many); len(s.agents) != maxSynthesized {
		t.Errorf("%d agents read, want at most %d", len(s.agents), maxSynthesized)
	}
}
