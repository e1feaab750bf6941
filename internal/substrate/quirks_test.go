package substrate

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// withKeys returns the request body with keys set (a nil value deletes).
func withKeys(t *testing.T, body string, kv map[string]any) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range kv {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLlamaServerAnyModelAndTimings(t *testing.T) {
	_, ts := start(t, Options{Profile: LlamaServer})
	body := withKeys(t, realRequest(t, "first_round.json", LlamaServer, true, true), map[string]any{"model": "whatever-you-like"})
	resp := post(t, ts.URL, body)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	chunks, err := parseSSE(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	got := assemble(t, chunks)
	if got.toolName != "new_answer" || got.usage == nil {
		t.Fatalf("tool %q usage %+v, want new_answer with usage", got.toolName, got.usage)
	}
	if !strings.Contains(string(raw), `"timings":{"prompt_n":`) {
		t.Errorf("no timings object in the usage chunk:\n%s", raw)
	}
	// Without include_usage: neither usage nor timings.
	got = streamReply(t, ts.URL, realRequest(t, "first_round.json", LlamaServer, true, false))
	if got.usage != nil {
		t.Errorf("usage %+v without include_usage", got.usage)
	}
}

func TestLlamaServerContextExceeded(t *testing.T) {
	s, ts := start(t, Options{Profile: LlamaServer, ContextTokens: 1000})
	resp := post(t, ts.URL, realRequest(t, "first_round.json", LlamaServer, true, true))
	defer resp.Body.Close()
	var e struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Type    string `json:"type"`
			NPrompt int    `json:"n_prompt_tokens"`
			NCtx    int    `json:"n_ctx"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadRequest || e.Error.Code != 400 || e.Error.Type != "exceed_context_size_error" ||
		e.Error.NCtx != 1000 || e.Error.NPrompt <= 1000 || !strings.Contains(e.Error.Message, "exceeds the available context size") {
		t.Fatalf("status %d, error %+v", resp.StatusCode, e.Error)
	}
	if st := s.Stats(); st.TooLong != 1 || st.Chat != 0 {
		t.Errorf("Stats() = %+v", st)
	}
	if _, err := New(Options{Profile: LlamaServer, ContextTokens: -1}); !errors.Is(err, ErrBadOptions) {
		t.Errorf("negative ContextTokens: %v, want %v", err, ErrBadOptions)
	}
}

func TestToolsIgnoredWithoutToolChoice(t *testing.T) {
	for _, p := range []Profile{NoToolChoice, LlamaCppPython} {
		_, ts := start(t, Options{Profile: p, Latency: time.Millisecond, FlakyRate: 1e-9})
		for _, tc := range []struct {
			choice any
			tool   string
		}{{nil, ""}, {"none", ""}, {"auto", "new_answer"}, {"required", "new_answer"}} {
			body := withKeys(t, realRequest(t, "first_round.json", p, true, true), map[string]any{"tool_choice": tc.choice})
			got := streamReply(t, ts.URL, body)
			if got.toolName != tc.tool {
				t.Errorf("%s, tool_choice %v: tool %q, want %q", p, tc.choice, got.toolName, tc.tool)
			}
			if tc.tool == "" && (got.finish != "stop" || got.content == "") {
				t.Errorf("%s, tool_choice %v: finish %q content %q, want plain text", p, tc.choice, got.finish, got.content)
			}
		}
	}
}

func TestNoUsage(t *testing.T) {
	for _, p := range []Profile{NoUsage, LlamaCppPython} {
		_, ts := start(t, Options{Profile: p, Latency: time.Millisecond, FlakyRate: 1e-9})
		got := streamReply(t, ts.URL, withKeys(t, realRequest(t, "vote_round.json", p, true, true), map[string]any{"tool_choice": "auto"}))
		if got.usage != nil || got.toolName != "vote" {
			t.Errorf("%s: usage %+v tool %q, want no usage and a vote", p, got.usage, got.toolName)
		}
	}
}

func TestEmpty200(t *testing.T) {
	s, ts := start(t, Options{Profile: Empty200, FlakyRate: 1})
	resp := post(t, ts.URL, realRequest(t, "first_round.json", Empty200, true, true))
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || len(b) != 0 ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, %d bytes %q, %v; want 200 and an empty event stream", resp.StatusCode, len(b), b, err)
	}
	if st := s.Stats(); st.Failed != 1 || st.NewAnswer != 0 {
		t.Errorf("Stats() = %+v", st)
	}
	// A request that is not streamed is answered.
	resp = post(t, ts.URL, realRequest(t, "first_round.json", Empty200, false, false))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("non-stream status %d", resp.StatusCode)
	}
}

// TestInterruptCutsTheRequestInFlight: the first request waits; a second
// arrives; the first stream ends without its terminating chunk and the
// second is answered.
func TestInterruptCutsTheRequestInFlight(t *testing.T) {
	var calls atomic.Int32
	entered := make(chan struct{})
	sleep := func(ctx context.Context, d time.Duration) error {
		if calls.Add(1) == 1 {
			close(entered)
			<-ctx.Done() // only an interrupt (or the client leaving) ends it
			return ctx.Err()
		}
		return nil
	}
	s, ts := start(t, Options{Profile: Interrupt, Sleep: sleep})
	var wg sync.WaitGroup
	var firstErr error
	var firstBody []byte
	wg.Add(1)
	go func() {
		defer wg.Done()
		resp, err := http.Post(ts.URL+"/v1/chat/completions", "application/json",
			strings.NewReader(realRequest(t, "first_round.json", Interrupt, true, true)))
		if err != nil {
			firstErr = err
			return
		}
		defer resp.Body.Close()
		firstBody, firstErr = io.ReadAll(resp.Body)
	}()
	<-entered
	got := streamReply(t, ts.URL, realRequest(t, "vote_round.json", Interrupt, true, true))
	wg.Wait()
	if got.toolName != "vote" {
		t.Errorf("second request: tool %q, want vote", got.toolName)
	}
	if firstErr == nil || strings.Contains(string(firstBody), "[DONE]") {
		t.Errorf("first request: %v, body %q; want a stream cut before [DONE]", firstErr, firstBody)
	}
	if st := s.Stats(); st.Interrupted != 1 || st.Chat != 2 {
		t.Errorf("Stats() = %+v", st)
	}
}
