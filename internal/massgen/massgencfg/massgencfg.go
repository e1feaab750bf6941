// Package massgencfg checks the shape of a MassGen config cohos is given
// (Inspect) and generates the one cohos uses (Generate): N agents on one
// OpenAI-compatible server, no tools, bounded churn.
//
// The generated YAML follows what MassGen v0.1.91 accepts (see the project
// reference notes on MassGen): every agent uses backend type "vllm" with a
// base_url, because that backend talks plain chat completions to any
// OpenAI-compatible server; no backend carries api_key (MassGen would pass
// it on to the SDK twice) or cwd (it would start filesystem tools); the
// orchestrator caps new answers per agent (and in total), has the winner
// present its answer (so that status.json records the completion; see
// Options.SkipFinalPresentation) and never restarts the whole
// orchestration.
package massgencfg

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults applied by Generate to zero Options fields.
const (
	DefaultAgents              = 3
	DefaultOrchestratorTimeout = 600 * time.Second
	// DefaultMaxAnswersPerAgent lets a churning run reach 3 or more answers
	// per agent, so a policy can see the churn, while a converging run
	// still stops after one answer each.
	DefaultMaxAnswersPerAgent = 5
	DefaultMaxTokens          = 2048
	// MaxAgents bounds Agents: agent ids run from agent_a to agent_z.
	MaxAgents = 26
)

// ErrInvalid is returned (wrapped) by Generate for options it cannot turn
// into a valid MassGen config.
var ErrInvalid = errors.New("invalid massgen config options")

// Options describe the run. Zero numeric fields take their defaults.
type Options struct {
	// BaseURL is the OpenAI-compatible endpoint including /v1, e.g.
	// http://127.0.0.1:1234/v1. Required; http or https, with a host.
	BaseURL string
	// Model is the model id every agent asks for. Required.
	Model string
	// Agents is the number of agents (agent_a, agent_b, ...), 1..MaxAgents.
	Agents int
	// OrchestratorTimeout is MassGen's own whole-run timeout, rounded down
	// to whole seconds (at least 1 s).
	OrchestratorTimeout time.Duration
	// MaxAnswersPerAgent caps new answers per agent
	// (orchestrator.max_new_answers_per_agent).
	MaxAnswersPerAgent int
	// MaxTokens caps each completion (backend max_tokens).
	MaxTokens int
	// Mode is Voting ("" too) or Synthesis (see synthesis.go).
	Mode Mode
	// SkipFinalPresentation makes the winner's existing answer final
	// without a presenter call (skip_final_presentation: true,
	// final_answer_strategy: winner_reuse). It saves one model call, but
	// MassGen 0.1.91 then never marks the run complete: the final
	// status.json keeps finish_reason "in_progress" and results.winner
	// null, and coordination_events.json has final_winner null; only
	// events.jsonl (winner_selected) and final/<winner>/answer.txt show the
	// outcome. The default (false) asks the winner to present
	// (winner_present), one more call, and status.json then ends with
	// finish_reason "completed" and results.winner set.
	SkipFinalPresentation bool
}

type config struct {
	Agents          []agent         `yaml:"agents"`
	Orchestrator    orchestrator    `yaml:"orchestrator"`
	TimeoutSettings timeoutSettings `yaml:"timeout_settings"`
}

type agent struct {
	ID            string  `yaml:"id"`
	Backend       backend `yaml:"backend"`
	SystemMessage string  `yaml:"system_message,omitempty"`
}

type backend struct {
	Type        string  `yaml:"type"`
	Model       string  `yaml:"model"`
	BaseURL     string  `yaml:"base_url"`
	Temperature float64 `yaml:"temperature"`
	MaxTokens   int     `yaml:"max_tokens"`
}

type orchestrator struct {
	VotingSensitivity     string       `yaml:"voting_sensitivity,omitempty"`
	SkipVoting            bool         `yaml:"skip_voting,omitempty"`
	MaxNewAnswersPerAgent int          `yaml:"max_new_answers_per_agent"`
	MaxNewAnswersGlobal   int          `yaml:"max_new_answers_global"`
	SkipFinalPresentation bool         `yaml:"skip_final_presentation"`
	FinalAnswerStrategy   string       `yaml:"final_answer_strategy"`
	Coordination          coordination `yaml:"coordination"`
}

type coordination struct {
	MaxOrchestrationRestarts int `yaml:"max_orchestration_restarts"`
}

type timeoutSettings struct {
	OrchestratorTimeoutSeconds int `yaml:"orchestrator_timeout_seconds"`
}

// Generate returns the YAML config for o. Options out of range (a BaseURL
// that is not an absolute http(s) URL, an empty or multi-line Model, a
// negative number, more than MaxAgents agents, a timeout under a second)
// give an error wrapping ErrInvalid.
func Generate(o Options) ([]byte, error) {
	if err := o.fill(); err != nil {
		return nil, err
	}
	if o.Mode == Synthesis {
		return encode(synthesisConfig(o))
	}
	c := config{
		Orchestrator: orchestrator{
			VotingSensitivity:     "lenient",
			MaxNewAnswersPerAgent: o.MaxAnswersPerAgent,
			MaxNewAnswersGlobal:   o.MaxAnswersPerAgent * o.Agents,
			SkipFinalPresentation: o.SkipFinalPresentation,
			FinalAnswerStrategy:   "winner_present",
		},
		TimeoutSettings: timeoutSettings{OrchestratorTimeoutSeconds: int(o.OrchestratorTimeout / time.Second)},
	}
	if o.SkipFinalPresentation {
		c.Orchestrator.FinalAnswerStrategy = "winner_reuse"
	}
	for i := range o.Agents {
		c.Agents = append(c.Agents, agent{
			ID: "agent_" + string(rune('a'+i)),
			Backend: backend{
				Type: "vllm", Model: o.Model, BaseURL: o.BaseURL,
				Temperature: 0, MaxTokens: o.MaxTokens,
			},
		})
	}
	return encode(c)
}

// encode renders c as the generated YAML.
func encode(c config) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("# MassGen run config generated by cohos (massgencfg).\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encoding massgen config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding massgen config: %w", err)
	}
	return buf.Bytes(), nil
}

func (o *Options) fill() error {
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: base url %q is not an absolute http(s) url", ErrInvalid, o.BaseURL)
	}
	if strings.TrimSpace(o.Model) == "" || strings.ContainsAny(o.Model, "\r\n") {
		return fmt.Errorf("%w: model %q", ErrInvalid, o.Model)
	}
	if o.Agents < 0 || o.Agents > MaxAgents {
		return fmt.Errorf("%w: %d agents (want 1..%d)", ErrInvalid, o.Agents, MaxAgents)
	}
	switch o.Mode {
	case "":
		o.Mode = Voting
	case Voting, Synthesis:
	default:
		return fmt.Errorf("%w: mode %q (want voting or synthesis)", ErrInvalid, o.Mode)
	}
	if o.Mode == Synthesis && o.Agents != 0 && o.Agents < MinSynthesisAgents {
		return fmt.Errorf("%w: %d agents: synthesis mode needs at least %d (a gatherer, a domain expert and a synthesizer)",
			ErrInvalid, o.Agents, MinSynthesisAgents)
	}
	if o.Mode == Synthesis && o.SkipFinalPresentation {
		return fmt.Errorf("%w: synthesis mode needs the final presentation (it is the synthesis)", ErrInvalid)
	}
	if o.OrchestratorTimeout < 0 || (o.OrchestratorTimeout > 0 && o.OrchestratorTimeout < time.Second) {
		return fmt.Errorf("%w: orchestrator timeout %v (want at least 1s)", ErrInvalid, o.OrchestratorTimeout)
	}
	if o.MaxAnswersPerAgent < 0 || o.MaxTokens < 0 {
		return fmt.Errorf("%w: negative max answers %d or max tokens %d", ErrInvalid, o.MaxAnswersPerAgent, o.MaxTokens)
	}
	if o.Agents == 0 {
		o.Agents = DefaultAgents
	}
	if o.OrchestratorTimeout == 0 {
		o.OrchestratorTimeout = DefaultOrchestratorTimeout
	}
	if o.Mode == Synthesis && o.MaxAnswersPerAgent > 1 {
		return fmt.Errorf("%w: synthesis mode takes one answer per agent, not %d", ErrInvalid, o.MaxAnswersPerAgent)
	}
	switch {
	case o.Mode == Synthesis:
		o.MaxAnswersPerAgent = 1
	case o.MaxAnswersPerAgent == 0:
		o.MaxAnswersPerAgent = DefaultMaxAnswersPerAgent
	}
	if o.MaxTokens == 0 {
		o.MaxTokens = DefaultMaxTokens
	}
	return nil
}
