package massgen

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// editJSON rewrites a JSON object file of m through edit.
func editJSON(t *testing.T, m fstest.MapFS, name string, edit func(map[string]any)) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(m[name].Data, &v); err != nil {
		t.Fatal(err)
	}
	edit(v)
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	m[name] = &fstest.MapFile{Data: b, Mode: 0o644}
}

// TestAnalyzeDamaged damages a copy of the stable run in one way each and
// checks what Analyze makes of it.
func TestAnalyzeDamaged(t *testing.T) {
	type check struct {
		problems  []string // exact, in order; nil means none
		completed bool
		metric    string // one metric to check, "" for none
		value     float64
		absent    string // a metric that must be left out
	}
	huge := bytes.Repeat([]byte("x"), maxLineSize+10)
	tests := []struct {
		name   string
		damage func(t *testing.T, m fstest.MapFS, dir string)
		want   check
	}{
		{
			name:   "undamaged",
			damage: func(*testing.T, fstest.MapFS, string) {},
			want:   check{completed: true, metric: "answers_total", value: 3},
		},
		{
			name: "status.json is a symlink",
			damage: func(t *testing.T, m fstest.MapFS, dir string) {
				st := attemptFile(dir, statusName)
				m[st+".real"] = m[st]
				m[st] = &fstest.MapFile{Mode: fs.ModeSymlink, Data: []byte("status.json.real")}
			},
			want: check{problems: []string{"status.json: symbolic link not followed"}, absent: "tokens_in"},
		},
		{
			name: "huge line in events.jsonl",
			damage: func(t *testing.T, m fstest.MapFS, dir string) {
				ev := m[attemptFile(dir, eventsName)]
				lines := bytes.SplitAfter(ev.Data, []byte("\n"))
				lines = slices.Insert(lines, 3, append(huge, '\n'))
				ev.Data = bytes.Join(lines, nil)
			},
			want: check{problems: []string{"events.jsonl: line 4: longer than 4194304 bytes"}, metric: "answers_total", value: 3},
		},
		{
			name: "malformed lines, capped",
			damage: func(t *testing.T, m fstest.MapFS, dir string) {
				ev := m[attemptFile(dir, eventsName)]
				ev.Data = append(bytes.Repeat([]byte("{not json\n"), 12), ev.Data...)
			},
			want: check{problems: append(slices.Repeat([]string{"events.jsonl: line N: malformed"}, 10),
				"events.jsonl: 2 more problems"), metric: "agent_restarts", value: 3},
		},
		{
			name: "final line cut off",
			damage: func(t *testing.T, m fstest.MapFS, dir string) {
				ev := m[attemptFile(dir, eventsName)]
				ev.Data = ev.Data[:len(ev.Data)-20]
			},
			want: check{problems: []string{"events.jsonl: line 37: truncated"}, metric: "answers_total", value: 3},
		},
		{
			name: "status.json finish_reason timeout",
			damage: func(t *testing.T, m fstest.MapFS, dir string) {
				editJSON(t, m, attemptFile(dir, statusName), func(v map[string]any) { v["finish_reason"] = "timeout" })
			},
			want: check{metric: "timed_out", value: 1},
		},
		{
			name: "orchestrator_timeout event",
			damage: func(t *testing.T, m fstest.MapFS, dir string) {
				ev := m[attemptFile(dir, eventsName)]
				ev.Data = append(ev.Data, `{"timestamp": "2026-11-24T05:31:10.000000", "event_type": "orchestrator_timeout", "agent_id": null, "round_number": 2, "data": {"timeout_reason": "600s"}}`+"\n"...)
			},
			want: check{metric: "timed_out", value: 1},
		},
		{
			name: "agent error in status.json",
			damage: func(t *testing.T, m fstest.MapFS, dir string) {
				editJSON(t, m, attemptFile(dir, statusName), func(v map[string]any) {
					a := v["agents"].(map[string]any)["agent_b"].(map[string]any)
					a["error"] = map[string]any{"type": "api", "message": "boom"}
				})
			},
			want: check{completed: true, metric: "agent_errors", value: 1},
		},
		{
			name: "fatal enforcement attempt",
			damage: func(t *testing.T, m fstest.MapFS, dir string) {
				editJSON(t, m, attemptFile(dir, statusName), func(v map[string]any) {
					a := v["agents"].(map[string]any)["agent_c"].(map[string]any)
					a["reliability"] = map[string]any{"enforcement_attempts": []any{
						map[string]any{"attempt": 3, "max_attempts": 3, "reason": "no_tool_calls"}}}
				})
			},
			want: check{completed: true, metric: "agent_errors", value: 1},
		},
		{
			name: "final answers empty",
			damage: func(t *testing.T, m fstest.MapFS, dir string) {
				m[path.Join(dir, "turn_1/final/agent_a/answer.txt")].Data = nil
				m[attemptFile(dir, "final/agent_a/answer.txt")].Data = nil
			},
			want: check{problems: []string{"final/agent_a/answer.txt: empty"}},
		},
		{
			name: "final answer linked: the attempt's copy is used",
			damage: func(t *testing.T, m fstest.MapFS, dir string) {
				m[path.Join(dir, "turn_1/final/agent_a/answer.txt")] = &fstest.MapFile{Mode: fs.ModeSymlink, Data: []byte("context.txt")}
			},
			want: check{completed: true},
		},
		{
			name: "winners disagree",
			damage: func(t *testing.T, m fstest.MapFS, dir string) {
				editJSON(t, m, attemptFile(dir, statusName), func(v map[string]any) {
					v["results"].(map[string]any)["winner"] = "agent_b"
				})
			},
			want: check{problems: []string{"winner: events.jsonl names agent_a but status.json names agent_b"}},
		},
		{
			name: "coordination_events.json missing after a normal end",
			damage: func(t *testing.T, m fstest.MapFS, dir string) {
				delete(m, attemptFile(dir, coordName))
			},
			want: check{problems: []string{"coordination_events.json: missing"}, absent: "ignored_votes"},
		},
		{
			name: "an ignored vote",
			damage: func(t *testing.T, m fstest.MapFS, dir string) {
				editJSON(t, m, attemptFile(dir, coordName), func(v map[string]any) {
					v["events"] = append(v["events"].([]any), map[string]any{"event_type": "vote_ignored", "agent_id": "agent_b"})
				})
			},
			want: check{completed: true, metric: "ignored_votes", value: 1},
		},
		{
			name: "status.json with trailing data",
			damage: func(t *testing.T, m fstest.MapFS, dir string) {
				st := m[attemptFile(dir, statusName)]
				st.Data = append(st.Data, "{}"...)
			},
			want: check{problems: []string{"status.json: malformed: data after the JSON value"}},
		},
		{
			name: "negative tokens",
			damage: func(t *testing.T, m fstest.MapFS, dir string) {
				editJSON(t, m, attemptFile(dir, statusName), func(v map[string]any) {
					a := v["agents"].(map[string]any)["agent_a"].(map[string]any)
					a["token_usage"].(map[string]any)["input_tokens"] = -1
				})
			},
			want: check{problems: []string{"status.json: malformed: agents.agent_a: token_usage.input_tokens -1 is not a count"}, absent: "tokens_in"},
		},
		{
			name: "events.jsonl is a directory",
			damage: func(t *testing.T, m fstest.MapFS, dir string) {
				m[attemptFile(dir, eventsName)] = &fstest.MapFile{Mode: fs.ModeDir | 0o755}
			},
			want: check{problems: []string{"events.jsonl: not a regular file"}, absent: "restarts"},
		},
		{
			name: "no turn directory",
			damage: func(t *testing.T, m fstest.MapFS, dir string) {
				for name := range m {
					if strings.HasPrefix(name, dir+"/") {
						delete(m, name)
					}
				}
				m[dir+"/README"] = &fstest.MapFile{}
			},
			want: check{problems: []string{"turn_*: missing"}, absent: "agents"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, dir := mapFixture(t, "stable")
			tt.damage(t, m, dir)
			a := Analyze(context.Background(), m, dir)
			got := slices.Clone(a.Problems)
			for i, p := range got { // line numbers of malformed lines vary with the decoder's message
				if strings.HasPrefix(p, "events.jsonl: line ") && strings.Contains(p, ": malformed") {
					got[i] = "events.jsonl: line N: malformed"
				}
			}
			if !slices.Equal(got, tt.want.problems) {
				t.Errorf("Problems = %q, want %q", a.Problems, tt.want.problems)
			}
			if c, _ := a.Metrics["completed"].Boolean(); c != tt.want.completed || !a.Metrics["completed"].IsBool() {
				t.Errorf("completed = %v, want %v", a.Metrics["completed"], tt.want.completed)
			}
			if tt.want.metric != "" {
				v, ok := a.Metrics[tt.want.metric]
				got, isNum := v.Number()
				if b, isBool := v.Boolean(); isBool && b {
					got, isNum = 1, true
				} else if isBool {
					got, isNum = 0, true
				}
				if !ok || !isNum || got != tt.want.value {
					t.Errorf("%s = %v (present %v), want %v", tt.want.metric, v, ok, tt.want.value)
				}
			}
			if _, ok := a.Metrics[tt.want.absent]; tt.want.absent != "" && ok {
				t.Errorf("%s present, want it left out", tt.want.absent)
			}
			if a.Timeline == nil || a.Metrics == nil {
				t.Fatal("nil Timeline or Metrics")
			}
		})
	}
}

// TestAnalyzeOSSymlinks checks that real symbolic links under an os.Root
// are not followed, even where os.Root itself would follow them.
func TestAnalyzeOSSymlinks(t *testing.T) {
	tests := []struct {
		name      string
		link      string // attempt-relative path replaced by a link
		target    string
		problems  []string
		completed bool
		final     string // attempt-relative
	}{
		{
			name: "status.json", link: statusName, target: "events.jsonl",
			problems: []string{"status.json: symbolic link not followed"}, final: "../final/agent_a/answer.txt",
		},
		{
			name: "linked final directory: the attempt's copy is used", link: "../final", target: "attempt_1/final",
			completed: true, final: "final/agent_a/answer.txt",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, dir := mapFixture(t, "stable")
			top := t.TempDir()
			for name, f := range m {
				if f.Mode.IsDir() {
					continue
				}
				p := filepath.Join(top, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			link := filepath.Join(top, filepath.FromSlash(attemptFile(dir, tt.link)))
			if err := os.RemoveAll(link); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(tt.target, link); err != nil {
				t.Fatal(err)
			}
			a := Analyze(context.Background(), rootFS(t, top), dir)
			if !slices.Equal(a.Problems, tt.problems) {
				t.Errorf("Problems = %q, want %q", a.Problems, tt.problems)
			}
			if c, _ := a.Metrics["completed"].Boolean(); c != tt.completed {
				t.Errorf("completed = %v, want %v", c, tt.completed)
			}
			if want := attemptFile(dir, tt.final); a.FinalAnswer != want {
				t.Errorf("FinalAnswer = %q, want %q", a.FinalAnswer, want)
			}
		})
	}
}

func TestAnalyzeCanceled(t *testing.T) {
	m, dir := mapFixture(t, "stable")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := Analyze(ctx, m, dir)
	if !slices.Equal(a.Problems, []string{"analysis: context canceled"}) {
		t.Errorf("Problems = %q", a.Problems)
	}
	if c, ok := a.Metrics["completed"].Boolean(); c || !ok || a.Timeline == nil {
		t.Errorf("completed = %v, Timeline = %v", a.Metrics["completed"], a.Timeline)
	}
}
