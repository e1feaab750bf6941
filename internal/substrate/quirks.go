package substrate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// DefaultContextTokens is the llama-server profile's context size when
// Options.ContextTokens is 0.
const DefaultContextTokens = 32768

// quirks are the ways a profile's wire format departs from the OpenAI API,
// each one seen on a real server (llama.cpp's llama-server and
// llama-cpp-python's server).
type quirks struct {
	anyModel        bool // any model name is served (llama-server)
	timings         bool // the usage chunk carries a "timings" object (llama-server)
	contextLimit    bool // a prompt beyond Options.ContextTokens gets HTTP 400 (llama-server)
	toolsNeedChoice bool // tools are ignored without tool_choice (llama-cpp-python)
	noUsage         bool // no usage chunk, even with include_usage (llama-cpp-python)
	empty200        bool // a seeded fraction of streams: HTTP 200, no events (llama-cpp-python)
	interrupt       bool // a new request cuts the stream in flight (llama-cpp-python)
	delay           bool // every reply waits Options.Latency
}

func (p Profile) quirks() quirks {
	switch p {
	case Slow:
		return quirks{delay: true}
	case LlamaServer:
		return quirks{anyModel: true, timings: true, contextLimit: true}
	case NoToolChoice:
		return quirks{toolsNeedChoice: true}
	case NoUsage:
		return quirks{noUsage: true}
	case Empty200:
		return quirks{empty200: true}
	case Interrupt:
		return quirks{interrupt: true, delay: true}
	case LlamaCppPython:
		return quirks{toolsNeedChoice: true, noUsage: true, empty200: true, interrupt: true, delay: true}
	}
	return quirks{}
}

// timings is llama-server's non-standard per-request timing object.
type timings struct {
	PromptN             int     `json:"prompt_n"`
	PromptMS            float64 `json:"prompt_ms"`
	PromptPerTokenMS    float64 `json:"prompt_per_token_ms"`
	PromptPerSecond     float64 `json:"prompt_per_second"`
	PredictedN          int     `json:"predicted_n"`
	PredictedMS         float64 `json:"predicted_ms"`
	PredictedPerTokenMS float64 `json:"predicted_per_token_ms"`
	PredictedPerSecond  float64 `json:"predicted_per_second"`
}

// fakeTimings derives deterministic timings from the usage: 0.1 ms a
// prompt token, 1 ms a generated one.
func fakeTimings(u usage) *timings {
	return &timings{
		PromptN: u.PromptTokens, PromptMS: float64(u.PromptTokens) * 0.1, PromptPerTokenMS: 0.1, PromptPerSecond: 10000,
		PredictedN: u.CompletionTokens, PredictedMS: float64(u.CompletionTokens), PredictedPerTokenMS: 1, PredictedPerSecond: 1000,
	}
}

// promptTokens estimates the prompt's tokens as usage does: four bytes a token.
func promptTokens(req *chatRequest) int {
	n := 0
	for _, m := range req.Messages {
		n += len(m.Content)
	}
	return n/4 + 1
}

// writeContextError answers a prompt longer than the context as
// llama-server does: HTTP 400, before any stream, with its error body
// (a numeric code and the token counts).
func writeContextError(w http.ResponseWriter, nPrompt, nCtx int) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{
		"code":            http.StatusBadRequest,
		"message":         fmt.Sprintf("request (%d tokens) exceeds the available context size (%d tokens), try increasing it", nPrompt, nCtx),
		"type":            "exceed_context_size_error",
		"n_prompt_tokens": nPrompt,
		"n_ctx":           nCtx,
	}})
}

// writeEmptyStream answers HTTP 200 with an event stream that ends at once,
// with no event and no [DONE]: what llama-cpp-python's server sends when
// generation fails after the response has started.
func writeEmptyStream(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_ = http.NewResponseController(w).Flush()
}

// withoutTools returns a copy of req whose tools are dropped when the
// profile ignores tools without tool_choice and req sets none (or "none").
func (s *Server) withoutTools(req *chatRequest) *chatRequest {
	if !s.q.toolsNeedChoice {
		return req
	}
	var choice string
	if len(req.ToolChoice) > 0 && string(req.ToolChoice) != "null" &&
		(json.Unmarshal(req.ToolChoice, &choice) != nil || choice != "none") {
		return req
	}
	c := *req
	c.Tools = nil
	return &c
}

// enterFlight makes the calling request the one in flight and interrupts
// the previous one: its channel is closed. leave forgets the request
// unless a newer one has replaced it.
func (s *Server) enterFlight() (interrupted <-chan struct{}, leave func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	if s.inflight != nil {
		close(s.inflight)
	}
	s.inflight = ch
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		if s.inflight == ch {
			s.inflight = nil
		}
		s.mu.Unlock()
	}
}

// wait sleeps the profile's latency. For an interrupting profile it
// returns early with interrupted true when a newer request arrives.
// gone is true when the client went away.
func (s *Server) wait(r *http.Request, interrupted <-chan struct{}) (cut, gone bool) {
	if !s.q.delay {
		return false, false
	}
	if interrupted == nil {
		return false, s.opts.Sleep(r.Context(), s.opts.Latency) != nil
	}
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() { done <- s.opts.Sleep(ctx, s.opts.Latency) }()
	select {
	case err := <-done:
		return false, err != nil
	case <-interrupted:
		cancel()
		<-done
		return true, false
	}
}
