package massgen

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"sort"
	"syscall"
	"time"

	"cohos.dev/cohos/runner"
)

// Live is what MassGen's events.jsonl says so far, for a progress display:
// read while MassGen runs, never evidence (Analyze reads the finished logs).
type Live struct {
	Agents []AgentLive // sorted by id
	Winner string      // "" until one is selected
}

// AgentLive counts one agent's events so far.
type AgentLive struct {
	ID string
	// Round is the agent's round: 1 plus its restarts.
	Round                            int
	Answers, Votes, Restarts, Errors int
	LastError                        string // printable, clipped
}

// Bounds of the live reader: it must never cost the run much.
const (
	livePoll    = 500 * time.Millisecond
	liveChunk   = 1 << 20  // bytes read per poll
	liveLineMax = 64 << 10 // longer lines are skipped
)

// liveReader follows events.jsonl in the run directory (through an
// os.Root: nothing the job plants leads outside it).
type liveReader struct {
	root    *os.Root
	events  string // path of events.jsonl once found, relative to root
	off     int64
	partial []byte
	skip    bool // inside a line longer than liveLineMax
	agents  map[string]*AgentLive
	winner  string
	last    time.Time
}

func newLiveReader(runDir string) *liveReader {
	root, err := os.OpenRoot(runDir)
	if err != nil {
		return nil
	}
	return &liveReader{root: root, agents: map[string]*AgentLive{}}
}

func (l *liveReader) close() {
	if l != nil {
		l.root.Close()
	}
}

// poll reads what was appended since the last poll (at most every
// livePoll) and returns the counts; ok is false when nothing is known yet.
func (l *liveReader) poll(now time.Time) (Live, bool) {
	if l == nil {
		return Live{}, false
	}
	if now.Sub(l.last) >= livePoll {
		l.last = now
		l.read()
	}
	if len(l.agents) == 0 {
		return Live{}, false
	}
	out := Live{Winner: l.winner}
	for _, a := range l.agents {
		out.Agents = append(out.Agents, *a)
	}
	sort.Slice(out.Agents, func(i, j int) bool { return out.Agents[i].ID < out.Agents[j].ID })
	return out, true
}

func (l *liveReader) read() {
	fsys := l.root.FS()
	if l.events == "" {
		logDir, err := FindLogDir(fsys, massgenLogBase)
		if err != nil {
			return
		}
		turn, err := lastNumbered(fsys, logDir, "turn_")
		if err != nil || turn == "" {
			return
		}
		dir := path.Join(logDir, turn)
		if attempt, err := lastNumbered(fsys, dir, "attempt_"); err == nil && attempt != "" {
			dir = path.Join(dir, attempt)
		}
		name := path.Join(dir, eventsName)
		if fi, err := fs.Lstat(fsys, name); err != nil || !fi.Mode().IsRegular() {
			return
		}
		l.events = name
	}
	f, err := l.root.OpenFile(l.events, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return
	}
	buf := make([]byte, liveChunk)
	n, _ := f.ReadAt(buf, l.off)
	l.off += int64(n)
	l.lines(buf[:n])
}

// lines feeds complete lines to add, keeping a cut line for the next read.
func (l *liveReader) lines(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if !l.skip && len(l.partial)+len(b) <= liveLineMax {
				l.partial = append(l.partial, b...)
			} else {
				l.partial, l.skip = nil, true
			}
			return
		}
		if !l.skip && len(l.partial)+i <= liveLineMax {
			l.add(append(l.partial, b[:i]...))
		}
		l.partial, l.skip = nil, false
		b = b[i+1:]
	}
}

func (l *liveReader) add(line []byte) {
	var e rawEvent
	if json.Unmarshal(line, &e) != nil || e.AgentID == nil || !validAgentID(*e.AgentID) {
		return
	}
	a := l.agents[*e.AgentID]
	if a == nil {
		if len(l.agents) >= 64 {
			return
		}
		a = &AgentLive{ID: *e.AgentID, Round: 1}
		l.agents[a.ID] = a
	}
	switch e.EventType {
	case "answer_submitted":
		a.Answers++
	case "vote":
		a.Votes++
	case "agent_restart":
		a.Restarts++
		a.Round = a.Restarts + 1
	case "winner_selected":
		l.winner = a.ID
	case "error", "agent_error":
		a.Errors++
		a.LastError = runner.Printable([]byte(clip(firstNonEmpty(dataString(e.Data, "message"), dataString(e.Data, "content")))))
	}
}

// liveProgress wraps progress so that, with live set, each call also
// reports what events.jsonl in runDir says so far.
func liveProgress(runDir string, progress func(runner.Progress), live func(Live)) (func(runner.Progress), func()) {
	if live == nil {
		return progress, func() {}
	}
	l := newLiveReader(runDir)
	return func(p runner.Progress) {
		if progress != nil {
			progress(p)
		}
		if s, ok := l.poll(time.Now()); ok {
			live(s)
		}
	}, l.close
}
