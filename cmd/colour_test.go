package cmd

import (
	"bytes"
	"os"
	"testing"

	"cohos.dev/cohos/policy"
)

// TestColour: decisions are coloured only when asked, NO_COLOR (any
// value, even empty) turns colour off, and a pipe never gets colour.
func TestColour(t *testing.T) {
	if got := paint(true, policy.Refuse, "REFUSE"); got != "\x1b[1;31mREFUSE\x1b[0m" {
		t.Errorf("paint REFUSE = %q", got)
	}
	if got := paint(true, policy.Allow, "ALLOW"); got != "\x1b[1;32mALLOW\x1b[0m" {
		t.Errorf("paint ALLOW = %q", got)
	}
	if got := paint(false, policy.Marginal, "MARGINAL"); got != "MARGINAL" {
		t.Errorf("paint off = %q", got)
	}
	if colourOn(&bytes.Buffer{}) {
		t.Error("colour on a buffer")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if colourOn(w) {
		t.Error("colour on a pipe")
	}
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		return // no terminal here (CI): the cases above are the contract
	}
	defer tty.Close()
	t.Setenv("TERM", "xterm")
	t.Setenv("NO_COLOR", "")
	if colourOn(tty) {
		t.Error("colour with NO_COLOR set (empty)")
	}
}
