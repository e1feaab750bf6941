package cmd

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"

	"cohos.dev/cohos/internal/massgen"
	"cohos.dev/cohos/runner"
)

// progress draws one updating status line on a terminal; elsewhere it is silent.
type progress struct {
	mu   sync.Mutex
	w    io.Writer
	on   bool
	len  int
	live string // the MassGen agents' line, from live
}

func newProgress(w io.Writer, quiet bool) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, on: !quiet && ok && term.IsTerminal(int(f.Fd()))}
}

func (p *progress) update(s runner.Progress) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	line := fmt.Sprintf("cohos: %6.1fs  attempt %d  restarts %d  stdout %s  stderr %s",
		s.Elapsed.Seconds(), s.Attempt, s.Restarts, size(s.StdoutBytes), size(s.StderrBytes))
	if p.live != "" {
		line = fmt.Sprintf("cohos: %6.1fs  %s", s.Elapsed.Seconds(), p.live)
	}
	if w := p.width(); len(line) > w {
		line = line[:w]
	}
	pad := p.len - len(line)
	if pad < 0 {
		pad = 0
	}
	fmt.Fprintf(p.w, "\r%s%*s", line, pad, "")
	p.len = len(line)
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.on && p.len > 0 {
		fmt.Fprintln(p.w)
	}
}

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fGiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fKiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

// setLive records a MassGen run's progress for the next update: per agent
// its round, answers, votes, restarts and errors (with the last error).
func (p *progress) setLive(l massgen.Live) {
	if !p.on {
		return
	}
	var parts []string
	for _, a := range l.Agents {
		s := fmt.Sprintf("%s r%d %da %dv", a.ID, a.Round, a.Answers, a.Votes)
		if a.Restarts > 0 {
			s += fmt.Sprintf(" %drst", a.Restarts)
		}
		if a.Errors > 0 {
			s += fmt.Sprintf(" %derr %q", a.Errors, a.LastError)
		}
		parts = append(parts, s)
	}
	line := strings.Join(parts, " | ")
	if l.Winner != "" {
		line += " | winner " + l.Winner
	}
	p.mu.Lock()
	p.live = line
	p.mu.Unlock()
}

// width is the terminal's width (80 when unknown), less one column.
func (p *progress) width() int {
	if f, ok := p.w.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 1 {
			return w - 1
		}
	}
	return 79
}
