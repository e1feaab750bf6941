package cmd

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"cohos.dev/cohos/internal/rehearse"
)

// renderMatrix prints the rehearsal matrix: one line per cell, then a
// summary.
func renderMatrix(w io.Writer, m *rehearse.Matrix) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := "PROFILE"
	if m.Server == "model-url" {
		row = "MODEL"
	}
	fmt.Fprintf(tw, "%s\tMODE\tDECISION\tDECIDED BY\tWALL\tMODEL CALLS\tVERIFIED\n", row)
	verified := 0
	for _, c := range m.Cells {
		name := c.Profile
		if name == "" {
			name = c.Model
		}
		ok := "no"
		if c.Verified {
			ok, verified = "yes", verified+1
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1fs\t%s\t%s\n", name, c.Mode, decisionOf(c), reasonOf(c), c.WallSeconds, calls(c.ModelCalls), ok)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\npolicy %s (sha256 %.12s); %d runs in %.1f s; %d of %d bundles verified\n",
		m.Policy.Name, m.Policy.Digest["sha256"], len(m.Cells), m.WallSeconds, verified, len(m.Cells))
	if len(m.Cells) > 0 {
		fmt.Fprintf(w, "evidence: one run directory per cell, e.g. %s\n", m.Cells[0].RunDir)
	}
}

// cellLine is one progress line.
func cellLine(c rehearse.Cell) string {
	name := c.Profile
	if name == "" {
		name = "model"
	}
	return fmt.Sprintf("%s/%s: %s (%s) in %.1fs, %s model calls", name, c.Mode, decisionOf(c), reasonOf(c), c.WallSeconds, calls(c.ModelCalls))
}

func decisionOf(c rehearse.Cell) string {
	if c.Decision == "" {
		return "ERROR"
	}
	return string(c.Decision)
}

// reasonOf is the deciding rule's message, the cause when there is one,
// or the cell's error.
func reasonOf(c rehearse.Cell) string {
	switch {
	case c.Decision == "":
		return c.Error
	case c.DecidedBy == nil:
		return "every rule within its limits"
	case c.Cause != "":
		return c.DecidedBy.Message + " (" + shorten(c.Cause, 80) + ")"
	}
	return c.DecidedBy.Message
}

func calls(n *int) string {
	if n == nil {
		return "-"
	}
	return strconv.Itoa(*n)
}

// shorten cuts s to n runes with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
