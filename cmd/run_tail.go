package cmd

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/regfile"
	"cohos.dev/cohos/runner"
)

// Bounds of the stderr tail printed after a failed run.
const (
	tailLines = 10
	tailBytes = 8 << 10
)

// printStderrTail prints the last lines of the job's stderr log after a
// run that did not complete, so the job's own words are on the screen
// (control characters replaced: the job wrote them).
func printStderrTail(w io.Writer, res *attest.Result) {
	if done, _ := res.Predicate.Metrics["completed"].Boolean(); done {
		return
	}
	name := res.Predicate.Run.Runner + "_stderr.log"
	lines := lastLines(filepath.Join(filepath.Dir(res.Bundle), name), tailLines)
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "cohos: the last %d line(s) of %s:\n", len(lines), name)
	for _, l := range lines {
		fmt.Fprintf(w, "  | %s\n", l)
	}
}

// lastLines returns up to n non-blank lines from the last 8 KiB of path.
func lastLines(path string, n int) []string {
	f, err := regfile.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	size := fi.Size()
	start := max(size-tailBytes, 0)
	buf := make([]byte, size-start)
	if _, err := f.ReadAt(buf, start); err != nil && err != io.EOF {
		return nil
	}
	if start > 0 { // the first line is cut: drop it
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[i+1:]
		}
	}
	var out []string
	for _, l := range bytes.Split(buf, []byte("\n")) {
		if s := runner.Printable(l); s != "" {
			out = append(out, s)
		}
	}
	return out[max(len(out)-n, 0):]
}
