package cmd

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"cohos.dev/cohos/internal/evidence"
	"cohos.dev/cohos/internal/massgen"
	"cohos.dev/cohos/policy"
)

func renderRun(w io.Writer, e evidence.Envelope) {
	r := e.Run
	exit := "-"
	if r.ExitCode != nil {
		exit = fmt.Sprint(*r.ExitCode)
	}
	rows := [][2]string{
		{"id", r.ID},
		{"runner", r.Runner},
		{"version", r.RunnerVersion},
		{"models", strings.Join(r.Models, ", ")},
		{"base URL", r.BaseURL},
		{"question", inspectDigest(r.QuestionDigest)},
		{"started", r.StartedOn},
		{"finished", r.FinishedOn},
		{"exit code", exit},
	}
	if len(r.ConfigDigest) > 0 {
		rows = append(rows, [2]string{"config", inspectDigest(r.ConfigDigest)})
	}
	if iso := r.Isolation; iso != nil {
		v := "yes (" + iso.Mode + ")"
		if !iso.Isolated {
			v = "no: " + dashIfEmpty(iso.Reason)
		}
		rows = append(rows, [2]string{"isolated", v})
	}
	if d := r.RunnerDistributions; d != nil {
		rows = append(rows, [2]string{"python", fmt.Sprintf("%d distributions, %s", d.Count, inspectDigest(d.Digest))})
	}
	if r.Mode != "" {
		rows = append(rows, [2]string{"mode", r.Mode})
	}
	for _, a := range r.Roles {
		rows = append(rows, [2]string{"role", a.Role + ": " + a.Agent})
	}
	fmt.Fprintln(w, "run:")
	for _, row := range rows {
		inspectField(w, row[0], dashIfEmpty(row[1]))
	}
	if len(r.Argv) > 0 {
		fmt.Fprintln(w, fitWidth("  argv:      "+strings.Join(r.Argv, " "), 80))
	}
	if r.Cause != "" {
		fmt.Fprintln(w, fitWidth("  cause:     "+r.Cause, 80))
	}
	for _, p := range r.Problems {
		fmt.Fprintln(w, fitWidth("  problem:   "+p, 80))
	}
	fmt.Fprintf(w, "attested:  %s by %s %s\n", dashIfEmpty(e.AttestedOn), e.Governor.Name, e.Governor.Version)
}

func renderArtifacts(w io.Writer, e evidence.Envelope) {
	fmt.Fprintf(w, "artifacts: %d file(s)\n", len(e.Artifacts))
	inspectField(w, "set sha256", e.Subject.Digest["sha256"])
	inspectField(w, "set merkle", e.Subject.Digest["merkle_rfc9162_sha256"])
	shown := e.Artifacts[:min(len(e.Artifacts), inspectListMax)]
	width := len("SIZE")
	for _, f := range shown {
		width = max(width, len(fmt.Sprint(f.Size)))
	}
	if len(shown) > 0 {
		fmt.Fprintf(w, "  %-12s  %*s  %s\n", "SHA256", width, "SIZE", "NAME")
	}
	for _, f := range shown {
		fmt.Fprintf(w, "  %-12.12s  %*d  %s\n", f.SHA256, width, f.Size, f.Name)
	}
	if n := len(e.Artifacts) - len(shown); n > 0 {
		fmt.Fprintf(w, "  ... %d more (cohos inspect --json lists every file)\n", n)
	}
	for _, s := range e.Skipped {
		fmt.Fprintf(w, "  skipped %s: %s\n", s.Kind, s.Name)
	}
}

func renderTimelineLine(w io.Writer, ev *evidence.Evidence) {
	t := ev.Timeline
	switch {
	case ev.TimelineError != "":
		fmt.Fprintln(w, fitWidth("timeline:  unreadable: "+ev.TimelineError, 80))
	case t == nil:
		fmt.Fprintf(w, "timeline:  none (no %s in this run)\n", massgen.TimelineName)
	default:
		state := "not in the attested set or changed"
		if ev.TimelineAttested {
			state = "matches the attested digest"
		}
		fmt.Fprintf(w, "timeline:  %d agent(s), %d round(s), %d event(s), winner %s\n           %s %s\n",
			len(t.Agents), len(t.Rounds), len(t.Events), dashIfEmpty(t.Winner), massgen.TimelineName, state)
	}
}

// field prints "  name: value", moving a value that would not fit 80
// columns to its own indented line(s): digests are never cut.
func inspectField(w io.Writer, name, value string) {
	head := fmt.Sprintf("  %-10s ", name+":")
	if len(head)+len(value) <= 80 {
		fmt.Fprintln(w, head+value)
		return
	}
	fmt.Fprintln(w, strings.TrimRight(head, " "))
	for _, part := range strings.Fields(value) {
		fmt.Fprintln(w, "    "+part)
	}
}

func ruleObserved(r policy.Reason) string {
	if r.Observed == nil {
		return "-"
	}
	return r.Observed.String()
}

func ruleLimits(r policy.Reason) string {
	var parts []string
	if r.Require != nil {
		parts = append(parts, "require "+policy.Bool(*r.Require).String())
	}
	if r.Marginal != nil {
		parts = append(parts, "marginal "+policy.Num(*r.Marginal).String())
	}
	if r.Refuse != nil {
		parts = append(parts, "refuse "+policy.Num(*r.Refuse).String())
	}
	return strings.Join(parts, ", ")
}

// digestString renders a digest map as "alg:hex" pairs in a stable order.
func inspectDigest(d map[string]string) string {
	algs := make([]string, 0, len(d))
	for a := range d {
		algs = append(algs, a)
	}
	sort.Strings(algs)
	parts := make([]string, len(algs))
	for i, a := range algs {
		parts[i] = a + ":" + d[a]
	}
	return strings.Join(parts, " ")
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// fit shortens s to n columns, ending it with "..." when cut.
func fitWidth(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}
