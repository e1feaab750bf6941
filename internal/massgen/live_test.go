package massgen

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLiveReader: events appended while MassGen runs are counted per agent
// as they arrive, a line cut by a read is counted once it is complete, and
// an error's text is kept printable.
func TestLiveReader(t *testing.T) {
	dir := t.TempDir()
	ev := filepath.Join(dir, ".massgen", "massgen_logs", "log_1", "turn_1", "attempt_1")
	if err := os.MkdirAll(ev, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(ev, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := newLiveReader(dir)
	defer l.close()
	now := time.Now()
	f.WriteString(`{"timestamp":"2026-11-24T05:00:00","event_type":"answer_submitted","agent_id":"agent_a","data":{}}` + "\n" +
		`{"timestamp":"2026-11-24T05:00:01","event_type":"agent_restart","agent_id":"agent_b","data":{}}` + "\n" +
		`{"timestamp":"2026-11-24T05:00:02","event_type":"error","agent_id":"agent_b","data":{"message":"Connection`)
	got, ok := l.poll(now)
	if !ok || len(got.Agents) != 2 || got.Agents[0].Answers != 1 || got.Agents[1].Round != 2 || got.Agents[1].Errors != 0 {
		t.Fatalf("first poll = %+v, %v", got, ok)
	}
	f.WriteString(" error\\u001b[2J\"}}\n" + `{"timestamp":"2026-11-24T05:00:03","event_type":"vote","agent_id":"agent_a","data":{}}` + "\n")
	got, _ = l.poll(now.Add(livePoll))
	a, b := got.Agents[0], got.Agents[1]
	if a.Votes != 1 || b.Errors != 1 || b.LastError != "Connection error\uFFFD[2J" {
		t.Fatalf("second poll = %+v", got)
	}
}
