package substrate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// errNoDone marks a stream that ended without "data: [DONE]".
var errNoDone = errors.New("stream ended without [DONE]")

// parseSSE parses a chat-completions event stream strictly: every event is
// exactly one "data: " line followed by a blank line, the last event is
// "data: [DONE]" and nothing follows it. It returns the chunk payloads; a
// stream that ends early returns the chunks so far and an error wrapping
// errNoDone (or the read error).
func parseSSE(r io.Reader) ([]chunk, error) {
	body, readErr := io.ReadAll(r)
	var out []chunk
	rest := body
	for len(rest) > 0 {
		i := bytes.Index(rest, []byte("\n\n"))
		if i < 0 {
			if readErr != nil {
				return out, fmt.Errorf("%w: %w", errNoDone, readErr)
			}
			return out, fmt.Errorf("unterminated event %q", rest)
		}
		line := string(rest[:i])
		rest = rest[i+2:]
		if strings.Contains(line, "\n") {
			return out, fmt.Errorf("event with several lines: %q", line)
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			return out, fmt.Errorf("event line without \"data: \": %q", line)
		}
		if data == "[DONE]" {
			if len(rest) != 0 {
				return out, fmt.Errorf("%d bytes after [DONE]", len(rest))
			}
			return out, readErr
		}
		var c chunk
		dec := json.NewDecoder(strings.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return out, fmt.Errorf("chunk %q: %w", data, err)
		}
		if dec.More() {
			return out, fmt.Errorf("trailing data in chunk %q", data)
		}
		out = append(out, c)
	}
	if readErr != nil {
		return out, fmt.Errorf("%w: %w", errNoDone, readErr)
	}
	return out, errNoDone
}

// streamed is a reassembled streamed reply.
type streamed struct {
	id, model string
	content   string
	toolID    string
	toolName  string
	toolArgs  string
	finish    string
	usage     *usage
}

// assemble checks the chunk sequence the way the openai SDK and MassGen
// read it and reassembles the reply.
func assemble(t *testing.T, chunks []chunk) streamed {
	t.Helper()
	if len(chunks) < 2 {
		t.Fatalf("got %d chunks, want at least 2", len(chunks))
	}
	var s streamed
	s.id, s.model = chunks[0].ID, chunks[0].Model
	for i, c := range chunks {
		if c.ID != s.id || c.Model != s.model || c.Object != "chat.completion.chunk" {
			t.Fatalf("chunk %d: id/model/object %q/%q/%q, want %q/%q/chat.completion.chunk", i, c.ID, c.Model, c.Object, s.id, s.model)
		}
		if c.Usage != nil {
			if i != len(chunks)-1 {
				t.Fatalf("usage in chunk %d of %d, want only in the last", i, len(chunks))
			}
			if len(c.Choices) != 0 {
				t.Fatalf("usage chunk has %d choices, want 0", len(c.Choices))
			}
			s.usage = c.Usage
			continue
		}
		if len(c.Choices) != 1 || c.Choices[0].Index != 0 {
			t.Fatalf("chunk %d: choices %+v, want one with index 0", i, c.Choices)
		}
		if s.finish != "" {
			t.Fatalf("chunk %d after finish_reason %q", i, s.finish)
		}
		ch := c.Choices[0]
		if i == 0 && ch.Delta.Role != "assistant" {
			t.Fatalf("first chunk role %q, want assistant", ch.Delta.Role)
		}
		if ch.Delta.Content != nil {
			s.content += *ch.Delta.Content
		}
		for _, tc := range ch.Delta.ToolCalls {
			if tc.Index == nil || *tc.Index != 0 {
				t.Fatalf("chunk %d: tool call index %v, want 0", i, tc.Index)
			}
			if tc.ID != "" {
				if s.toolID != "" || tc.Type != "function" || tc.Function.Name == "" {
					t.Fatalf("chunk %d: bad tool call header %+v", i, tc)
				}
				s.toolID, s.toolName = tc.ID, tc.Function.Name
			} else if s.toolID == "" {
				t.Fatalf("chunk %d: tool arguments before the tool call header", i)
			}
			s.toolArgs += tc.Function.Arguments
		}
		if ch.FinishReason != nil {
			s.finish = *ch.FinishReason
		}
	}
	return s
}

// post sends body to path and returns the response; the caller closes it.
func post(t *testing.T, url, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	return resp
}

func TestParseSSERejectsBadFraming(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"no data prefix", "event: x\n\ndata: [DONE]\n\n"},
		{"two lines", "data: {}\ndata: {}\n\ndata: [DONE]\n\n"},
		{"after done", "data: [DONE]\n\ndata: {}\n\n"},
		{"no done", `data: {"id":"a","object":"chat.completion.chunk","created":0,"model":"m","system_fingerprint":"","choices":[]}` + "\n\n"},
		{"unknown field", `data: {"bogus":1}` + "\n\ndata: [DONE]\n\n"},
		{"unterminated", "data: [DONE]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseSSE(strings.NewReader(tt.in)); err == nil {
				t.Fatalf("parseSSE(%q) = nil error, want an error", tt.in)
			}
		})
	}
}
