package runner

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/policy"
)

// TestRunRestoresReplacedLog: whatever the job leaves at a log's path, the
// path ends up holding exactly what the job printed, completed is false
// and the replacement is a problem.
func TestRunRestoresReplacedLog(t *testing.T) {
	t.Parallel()
	const log = `"$COHOS_ARTIFACTS/../command_stdout.log"`
	tests := []struct {
		name, script          string
		wantStdout, wantError string
		wantProblem           string // the log named in the one problem, "" for none
	}{
		{"untouched", `echo before; echo after`, "before\nafter\n", "", ""},
		{"removed and rewritten", `echo before; rm ` + log + `; echo forged > ` + log + `; echo after`,
			"before\nafter\n", "", "command_stdout.log"},
		{"renamed away", `echo before; mv ` + log + ` "$COHOS_ARTIFACTS/moved"; echo after`,
			"before\nafter\n", "", "command_stdout.log"},
		{"replaced by a symlink", `echo before; echo forged > "$COHOS_ARTIFACTS/f"; ln -sf "$COHOS_ARTIFACTS/f" ` + log + `.new; mv ` + log + `.new ` + log + `; echo after`,
			"before\nafter\n", "", "command_stdout.log"},
		{"replaced by a directory", `echo before; rm ` + log + `; mkdir -p ` + log + `/sub; echo after`,
			"before\nafter\n", "", "command_stdout.log"},
		{"stderr replaced", `echo out; echo e1 >&2; rm "$COHOS_ARTIFACTS/../command_stderr.log"; echo forged > "$COHOS_ARTIFACTS/../command_stderr.log"; echo e2 >&2`,
			"out\n", "e1\ne2\n", "command_stderr.log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := newSpec(t, "sh", "-c", tt.script)
			out := mustRun(t, context.Background(), spec)
			if got := testkit.FileString(t, filepath.Join(spec.RunDir, "command_stdout.log")); got != tt.wantStdout {
				t.Errorf("stdout log = %q, want %q", got, tt.wantStdout)
			}
			if got := testkit.FileString(t, filepath.Join(spec.RunDir, "command_stderr.log")); got != tt.wantError {
				t.Errorf("stderr log = %q, want %q", got, tt.wantError)
			}
			for _, name := range []string{"command_stdout.log", "command_stderr.log"} {
				fi, err := os.Lstat(filepath.Join(spec.RunDir, name))
				if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o644 {
					t.Errorf("%s: %v, %v; want a regular file, mode 0644", name, fi.Mode(), err)
				}
			}
			if out.ExitCode != 0 || out.StdoutBytes != int64(len(tt.wantStdout)) || out.StderrBytes != int64(len(tt.wantError)) {
				t.Errorf("exit %d, bytes %d/%d", out.ExitCode, out.StdoutBytes, out.StderrBytes)
			}
			if want := policy.Bool(tt.wantProblem == ""); out.Metrics["completed"] != want {
				t.Errorf("completed = %v, want %v", out.Metrics["completed"], want)
			}
			testkit.CheckReplacedLog(t, out.Problems, tt.wantProblem)
			if inv := readInvocation(t, spec); !slices.Equal(inv.Problems, out.Problems) {
				t.Errorf("invocation problems %q, outcome problems %q", inv.Problems, out.Problems)
			}
			entries, err := os.ReadDir(spec.RunDir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if strings.Contains(e.Name(), ".restore-") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}
