package substrate

import (
	"fmt"
	"regexp"
	"strings"
)

// MassGen's final presentation under final_answer_strategy synthesize
// (massgen/message_templates.py build_final_presentation_message,
// v0.1.91): the neutral instruction when no vote was cast (synthesis
// mode), the winner-biased one after a vote.
const (
	markSynthesize      = "Synthesize the strongest relevant parts across all completed answers"
	markSynthesizeBiase = "Actively incorporate the strongest elements from the other agents"
	markAllAnswers      = "All answers provided during coordination:"
)

// presentedAnswer matches one answer of the presentation prompt:
// `agent_id: "..."` or `agent_id (YOUR ANSWER): "..."` at a line start.
var presentedAnswer = regexp.MustCompile(`(?m)^([A-Za-z0-9_.-]{1,64})(?: \(YOUR ANSWER\))?: "`)

// maxSynthesized bounds the agent ids named in a scripted synthesis.
const maxSynthesized = 26

// synthesis is what the script reads from a synthesize presentation.
type synthesis struct {
	agents []string // the agents whose answers are listed, in prompt order
}

// readSynthesis returns the synthesis request txt holds, if it is one.
func readSynthesis(txt string) (synthesis, bool) {
	if !strings.Contains(txt, markSynthesize) && !strings.Contains(txt, markSynthesizeBiase) {
		return synthesis{}, false
	}
	var s synthesis
	_, list, ok := strings.Cut(txt, markAllAnswers)
	if !ok {
		return s, true
	}
	for _, m := range presentedAnswer.FindAllStringSubmatch(list, -1) {
		if len(s.agents) == maxSynthesized {
			break
		}
		s.agents = append(s.agents, m[1])
	}
	return s, true
}

// synthesize is every profile's answer to a synthesis presentation: one
// deterministic text naming the answers it combines. (Failures, delays
// and cuts are the handler's, as for any request.)
func synthesize(p Profile, d dialogue) reply {
	n := len(d.synthesis.agents)
	return reply{kind: replyText, text: fmt.Sprintf("[%s] scripted synthesis of %d answers (%s) to: %s",
		p.Model(), n, strings.Join(d.synthesis.agents, ", "), d.question)}
}
