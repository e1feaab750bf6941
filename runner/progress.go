package runner

import (
	"os"
	"sync"
	"time"
)

// progressInterval is how often Spec.Progress is called while a job runs.
const progressInterval = 200 * time.Millisecond

// meter reports a job's progress. Byte counts are the sizes of the log
// files, so nothing the job prints passes through memory. Its methods are
// safe for concurrent use.
type meter struct {
	start          time.Time
	stdout, stderr *os.File

	mu      sync.Mutex
	attempt int
}

func (m *meter) setAttempt(n int) {
	m.mu.Lock()
	m.attempt = n
	m.mu.Unlock()
}

// snapshot returns the current progress. A log file that cannot be
// examined counts as empty here; the final counts come from Run, which
// reports that error.
func (m *meter) snapshot() Progress {
	m.mu.Lock()
	n := m.attempt
	m.mu.Unlock()
	return Progress{
		Elapsed:     time.Since(m.start),
		Restarts:    max(n-1, 0),
		StdoutBytes: size(m.stdout),
		StderrBytes: size(m.stderr),
		Attempt:     n,
	}
}

// report calls fn from one goroutine every progressInterval until the
// returned stop function is called; stop makes the last call and returns
// once fn has returned. With fn nil, report does nothing.
func (m *meter) report(fn func(Progress)) (stop func()) {
	if fn == nil {
		return func() {}
	}
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(progressInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fn(m.snapshot())
			case <-quit:
				fn(m.snapshot())
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

func size(f *os.File) int64 {
	fi, err := f.Stat()
	if err != nil {
		return 0
	}
	return fi.Size()
}
