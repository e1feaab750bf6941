package massgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"
	"unicode/utf8"
)

// rawEvent is one events.jsonl line. Data stays raw: its shape varies by
// event type and MassGen version, and only a few string fields are used.
type rawEvent struct {
	Timestamp string          `json:"timestamp"`
	EventType string          `json:"event_type"`
	AgentID   *string         `json:"agent_id"`
	Data      json.RawMessage `json:"data"`
}

// dataString returns data[key] if data is an object and that member is a
// string, else "".
func dataString(data json.RawMessage, key string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(m[key], &s) != nil {
		return ""
	}
	return s
}

// Text MassGen shows when an agent is killed after its enforcement
// attempts; in 0.1.91 this `text` event is the only record of it that
// survives a run where every agent failed.
const killedText = "Agent failed to use workflow tools"

// events is what Analyze takes from events.jsonl.
type events struct {
	answers        map[string]int
	answersN       int
	retries        map[string]int // "❌ Retry (n/m)" text events per agent
	retriesN       int
	votes          int
	errorsN        int // error/agent_error events and "❌ Error:" text events
	restarts       int
	restartsBy     map[string]int
	presenter      string // agent of final_presentation_start / final_answer
	hasFinalAnswer bool
	selected       string // agent of winner_selected
	timedOut       bool
	failed         map[string]bool
	killed         map[string]string // agent -> MassGen's kill notice
	lastError      map[string]string // agent -> its latest error text
	timeline       []Event
}

// readEvents reads events.jsonl line by line within the package limits.
// Bad lines become problems (via add) and are skipped; a read error, the
// size or line limit, or ctx ending stops reading. It returns nil only
// when the file could not be opened.
func readEvents(ctx context.Context, fsys fs.FS, name string, add func(string, ...any)) (*events, error) {
	f, err := openRegular(fsys, name, maxFileSize)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ev := &events{answers: map[string]int{}, retries: map[string]int{}, restartsBy: map[string]int{}, failed: map[string]bool{},
		killed: map[string]string{}, lastError: map[string]string{}}
	lr := newLineReader(f, maxLineSize, maxFileSize)
	for {
		if lr.no%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return ev, err
			}
		}
		if lr.no >= maxLines {
			add("more than %d lines; the rest was not read", maxLines)
			return ev, nil
		}
		line, long, err := lr.next()
		if errors.Is(err, io.EOF) {
			return ev, nil
		}
		if err != nil {
			add("%v", err)
			return ev, nil
		}
		if long {
			add("line %d: longer than %d bytes", lr.no, maxLineSize)
			continue
		}
		var e rawEvent
		if err := decodeJSON(line, &e); err != nil {
			add("line %d: %v", lr.no, err)
			continue
		}
		if err := ev.add(&e); err != nil {
			add("line %d: %v", lr.no, err)
		}
	}
}

// add records one event. An error leaves the counts as they were.
func (ev *events) add(e *rawEvent) error {
	if e.EventType == "" {
		return errors.New("malformed: event_type missing")
	}
	agent := ""
	if e.AgentID != nil {
		if !validAgentID(*e.AgentID) {
			return fmt.Errorf("malformed: agent_id %q", *e.AgentID)
		}
		agent = *e.AgentID
	}
	t, err := parseEventTime(e.Timestamp)
	if err != nil {
		return err
	}
	point := func(typ, detail string) {
		ev.timeline = append(ev.timeline, Event{Time: t, Agent: agent, Type: typ, Detail: clip(detail)})
	}
	switch e.EventType {
	case "answer_submitted":
		ev.answersN++
		if agent != "" {
			ev.answers[agent]++
		}
		point("answer", dataString(e.Data, "answer_label"))
	case "vote":
		ev.votes++
		point("vote", dataString(e.Data, "target_id"))
	case "agent_restart":
		ev.restarts++
		ev.restartsBy[agent]++
		point("restart", dataString(e.Data, "restart_reason"))
	case "final_presentation_start", "final_answer":
		if err := setWinner(&ev.presenter, agent, e.EventType); err != nil {
			return err
		}
		if e.EventType == "final_presentation_start" {
			point("winner", "presentation")
		} else {
			ev.hasFinalAnswer = true
		}
	case "winner_selected":
		if err := setWinner(&ev.selected, agent, e.EventType); err != nil {
			return err
		}
		point("winner", "selected")
	case "orchestrator_timeout":
		ev.timedOut = true
		point("timeout", dataString(e.Data, "timeout_reason"))
	case "error", "agent_error":
		ev.errorsN++
		msg := firstNonEmpty(dataString(e.Data, "message"), dataString(e.Data, "content"))
		if agent != "" {
			ev.failed[agent] = true
			ev.lastError[agent] = clipN(msg, causeLen)
		}
		point("error", msg)
	case "text":
		c := dataString(e.Data, "content")
		switch {
		case strings.Contains(c, killedText):
			if agent != "" {
				ev.failed[agent] = true
				ev.killed[agent] = clipN(c[strings.Index(c, killedText):], causeLen)
			}
			point("error", c)
		case strings.HasPrefix(c, "❌ Error:"):
			ev.errorsN++
			if agent != "" {
				ev.lastError[agent] = clipN(strings.TrimSpace(strings.TrimPrefix(c, "❌ Error:")), causeLen)
			}
			point("error", c)
		case retries(c) > 0:
			// A real model's streamed text can precede the notice in the same event.
			n := retries(c)
			ev.retriesN += n
			ev.retries[agent] += n
		}
	}
	return nil
}

// retries counts MassGen's enforcement retry notices in a text event's
// content, wherever they stand (a model's own streamed text can come
// first in the same event).
func retries(c string) int {
	n := 0
	for {
		i := strings.Index(c, retryPrefix)
		if i < 0 {
			return n
		}
		if isRetry(c[i:]) {
			n++
		}
		c = c[i+len(retryPrefix):]
	}
}

// isRetry reports whether a text event's content is MassGen's enforcement
// retry notice, "❌ Retry (1/3): You must use workflow tools ...": one per
// re-prompt of an agent that neither answered nor voted through its tools
// (the failure after the last attempt kills the agent instead).
func isRetry(c string) bool {
	rest, ok := strings.CutPrefix(c, retryPrefix)
	if !ok {
		return false
	}
	n, rest, ok := cutDigits(rest)
	if !ok || !strings.HasPrefix(rest, "/") {
		return false
	}
	m, rest, ok := cutDigits(rest[1:])
	return ok && n > 0 && n <= m && strings.HasPrefix(rest, ")")
}

const retryPrefix = "❌ Retry ("

// cutDigits splits 1 to 6 leading ASCII digits off s.
func cutDigits(s string) (int, string, bool) {
	n, i := 0, 0
	for i < len(s) && i < 6 && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		i++
	}
	return n, s[i:], i > 0
}

// setWinner records the agent a winner event names; two different agents
// are an error.
func setWinner(dst *string, agent, typ string) error {
	if agent == "" {
		return fmt.Errorf("malformed: %s without agent_id", typ)
	}
	if *dst != "" && *dst != agent {
		return fmt.Errorf("%s names %s after %s", typ, agent, *dst)
	}
	*dst = agent
	return nil
}

// parseEventTime accepts MassGen's naive ISO 8601 local time (read as
// UTC: the captures ran in UTC and status.json's Unix times agree) and
// RFC 3339 with a zone.
func parseEventTime(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("malformed: timestamp %q", clip(s))
}

// clip shortens s to at most 200 bytes on a rune boundary, stripped of
// surrounding space.
func clip(s string) string { return clipN(s, 200) }

// clipN shortens s to at most n bytes on a rune boundary, stripped of
// surrounding space.
func clipN(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
