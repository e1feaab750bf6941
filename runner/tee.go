package runner

import (
	"io"
	"os"
	"time"
	"unicode"
	"unicode/utf8"
)

// teeInterval is how often the logs are followed for Spec.Tee.
const teeInterval = 100 * time.Millisecond

// teeChunk bounds one read of a log.
const teeChunk = 64 << 10

// follower copies what the job appends to one log file to a writer, as
// `tail -f` would: the job keeps writing to the file itself, so a slow
// terminal never slows it down. Control characters other than newline
// and tab (terminal escapes among them) are shown as '?': the job's
// output is not allowed to drive the terminal.
type follower struct {
	f       *os.File
	w       io.Writer
	off     int64
	pending []byte // the start of a UTF-8 sequence cut by the last read
	buf     []byte
}

// pump copies everything appended since the last call.
func (t *follower) pump() {
	for {
		n, _ := t.f.ReadAt(t.buf, t.off)
		if n <= 0 {
			return
		}
		t.off += int64(n)
		data := append(t.pending, t.buf[:n]...)
		cut := len(data)
		for i := max(0, len(data)-utf8.UTFMax+1); i < len(data); i++ {
			if utf8.RuneStart(data[i]) && !utf8.FullRune(data[i:]) {
				cut = i
				break
			}
		}
		t.pending = append([]byte(nil), data[cut:]...)
		_, _ = t.w.Write(sanitize(data[:cut]))
		if n < len(t.buf) {
			return
		}
	}
}

// flush writes whatever is pending.
func (t *follower) flush() {
	t.pump()
	if len(t.pending) > 0 {
		_, _ = t.w.Write(sanitize(t.pending))
		t.pending = nil
	}
}

// sanitize maps control characters but newline and tab, and invalid
// UTF-8, to '?'.
func sanitize(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size <= 1, r != '\n' && r != '\t' && unicode.IsControl(r):
			out = append(out, '?')
		default:
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

// tee follows the job's logs into the writers (nil: not followed) until
// the returned stop is called; stop copies the rest and returns.
func tee(stdout, stderr *os.File, wOut, wErr io.Writer) (stop func()) {
	var fs []*follower
	if wOut != nil {
		fs = append(fs, &follower{f: stdout, w: wOut, buf: make([]byte, teeChunk)})
	}
	if wErr != nil {
		fs = append(fs, &follower{f: stderr, w: wErr, buf: make([]byte, teeChunk)})
	}
	if len(fs) == 0 {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(teeInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				for _, f := range fs {
					f.pump()
				}
			case <-quit:
				for _, f := range fs {
					f.flush()
				}
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}
