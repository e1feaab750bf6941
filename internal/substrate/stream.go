package substrate

import (
	"encoding/json"
	"net/http"
)

// Piece sizes, in runes, for splitting streamed text and tool arguments over
// several chunks, as real servers do.
const (
	textPiece = 24
	argsPiece = 16
)

// writeStream sends rep as server-sent events: a role chunk, the content or
// tool-call chunks, a finish chunk, a usage chunk with "choices": [] when
// the request asked for it, then "data: [DONE]". With cut, it sends the
// first half of the chunks and then drops the connection.
func (s *Server) writeStream(w http.ResponseWriter, req *chatRequest, rep reply, cut bool) {
	id, created := s.nextID(), s.opts.Now().Unix()
	base := chunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: s.model, SystemFingerprint: "cohos-substrate"}
	with := func(d delta, finish *string) chunk {
		c := base
		c.Choices = []chunkChoice{{Index: 0, Delta: d, FinishReason: finish}}
		return c
	}

	empty := ""
	events := []chunk{with(delta{Role: "assistant", Content: &empty}, nil)}
	finish := "stop"
	switch rep.kind {
	case replyText:
		for _, p := range split(rep.text, textPiece) {
			events = append(events, with(delta{Content: &p}, nil))
		}
	default:
		finish = "tool_calls"
		zero := 0
		callID := "call_" + id[len("chatcmpl-"):]
		events = append(events, with(delta{ToolCalls: []toolCall{{
			Index: &zero, ID: callID, Type: "function",
			Function: functionCall{Name: rep.kind.String(), Arguments: ""},
		}}}, nil))
		for _, p := range split(rep.args, argsPiece) {
			events = append(events, with(delta{ToolCalls: []toolCall{{
				Index: &zero, Function: functionCall{Arguments: p},
			}}}, nil))
		}
	}
	events = append(events, with(delta{}, &finish))
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage && !s.q.noUsage {
		u := s.usage(req, rep)
		c := base
		c.Choices = []chunkChoice{}
		c.Usage = &u
		if s.q.timings {
			c.Timings = fakeTimings(u)
		}
		events = append(events, c)
	}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	n := len(events)
	if cut {
		n = len(events) / 2
	}
	for _, ev := range events[:n] {
		b, err := json.Marshal(ev)
		if err != nil {
			return
		}
		if _, err := w.Write(append(append([]byte("data: "), b...), '\n', '\n')); err != nil {
			return // the client went away
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
	if cut {
		dropConnection(rc)
		return
	}
	_, _ = w.Write([]byte("data: [DONE]\n\n"))
	_ = rc.Flush()
}

// dropConnection closes the underlying connection without ending the
// chunked body, so the client sees a stream cut mid-way. When the writer
// cannot be hijacked (HTTP/2, a wrapping writer) the response just ends
// without [DONE].
func dropConnection(rc *http.ResponseController) {
	conn, _, err := rc.Hijack()
	if err != nil {
		return
	}
	_ = conn.Close()
}

// writeCompletion sends rep as one chat.completion object.
func (s *Server) writeCompletion(w http.ResponseWriter, req *chatRequest, rep reply) {
	id := s.nextID()
	msg := replyMessage{Role: "assistant"}
	finish := "stop"
	if rep.kind == replyText {
		t := rep.text
		msg.Content = &t
	} else {
		finish = "tool_calls"
		msg.ToolCalls = []toolCall{{
			ID: "call_" + id[len("chatcmpl-"):], Type: "function",
			Function: functionCall{Name: rep.kind.String(), Arguments: rep.args},
		}}
	}
	writeJSON(w, http.StatusOK, completion{
		ID: id, Object: "chat.completion", Created: s.opts.Now().Unix(), Model: s.model,
		SystemFingerprint: "cohos-substrate",
		Choices:           []completionChoice{{Index: 0, Message: msg, FinishReason: finish}},
		Usage:             s.usage(req, rep),
	})
}

// usage estimates token counts at four bytes a token, deterministically.
func (s *Server) usage(req *chatRequest, rep reply) usage {
	in := 0
	for _, m := range req.Messages {
		in += len(m.Content)
	}
	out := len(rep.text) + len(rep.args)
	u := usage{PromptTokens: in/4 + 1, CompletionTokens: out/4 + 1}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

// split cuts s into pieces of at most n runes; "" gives one empty piece.
func split(s string, n int) []string {
	r := []rune(s)
	if len(r) == 0 {
		return []string{""}
	}
	var out []string
	for len(r) > n {
		out = append(out, string(r[:n]))
		r = r[n:]
	}
	return append(out, string(r))
}
