package massgencfg

import "time"

// synthesisConfig is the synthesis-mode config for the filled options o:
// MassGen 0.1.91's own settings for voting off and a synthesized answer.
//
//   - skip_voting: true. Coordination ends once every live agent has
//     answered; no agent is asked to vote (Orchestrator
//     _coordination_complete).
//   - max_new_answers_per_agent: 1 and max_new_answers_global: the number
//     of agents. One bounded answer per agent (and max_tokens per call).
//     With final_answer_strategy synthesize, this is also what makes
//     MassGen skip its vote rounds and let an agent that has answered
//     wait for the others instead of being switched to vote-only mode
//     (_should_skip_vote_rounds_for_synthesize, _is_waiting_for_all_answers).
//   - final_answer_strategy: synthesize, skip_final_presentation: false.
//     The presenter gets every answer and MassGen's neutral instruction to
//     synthesize them ("No voting round was run ..."). With
//     skip_final_presentation and skip_voting both true MassGen would
//     treat the run as single-agent and reuse an answer unsynthesized.
//   - The presenter, with no votes, is the first agent in config order
//     that answered (_determine_final_agent_from_votes), so the final
//     synthesizer is listed first.
//   - temperature 0 for every agent, and a system_message per role.
func synthesisConfig(o Options) config {
	c := config{
		Orchestrator: orchestrator{
			SkipVoting:            true,
			MaxNewAnswersPerAgent: 1,
			MaxNewAnswersGlobal:   o.Agents,
			FinalAnswerStrategy:   "synthesize",
		},
		TimeoutSettings: timeoutSettings{OrchestratorTimeoutSeconds: int(o.OrchestratorTimeout / time.Second)},
	}
	ids := []string{string(Synthesizer), string(Gatherer)}
	for i := 1; i <= o.Agents-2; i++ {
		ids = append(ids, expertID(i))
	}
	for _, id := range ids {
		r, _ := RoleOf(id)
		c.Agents = append(c.Agents, agent{
			ID: id,
			Backend: backend{
				Type: "vllm", Model: o.Model, BaseURL: o.BaseURL,
				Temperature: 0, MaxTokens: o.MaxTokens,
			},
			SystemMessage: systemMessage(r),
		})
	}
	return c
}
