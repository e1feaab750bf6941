package cmd

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"

	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

// appendStepSummary appends a Markdown table of doc to path (GitHub's
// $GITHUB_STEP_SUMMARY): one row per bundle with whether it verified, its
// decision and its failed checks. The file is created (0644) if missing.
func appendStepSummary(path string, doc verify.Document) error {
	var b bytes.Buffer
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		b.WriteString("\n")
	}
	b.WriteString("### cohos verify\n\n| bundle | verified | decision | why | failed checks |\n| --- | --- | --- | --- | --- |\n")
	for _, br := range doc.Bundles {
		verified := "no"
		if br.Verified {
			verified = "yes"
		}
		var decisions, whys []string
		for _, e := range br.Envelopes {
			if d := string(e.Decision); d != "" && !slices.Contains(decisions, d) {
				decisions = append(decisions, d)
			}
			if e.Decision != "" && e.Decision != policy.Allow && !slices.Contains(whys, e.Explanation) {
				whys = append(whys, e.Explanation)
			}
		}
		var failed []string
		for _, c := range br.Checks {
			if c.Status == verify.Fail && !slices.Contains(failed, c.ID) {
				failed = append(failed, c.ID)
			}
		}
		failedText := orDefault(strings.Join(failed, ", "), "none")
		if len(br.Checks) == 0 && br.Error != "" {
			failedText = "could not evaluate: " + br.Error
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdCell(br.Path), verified,
			mdCell(orDefault(strings.Join(decisions, ", "), "-")), mdCell(orDefault(strings.Join(whys, "; "), "-")), mdCell(failedText))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("step summary: %w", err)
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("step summary: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("step summary: %w", err)
	}
	return nil
}

// mdCell makes text safe in one Markdown table cell: no line breaks, no
// cell separators, no HTML and no emphasis or link syntax.
func mdCell(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\\', '|', '`', '*', '_', '[', ']', '~', '#':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
