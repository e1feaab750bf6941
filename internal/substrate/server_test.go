package substrate

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// realRequest loads a request body MassGen 0.1.91 sent to the substrate
// (testdata/requests) with its model replaced by p's and stream options
// set as given.
func realRequest(t *testing.T, name string, p Profile, stream, usage bool) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "requests", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["model"] = p.Model()
	m["stream"] = stream
	if usage {
		m["stream_options"] = map[string]any{"include_usage": true}
	} else {
		delete(m, "stream_options")
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func start(t *testing.T, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Unix(1700000000, 0) }
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

func streamReply(t *testing.T, url, body string) streamed {
	t.Helper()
	resp := post(t, url, body)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q, want text/event-stream", ct)
	}
	chunks, err := parseSSE(resp.Body)
	if err != nil {
		t.Fatalf("parseSSE: %v", err)
	}
	return assemble(t, chunks)
}

func TestDialogue(t *testing.T) {
	tests := []struct {
		name      string
		profile   Profile
		thrashK   int
		request   string
		wantTool  string // "" for a text reply
		wantArgs  map[string]string
		wantText  string
		wantStats Stats
	}{
		{
			name: "first round answers", profile: Stable, request: "first_round.json",
			wantTool:  "new_answer",
			wantArgs:  map[string]string{"content": "[cohos-substrate-stable] scripted rehearsal answer 1 to: What is 2+2?"},
			wantStats: Stats{Chat: 1, NewAnswer: 1},
		},
		{
			name: "answers listed votes lowest", profile: Stable, request: "vote_round.json",
			wantTool:  "vote",
			wantArgs:  map[string]string{"agent_id": "agent1", "reason": "[cohos-substrate-stable] scripted vote for the lowest answered agent"},
			wantStats: Stats{Chat: 1, Vote: 1},
		},
		{
			name: "final presentation repeats own answer", profile: Stable, request: "final_presentation.json",
			wantText:  "[cohos-substrate-stable] scripted rehearsal answer 1 to: What is 2+2?",
			wantStats: Stats{Chat: 1, Text: 1},
		},
		{
			name: "enforcement retry before answers still answers", profile: Slow, request: "enforcement_retry.json",
			wantTool:  "new_answer",
			wantArgs:  map[string]string{"content": "[cohos-substrate-slow] scripted rehearsal answer 1 to: What is 2+2?"},
			wantStats: Stats{Chat: 1, NewAnswer: 1},
		},
		{
			name: "thrash answers again below the limit", profile: Thrash, request: "thrash_round.json",
			wantTool:  "new_answer",
			wantArgs:  map[string]string{"content": "[cohos-substrate-thrash] scripted rehearsal answer 5 (revision 41279dc3) to: What is 2+2?"},
			wantStats: Stats{Chat: 1, NewAnswer: 1},
		},
		{
			name: "thrash answers instead of voting", profile: Thrash, request: "vote_round.json",
			wantTool:  "new_answer",
			wantArgs:  map[string]string{"content": "[cohos-substrate-thrash] scripted rehearsal answer 4 (revision 41279dc3) to: What is 2+2?"},
			wantStats: Stats{Chat: 1, NewAnswer: 1},
		},
		{
			name: "thrash votes once an agent reaches the limit", profile: Thrash, thrashK: 2, request: "thrash_round.json",
			wantTool:  "vote",
			wantArgs:  map[string]string{"agent_id": "agent1", "reason": "[cohos-substrate-thrash] scripted vote for the lowest answered agent"},
			wantStats: Stats{Chat: 1, Vote: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ts := start(t, Options{Profile: tt.profile, Seed: 1, ThrashAnswers: tt.thrashK, Sleep: func(context.Context, time.Duration) error { return nil }})
			got := streamReply(t, ts.URL, realRequest(t, tt.request, tt.profile, true, true))
			if got.model != tt.profile.Model() {
				t.Errorf("model %q, want %q", got.model, tt.profile.Model())
			}
			if tt.wantTool == "" {
				if got.content != tt.wantText || got.toolID != "" || got.finish != "stop" {
					t.Errorf("got text %q tool %q finish %q, want text %q finish stop", got.content, got.toolName, got.finish, tt.wantText)
				}
			} else {
				if got.toolName != tt.wantTool || got.finish != "tool_calls" || got.content != "" {
					t.Fatalf("got tool %q finish %q content %q, want tool %q finish tool_calls", got.toolName, got.finish, got.content, tt.wantTool)
				}
				var args map[string]string
				if err := json.Unmarshal([]byte(got.toolArgs), &args); err != nil {
					t.Fatalf("arguments %q: %v", got.toolArgs, err)
				}
				if !equalMaps(args, tt.wantArgs) {
					t.Errorf("arguments %v, want %v", args, tt.wantArgs)
				}
			}
			if got.usage == nil || got.usage.TotalTokens != got.usage.PromptTokens+got.usage.CompletionTokens || got.usage.PromptTokens < 500 {
				t.Errorf("usage %+v, want a plausible total in the last chunk", got.usage)
			}
			if st := s.Stats(); st != tt.wantStats {
				t.Errorf("Stats() = %+v, want %+v", st, tt.wantStats)
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestUsageOnlyWhenAsked(t *testing.T) {
	_, ts := start(t, Options{Profile: Stable})
	got := streamReply(t, ts.URL, realRequest(t, "first_round.json", Stable, true, false))
	if got.usage != nil {
		t.Fatalf("usage %+v without stream_options.include_usage, want none", got.usage)
	}
	if got.toolName != "new_answer" || got.finish != "tool_calls" {
		t.Fatalf("tool %q finish %q, want new_answer tool_calls", got.toolName, got.finish)
	}
}

func TestArgumentsSplitOverChunks(t *testing.T) {
	_, ts := start(t, Options{Profile: Stable})
	resp := post(t, ts.URL, realRequest(t, "vote_round.json", Stable, true, true))
	defer resp.Body.Close()
	chunks, err := parseSSE(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	pieces := 0
	for _, c := range chunks {
		for _, ch := range c.Choices {
			for _, tc := range ch.Delta.ToolCalls {
				if tc.ID == "" && tc.Function.Arguments != "" {
					pieces++
				}
			}
		}
	}
	if pieces < 2 {
		t.Fatalf("arguments in %d chunks, want at least 2", pieces)
	}
}

func TestNonStreamCompletion(t *testing.T) {
	_, ts := start(t, Options{Profile: Stable})
	resp := post(t, ts.URL, realRequest(t, "vote_round.json", Stable, false, false))
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get(HeaderName) != "stable" {
		t.Fatalf("status %d header %q, want 200 stable", resp.StatusCode, resp.Header.Get(HeaderName))
	}
	var c completion
	dec := json.NewDecoder(resp.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.Object != "chat.completion" || len(c.Choices) != 1 || c.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("completion %+v, want one tool_calls choice", c)
	}
	msg := c.Choices[0].Message
	if msg.Content != nil || len(msg.ToolCalls) != 1 || msg.ToolCalls[0].Function.Name != "vote" || msg.ToolCalls[0].Type != "function" {
		t.Fatalf("message %+v, want one vote tool call and null content", msg)
	}
	if want := `{"agent_id":"agent1","reason":"[cohos-substrate-stable] scripted vote for the lowest answered agent"}`; msg.ToolCalls[0].Function.Arguments != want {
		t.Fatalf("arguments %s, want %s", msg.ToolCalls[0].Function.Arguments, want)
	}
}

func TestSlowSleepsLatency(t *testing.T) {
	var mu sync.Mutex
	var slept []time.Duration
	rec := func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		slept = append(slept, d)
		return nil
	}
	for _, p := range []Profile{Stable, Slow} {
		slept = nil
		_, ts := start(t, Options{Profile: p, Latency: 7 * time.Second, Sleep: rec})
		streamReply(t, ts.URL, realRequest(t, "first_round.json", p, true, true))
		want := 0
		if p == Slow {
			want = 1
		}
		if len(slept) != want || (want == 1 && slept[0] != 7*time.Second) {
			t.Errorf("%s slept %v, want %d sleeps of 7s", p, slept, want)
		}
	}
	_, ts := start(t, Options{Profile: Slow, Sleep: rec})
	slept = nil
	streamReply(t, ts.URL, realRequest(t, "first_round.json", Slow, true, true))
	if len(slept) != 1 || slept[0] != DefaultLatency {
		t.Errorf("default latency slept %v, want [%v]", slept, DefaultLatency)
	}
}

func TestSlowClientGone(t *testing.T) {
	s, ts := start(t, Options{Profile: Slow, Sleep: func(context.Context, time.Duration) error { return context.Canceled }})
	resp := post(t, ts.URL, realRequest(t, "first_round.json", Slow, true, true))
	resp.Body.Close()
	if st := s.Stats(); st.NewAnswer != 0 || st.Chat != 1 {
		t.Fatalf("Stats() = %+v, want the request counted and not answered", st)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want error
	}{
		{"ok", Options{Profile: Dead}, nil},
		{"empty profile", Options{}, ErrUnknownProfile},
		{"alias is not a profile", Options{Profile: "failing"}, ErrUnknownProfile},
		{"negative latency", Options{Profile: Slow, Latency: -time.Second}, ErrBadOptions},
		{"negative thrash answers", Options{Profile: Thrash, ThrashAnswers: -1}, ErrBadOptions},
		{"rate above one", Options{Profile: Flaky, FlakyRate: 1.5}, ErrBadOptions},
		{"negative rate", Options{Profile: Flaky, FlakyRate: -0.1}, ErrBadOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("New(%+v) error %v, want %v", tt.opts, err, tt.want)
			}
		})
	}
}
