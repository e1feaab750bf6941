package runner

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestFollowerKeepsRunesWhole: a UTF-8 sequence cut by a read is written
// whole by the next one, and control characters come out as '?'.
func TestFollowerKeepsRunesWhole(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	fl := &follower{f: f, w: &out, buf: make([]byte, 4)}
	f.WriteString("ab\xc3") // "é" cut after its first byte
	fl.pump()
	f.WriteString("\xa9\x1b[2J\tz\n")
	fl.flush()
	if got, want := out.String(), "abé?[2J\tz\n"; got != want {
		t.Errorf("tee wrote %q, want %q", got, want)
	}
}
