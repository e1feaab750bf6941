// Package substrate is a scripted stand-in for an OpenAI-compatible model
// server, for rehearsing governed MassGen runs without a model.
//
// It is not a model. Each profile (stable, slow, thrash, flaky, dead, and
// the quirk profiles that play real servers' departures from the API:
// llama-server, no-tool-choice, no-usage, empty-200, interrupt,
// llama-cpp-python) is a
// script that reads the shape of MassGen's coordination requests (which
// workflow tools are offered, which answers are listed) and replies with a
// new_answer or vote tool call or with plain text, so that a real MassGen
// process converges, churns or fails in a known, repeatable way. Every
// response carries the header "X-Cohos-Substrate: <profile>" and the only
// model served is "cohos-substrate-<profile>".
//
// Endpoints: POST /v1/chat/completions (streamed as server-sent events when
// "stream" is true, else one chat.completion object), GET /v1/models and
// GET /v1/models/{id}. Every other path is 404, a wrong method 405 and a
// malformed request 400, each with the OpenAI error body
// {"error":{"message","type","param","code"}}.
package substrate

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// HeaderName is the response header naming the profile that answered.
const HeaderName = "X-Cohos-Substrate"

// Defaults applied by New to zero Options fields.
const (
	DefaultLatency       = 4 * time.Second
	DefaultThrashAnswers = 5
	DefaultFlakyRate     = 0.25
	// MaxBodyBytes bounds a request body; a larger one is refused with 413.
	MaxBodyBytes = 8 << 20
)

// ErrBadOptions is returned (wrapped) by New for options out of range.
var ErrBadOptions = errors.New("invalid substrate options")

// Options configure a Server. The zero value of every field but Profile
// means its default.
type Options struct {
	// Profile is the script to play; it must be one of Profiles().
	Profile Profile
	// Seed seeds the server's random source (flaky failures, thrash
	// answer revisions). Equal seeds give equal behaviour for the same
	// sequence of requests.
	Seed int64
	// Latency delays every chat response of the slow profile; 0 means
	// DefaultLatency. Other profiles ignore it.
	Latency time.Duration
	// ThrashAnswers is how many answers an agent may reach before the
	// thrash profile stops answering and votes; 0 means
	// DefaultThrashAnswers.
	ThrashAnswers int
	// FlakyRate is the fraction of chat requests the flaky profile fails,
	// in [0, 1]; 0 means DefaultFlakyRate.
	FlakyRate float64
	// Now is the clock for the "created" fields; nil means time.Now.
	Now func() time.Time
	// ContextTokens is the llama-server profile's context size: a prompt
	// estimated (at four bytes a token) beyond it gets HTTP 400. 0 means
	// DefaultContextTokens; other profiles ignore it.
	ContextTokens int
	// Sleep waits d or until ctx is done, returning ctx.Err() then; nil
	// means a timer. Tests inject it to observe the slow profile's delay.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Stats counts the requests a Server has handled, by kind.
type Stats struct {
	Chat        int // chat-completions requests that passed validation
	NewAnswer   int // replies with a new_answer tool call
	Vote        int // replies with a vote tool call
	Text        int // plain-text replies
	Failed      int // injected HTTP 500/503 failures (flaky, dead)
	Cut         int // streams cut before completion (flaky)
	Interrupted int // streams cut because a newer request arrived (interrupt, llama-cpp-python)
	TooLong     int // prompts refused with HTTP 400 as longer than the context (llama-server)
	Models      int // GET /v1/models and /v1/models/{id}
	Rejected    int // 4xx responses: bad JSON, missing fields, bad route or method
}

// Server is the scripted model server. It implements http.Handler, holds
// no global state and is safe for concurrent requests.
type Server struct {
	opts  Options
	q     quirks
	model string
	mux   *http.ServeMux

	mu    sync.Mutex
	rng   *rand.Rand
	seq   uint64
	stats Stats
	// inflight is closed when a newer chat request arrives (interrupt quirk).
	inflight chan struct{}
}

// New returns a Server for opts. An invalid profile gives an error wrapping
// ErrUnknownProfile; a negative Latency or ThrashAnswers, or a FlakyRate
// outside [0, 1], an error wrapping ErrBadOptions.
func New(opts Options) (*Server, error) {
	if !opts.Profile.Valid() {
		return nil, fmt.Errorf("%w %q", ErrUnknownProfile, opts.Profile)
	}
	switch {
	case opts.Latency < 0:
		return nil, fmt.Errorf("%w: negative latency %v", ErrBadOptions, opts.Latency)
	case opts.ThrashAnswers < 0:
		return nil, fmt.Errorf("%w: negative thrash answers %d", ErrBadOptions, opts.ThrashAnswers)
	case opts.ContextTokens < 0:
		return nil, fmt.Errorf("%w: negative context tokens %d", ErrBadOptions, opts.ContextTokens)
	case !(opts.FlakyRate >= 0 && opts.FlakyRate <= 1):
		return nil, fmt.Errorf("%w: flaky rate %v outside [0, 1]", ErrBadOptions, opts.FlakyRate)
	}
	if opts.Latency == 0 {
		opts.Latency = DefaultLatency
	}
	if opts.ThrashAnswers == 0 {
		opts.ThrashAnswers = DefaultThrashAnswers
	}
	if opts.ContextTokens == 0 {
		opts.ContextTokens = DefaultContextTokens
	}
	if opts.FlakyRate == 0 {
		opts.FlakyRate = DefaultFlakyRate
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	s := &Server{
		opts:  opts,
		q:     opts.Profile.quirks(),
		model: opts.Profile.Model(),
		rng:   rand.New(rand.NewPCG(uint64(opts.Seed), 0x636f686f73)), // "cohos"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/chat/completions", s.handleChat)
	mux.HandleFunc("/v1/models", s.handleModels)
	mux.HandleFunc("/v1/models/{id}", s.handleModel)
	mux.HandleFunc("/", s.handleNotFound)
	s.mux = mux
	return s, nil
}

// Profile returns the profile the server plays.
func (s *Server) Profile() Profile { return s.opts.Profile }

// Model returns the only model id the server serves.
func (s *Server) Model() string { return s.model }

// Stats returns a snapshot of the request counts.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(HeaderName, string(s.opts.Profile))
	s.mux.ServeHTTP(w, r)
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}

// nextID returns a response id unique within the server.
func (s *Server) nextID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("chatcmpl-substrate-%06d", s.seq)
}

// draw returns the next value of the seeded source in [0, 1) and a 32-bit
// nonce, taken together so that one request consumes one draw.
func (s *Server) draw() (float64, uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64(), s.rng.Uint32()
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
