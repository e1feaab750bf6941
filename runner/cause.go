package runner

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds of the stderr line a cause quotes.
const (
	stderrTail   = 8 << 10 // bytes read from the end of the log
	causeLineMax = 300     // bytes of the quoted line kept
)

// cause says, in the words a person acts on, what cohos observed that
// kept the job from completing: "timed out after 2s", "interrupted",
// "executable not found: ...", "killed by SIGKILL", "exit 3 (stderr:
// LAST LINE)", or a replaced log; "" when the job completed. stderr is the
// job's stderr log as cohos wrote it (size bytes long).
func cause(o *Outcome, timeout time.Duration, stderr io.ReaderAt, size int64) string {
	var last *Attempt
	if n := len(o.Invocation.Attempts); n > 0 {
		last = &o.Invocation.Attempts[n-1]
	}
	switch {
	case o.TimedOut && timeout > 0:
		return "timed out after " + timeout.String()
	case o.TimedOut:
		return "timed out"
	case o.Interrupted:
		return "interrupted"
	case last != nil && last.StartError != "":
		if last.ExitCode == 127 && len(o.Invocation.Argv) > 0 {
			return fmt.Sprintf("executable not found: %s (exit 127)", Printable([]byte(o.Invocation.Argv[0])))
		}
		return fmt.Sprintf("cannot execute: %s (exit %d)", startError(last.StartError), last.ExitCode)
	case last != nil && last.Signal != "":
		return withStderr("killed by "+last.Signal, stderr, size)
	case o.ExitCode != 0:
		return withStderr("exit "+strconv.Itoa(o.ExitCode), stderr, size)
	case o.LogReplaced:
		return "the job replaced its own log file (restored from cohos's copy)"
	}
	return ""
}

// startError is exec's start error without its "exec: " prefix, made
// printable.
func startError(s string) string {
	return Printable([]byte(strings.TrimPrefix(s, "exec: ")))
}

// withStderr appends the last non-blank line of stderr to what.
func withStderr(what string, stderr io.ReaderAt, size int64) string {
	if line := LastLine(stderr, size); line != "" {
		return what + " (stderr: " + line + ")"
	}
	return what
}

// LastLine returns the last non-blank line in the last 8 KiB of r (size
// bytes long), made printable and cut to 300 bytes: safe to print, though
// the job wrote it.
func LastLine(r io.ReaderAt, size int64) string {
	if r == nil || size <= 0 {
		return ""
	}
	n := min(size, stderrTail)
	buf := make([]byte, n)
	got, err := r.ReadAt(buf, size-n)
	if err != nil && err != io.EOF {
		return ""
	}
	buf = buf[:got]
	for len(buf) > 0 {
		i := bytes.LastIndexByte(buf, '\n')
		line := buf[i+1:]
		buf = buf[:max(i, 0)]
		if s := Printable(line); s != "" {
			return s
		}
		if i < 0 {
			break
		}
	}
	return ""
}

// Printable trims b, replaces control characters and invalid UTF-8 with
// U+FFFD and cuts the result to 300 bytes on a rune boundary.
func Printable(b []byte) string {
	s := strings.ToValidUTF8(string(bytes.TrimSpace(b)), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
	if len(s) <= causeLineMax {
		return s
	}
	cut := causeLineMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
