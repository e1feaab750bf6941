package massgen

import (
	"context"
	"path"
	"strings"
	"testing"
	"testing/fstest"
)

// fuzzFixture is the stable run cut down to the files Analyze reads, so
// that each execution (and the fuzzer's minimization) stays fast.
func fuzzFixture(f *testing.F) (fstest.MapFS, string) {
	full, dir := mapFixture(f, "stable")
	m := fstest.MapFS{}
	for _, name := range []string{statusName, eventsName, coordName, metadataName, "final/agent_a/answer.txt"} {
		m[attemptFile(dir, name)] = full[attemptFile(dir, name)]
	}
	m[path.Join(dir, "turn_1/final/agent_a/answer.txt")] = full[path.Join(dir, "turn_1/final/agent_a/answer.txt")]
	// Small but valid stand-ins for the files no fuzzer here mutates.
	m[attemptFile(dir, coordName)] = &fstest.MapFile{Data: []byte(`{"session_metadata": {"agent_ids": ["agent_a", "agent_b", "agent_c"], "final_winner": "agent_a"}, "events": []}`)}
	m[attemptFile(dir, metadataName)] = &fstest.MapFile{Data: []byte("massgen_version: 0.1.91\nconfig: {agents: [{id: agent_a, backend: {model: m}}]}\n")}
	addDirs(m)
	return m, dir
}

// checkInvariants holds for every Analysis, whatever the input.
func checkInvariants(t *testing.T, a *Analysis) {
	t.Helper()
	if a == nil || a.Metrics == nil || a.Timeline == nil || a.AgentAnswers == nil {
		t.Fatal("nil Analysis, Metrics, Timeline or AgentAnswers")
	}
	completed, ok := a.Metrics["completed"].Boolean()
	if !ok {
		t.Fatal("completed missing or not a boolean")
	}
	if completed && (len(a.Problems) > 0 || a.Winner == "" || a.FinalAnswer == "") {
		t.Fatalf("completed with problems %q, winner %q, final %q", a.Problems, a.Winner, a.FinalAnswer)
	}
	for name, v := range a.Metrics {
		if f, isNum := v.Number(); isNum && (f < 0 || !finite(f)) {
			t.Fatalf("%s = %v", name, f)
		}
	}
}

// FuzzAnalyzeStatus replaces status.json of the stable run.
func FuzzAnalyzeStatus(f *testing.F) {
	base, dir := fuzzFixture(f)
	name := attemptFile(dir, statusName)
	orig := base[name].Data
	f.Add(orig)
	f.Add(orig[:len(orig)/2])
	f.Add([]byte(`{"finish_reason": "completed", "agents": {}, "results": {"winner": "agent_a"}}`))
	f.Add([]byte(`{"finish_reason": "timeout", "agents": {"agent_a": {"answer_count": 1e300, "round_history": [{"duration_ms": -1}]}}}`))
	f.Add([]byte(`{"finish_reason": "x", "agents": {"../x": {}}, "results": {"winner": "../../etc"}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := fstest.MapFS{}
		for k, v := range base {
			m[k] = v
		}
		m[name] = &fstest.MapFile{Data: data, Mode: 0o644}
		a := Analyze(context.Background(), m, dir)
		checkInvariants(t, a)
		if string(data) != string(orig) {
			if c, _ := a.Metrics["completed"].Boolean(); c && strings.TrimSpace(string(data)) == "" {
				t.Fatal("completed without a status.json")
			}
		}
		for _, p := range a.Problems {
			if strings.Contains(p, "..") && strings.HasPrefix(p, "final/") {
				t.Fatalf("path escaped: %q", p)
			}
		}
		if strings.Contains(a.FinalAnswer, "..") {
			t.Fatalf("FinalAnswer %q", a.FinalAnswer)
		}
	})
}

// FuzzAnalyzeEvents replaces events.jsonl of the stable run.
func FuzzAnalyzeEvents(f *testing.F) {
	base, dir := fuzzFixture(f)
	name := attemptFile(dir, eventsName)
	orig := base[name].Data
	f.Add(orig)
	f.Add(orig[:len(orig)/3])
	f.Add([]byte(`{"timestamp": "2026-11-24T05:31:09Z", "event_type": "winner_selected", "agent_id": "agent_b", "data": 1}` + "\n"))
	f.Add([]byte("\n\n{}\n{\"event_type\": 3}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := fstest.MapFS{}
		for k, v := range base {
			m[k] = v
		}
		m[name] = &fstest.MapFile{Data: data, Mode: 0o644}
		checkInvariants(t, Analyze(context.Background(), m, dir))
	})
}
