package substrate

import (
	"errors"
	"fmt"
	"strings"
)

// Profile names a scripted behaviour of the substrate server.
type Profile string

// The profiles. Each one is a script, not a model: it answers from the
// shape of MassGen's requests, never from their meaning.
const (
	// Stable answers once per agent, then votes, so MassGen converges.
	Stable Profile = "stable"
	// Slow behaves like Stable but delays every chat response by
	// Options.Latency.
	Slow Profile = "slow"
	// Thrash keeps submitting new, different answers instead of voting
	// until an agent label reaches Options.ThrashAnswers answers, so
	// agents restart and churn before the run ends.
	Thrash Profile = "thrash"
	// Flaky behaves like Stable but fails a seeded fraction of chat
	// requests with HTTP 500 or 503, or cuts the stream mid-way.
	Flaky Profile = "flaky"
	// Dead fails every chat request with HTTP 500.
	Dead Profile = "dead"

	// The quirk profiles play what real OpenAI-compatible servers do
	// differently from the API (see quirks.go); their script is Stable's.

	// LlamaServer plays llama.cpp's llama-server: any model name is
	// accepted, the usage chunk (only with include_usage) carries a
	// non-standard "timings" object, and a prompt longer than
	// Options.ContextTokens gets a JSON HTTP 400 before any stream.
	LlamaServer Profile = "llama-server"
	// NoToolChoice ignores the request's tools unless it sets
	// tool_choice (MassGen never does) and answers in plain text, as
	// llama-cpp-python's server does.
	NoToolChoice Profile = "no-tool-choice"
	// NoUsage never sends a usage chunk.
	NoUsage Profile = "no-usage"
	// Empty200 answers a seeded fraction (Options.FlakyRate) of streamed
	// requests with HTTP 200 and an empty stream, as llama-cpp-python's
	// server does when generation fails mid-request.
	Empty200 Profile = "empty-200"
	// Interrupt delays every reply by Options.Latency and cuts the
	// stream in flight when a new request arrives, as llama-cpp-python's
	// server does unless started with --interrupt_requests False.
	Interrupt Profile = "interrupt"
	// LlamaCppPython plays llama-cpp-python's server with its defaults:
	// NoToolChoice, NoUsage, Empty200 and Interrupt at once.
	LlamaCppPython Profile = "llama-cpp-python"
)

// ErrUnknownProfile is returned (wrapped) by ParseProfile and New for a
// name that is neither a profile nor an alias.
var ErrUnknownProfile = errors.New("unknown substrate profile")

var aliases = map[string]Profile{
	"thrashing": Thrash,
	"failing":   Dead,
}

// Profiles returns every profile in a fixed order.
func Profiles() []Profile {
	return []Profile{Stable, Slow, Thrash, Flaky, Dead, LlamaServer, NoToolChoice, NoUsage, Empty200, Interrupt, LlamaCppPython}
}

// ParseProfile returns the profile named s (case-insensitive, surrounding
// space ignored), accepting the aliases "thrashing" (Thrash) and "failing"
// (Dead). Any other name gives an error wrapping ErrUnknownProfile.
func ParseProfile(s string) (Profile, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	for _, p := range Profiles() {
		if name == string(p) {
			return p, nil
		}
	}
	if p, ok := aliases[name]; ok {
		return p, nil
	}
	return "", fmt.Errorf("%w %q (want one of %s)", ErrUnknownProfile, s, profileList())
}

func profileList() string {
	names := make([]string, 0, len(Profiles()))
	for _, p := range Profiles() {
		names = append(names, string(p))
	}
	return strings.Join(names, ", ")
}

// Valid reports whether p is one of Profiles().
func (p Profile) Valid() bool {
	for _, q := range Profiles() {
		if p == q {
			return true
		}
	}
	return false
}

// Model returns the model id the server plays for p:
// "cohos-substrate-<profile>".
func (p Profile) Model() string { return "cohos-substrate-" + string(p) }

// Description returns a one-line description of p, or "" for an invalid
// profile.
func (p Profile) Description() string {
	switch p {
	case Stable:
		return "answers once per agent, then votes for the lowest answered agent; MassGen converges"
	case Slow:
		return "like stable, but every chat response is delayed by --latency (default 4s)"
	case Thrash:
		return "keeps submitting new answers instead of voting, so agents restart and churn, then votes"
	case Flaky:
		return "like stable, but a seeded fraction of requests fail with HTTP 500/503 or a cut stream"
	case Dead:
		return "every chat request fails with HTTP 500; MassGen's agents all fail"
	case LlamaServer:
		return "like stable, on llama-server's wire: any model name, usage with timings, HTTP 400 beyond --context-tokens"
	case NoToolChoice:
		return "ignores tools unless tool_choice is set (MassGen never sets it): plain-text replies, every agent fails"
	case NoUsage:
		return "like stable, but never sends a usage chunk (MassGen estimates tokens)"
	case Empty200:
		return "like stable, but a seeded fraction of requests get HTTP 200 with an empty stream"
	case Interrupt:
		return "like slow, but a new request cuts the stream in flight (incomplete chunked read)"
	case LlamaCppPython:
		return "llama-cpp-python's server defaults: no-tool-choice, no-usage, empty-200 and interrupt at once"
	}
	return ""
}
