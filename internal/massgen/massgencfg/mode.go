package massgencfg

import (
	"fmt"
	"strconv"
	"strings"
)

// Mode is how the agents of a generated config reach the final answer.
type Mode string

const (
	// Voting: identical agents answer, vote on each other's answers
	// (voting_sensitivity lenient) and the winner presents its answer.
	Voting Mode = "voting"
	// Synthesis is MassGen's production mode for local models: voting
	// off (skip_voting), one bounded answer per agent, agents with roles
	// (see Role) and a final synthesis of all answers
	// (final_answer_strategy synthesize) by the final synthesizer.
	Synthesis Mode = "synthesis"
)

// DefaultMode is the mode of `cohos run --model-url` without --mode:
// voting, so that an unchanged command line under an unchanged policy
// keeps meaning what it meant (agents, artifacts and the voting metrics a
// policy may require). Synthesis is one flag away, and `cohos rehearse`
// measures both.
const DefaultMode = Voting

// Modes returns every mode in a fixed order.
func Modes() []Mode { return []Mode{Voting, Synthesis} }

// ParseMode returns the mode named s (case-insensitive). Any other name
// gives an error wrapping ErrInvalid.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case Voting, Synthesis:
		return m, nil
	}
	return "", fmt.Errorf("%w: mode %q (want voting or synthesis)", ErrInvalid, s)
}

// Role is what an agent of a synthesis-mode config does. The role is
// also the agent's id (domain experts are numbered: domain_expert_1, ...)
// and names its artifact.
type Role string

const (
	// Gatherer collects the context and information the question needs.
	Gatherer Role = "context_information_gatherer"
	// Expert produces a candidate answer; there may be several.
	Expert Role = "domain_expert"
	// Synthesizer writes the final answer from all the others'.
	Synthesizer Role = "final_synthesizer"
)

// Roles returns the roles in the order their work flows.
func Roles() []Role { return []Role{Gatherer, Expert, Synthesizer} }

// MinSynthesisAgents is the smallest synthesis team: one agent per role.
const MinSynthesisAgents = 3

// RoleOf returns the role of a synthesis-mode agent id:
// context_information_gatherer, final_synthesizer, domain_expert or
// domain_expert_<n> (n from 1, no leading zero). Other ids have no role.
func RoleOf(agentID string) (Role, bool) {
	switch Role(agentID) {
	case Gatherer, Synthesizer, Expert:
		return Role(agentID), true
	}
	n, ok := strings.CutPrefix(agentID, string(Expert)+"_")
	if !ok || n == "" || n[0] == '0' || len(n) > 3 {
		return "", false
	}
	if _, err := strconv.Atoi(n); err != nil || strings.ContainsAny(n, "+-") {
		return "", false
	}
	return Expert, true
}

// expertID is the agent id of domain expert i (from 1).
func expertID(i int) string { return fmt.Sprintf("%s_%d", Expert, i) }

// System messages of the roles. Each is the agent's system_message;
// MassGen adds its own coordination instructions (the new_answer tool).
const (
	gathererMessage = "You are the context and information gatherer of a team. " +
		"Do not answer the question yourself. Collect what is needed to answer it well: " +
		"the facts, definitions, constraints, assumptions and open points, stated briefly " +
		"and exactly. Submit them once with the new_answer tool."
	expertMessage = "You are a domain expert of a team. Produce one candidate answer to the " +
		"question from your domain knowledge: correct, concrete and brief, with exact values " +
		"and the assumptions it rests on. Submit it once with the new_answer tool."
	synthesizerMessage = "You are the final synthesizer of a team: a context and information " +
		"gatherer and one or more domain experts answer beside you. During coordination, submit " +
		"a brief answer of your own once with the new_answer tool. When asked for the final " +
		"answer, synthesize it from the gatherer's context and the experts' candidates: keep " +
		"exact values and concrete details, resolve disagreements explicitly, add nothing that " +
		"no answer supports, and answer in the same form every time."
)

// systemMessage returns the system message of role r.
func systemMessage(r Role) string {
	switch r {
	case Gatherer:
		return gathererMessage
	case Expert:
		return expertMessage
	}
	return synthesizerMessage
}
