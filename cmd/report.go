package cmd

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/internal/atomicfile"
	"cohos.dev/cohos/internal/evidence"
	"cohos.dev/cohos/internal/report"
	"cohos.dev/cohos/internal/version"
)

// reportPreviewBytes: artifacts up to this size get an inline preview.
const reportPreviewBytes = 16 << 10

func newReportCmd() *cobra.Command {
	var (
		keyPaths []string
		out      string
	)
	c := &cobra.Command{
		Use:   "report RUN_DIR|BUNDLE [-o report.html] [--key PUB ...]",
		Short: "Render a run's evidence as one self-contained HTML page",
		Long: `report writes one HTML file that needs nothing else: no scripts, no network,
no external assets. It shows the decision, each rule as a bar against its
marginal and refuse limits, the per-agent MassGen timeline (when the run has
massgen_timeline.json), the run, who signed, and the artifacts with digests
and links to them in the run directory (relative to the report).

Without --key the signatures are not checked and the page says so on every
claim; with --key it verifies the bundle offline and shows each check.
The report is written beside the run directory (default RUN_DIR.report.html),
never into it: a file added to a run directory is an added artifact, and the
run would no longer verify.

report exits 0 when it could read the run and write the page, whatever the
decision; 1 when --key was given and the evidence does not verify (the page
is written and says so); 2 when it could not (nothing is written then).`,
		Example: `  cohos report runs/20261124T051200Z-1a2b -o report.html
  cohos report runs/nightly -o nightly.html --key key.pub`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			trusted, err := loadPublicKeys(keyPaths)
			if err != nil {
				return err
			}
			ev, err := evidence.Load(c.Context(), args[0], evidence.Options{Keys: trusted, PreviewBytes: reportPreviewBytes})
			if err != nil {
				return inputError(err)
			}
			if out == "" {
				// Beside the run directory, never in it.
				out = filepath.Clean(ev.Dir) + ".report.html"
			}
			rel, inside, err := relativeRunDir(out, ev.Dir)
			if err != nil {
				return inputError(err)
			}
			if inside {
				return withHint(usageError("%s is inside the run directory %s: the report would become an added artifact and the run would no longer verify", out, ev.Dir),
					"write it beside the run: -o "+filepath.Clean(ev.Dir)+".report.html (or leave -o out for that name)")
			}
			var buf bytes.Buffer
			opts := report.Options{RunDir: rel, Generator: "cohos " + version.String()}
			if err := report.Render(&buf, ev, opts); err != nil {
				return inputError(err)
			}
			if err := atomicfile.Write(out, buf.Bytes(), 0o644); err != nil {
				return inputError(err)
			}
			renderReportSummary(c, ev, out)
			return unverifiedExit(ev)
		},
	}
	f := c.Flags()
	f.StringVarP(&out, "out", "o", "", "HTML file to write, outside the run directory (default: RUN_DIR.report.html)")
	f.StringArrayVar(&keyPaths, "key", nil, "trusted public key: verify the signatures against it (repeatable)")
	return c
}

// relativeRunDir returns the run directory relative to the report's
// directory (slash-separated), and whether the report lands inside it.
func relativeRunDir(out, runDir string) (string, bool, error) {
	absOut, err := filepath.Abs(out)
	if err != nil {
		return "", false, err
	}
	absRun, err := filepath.Abs(runDir)
	if err != nil {
		return "", false, err
	}
	rel, err := filepath.Rel(filepath.Dir(absOut), absRun)
	if err != nil {
		return "", false, err
	}
	inRun, err := filepath.Rel(absRun, absOut)
	inside := err == nil && inRun != ".." && !strings.HasPrefix(inRun, ".."+string(filepath.Separator))
	return filepath.ToSlash(rel), inside, nil
}

// renderReportSummary prints the decision line(s) and the file written.
func renderReportSummary(c *cobra.Command, ev *evidence.Evidence, out string) {
	w := c.OutOrStdout()
	for _, e := range ev.Envelopes {
		why := "every rule within its limits"
		if e.Decider != "" {
			why = e.Decider
		}
		fmt.Fprintf(w, "%s: %s (%s)\n", e.Decision, why, trustHeading(e.Trust))
	}
	fmt.Fprintf(w, "report: %s\n", out)
}
