package cmd

import (
	"io"
	"os"

	"golang.org/x/term"

	"cohos.dev/cohos/policy"
)

// ANSI colours for decisions: green ALLOW, yellow MARGINAL, red REFUSE.
const (
	ansiReset  = "\x1b[0m"
	ansiGreen  = "\x1b[1;32m"
	ansiYellow = "\x1b[1;33m"
	ansiRed    = "\x1b[1;31m"
)

// colourOn reports whether w is a terminal that wants colour: not when
// NO_COLOR is set to anything (https://no-color.org) or TERM is dumb.
func colourOn(w io.Writer) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// paint wraps s in the colour of decision d when on is true.
func paint(on bool, d policy.Decision, s string) string {
	if !on {
		return s
	}
	c := ansiRed
	switch d {
	case policy.Allow:
		c = ansiGreen
	case policy.Marginal:
		c = ansiYellow
	}
	return c + s + ansiReset
}
