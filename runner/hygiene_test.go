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

// TestRunHoldsTheJobToItsInputsAndReservedNames: an input the job
// rewrote is kept in quarantine and written again, whatever it left at a
// reserved name (a pattern included) is quarantined, and the run is not
// completed, with each named; both with and without isolation.
func TestRunHoldsTheJobToItsInputsAndReservedNames(t *testing.T) {
	t.Parallel()
	for _, off := range []bool{false, true} {
		spec := newSpec(t, "sh", "-c", `cd "$COHOS_ARTIFACTS/.." && echo forged > given.yaml && echo x > artifacts/answer_a.txt && mkdir decision.json`)
		spec.Isolation.Off = off
		spec.Inputs = []Input{{Name: "given.yaml", Data: []byte("agents: []\n")}}
		spec.Reserved = []string{"decision.json", "artifacts/answer_*.txt"}
		out := mustRun(t, context.Background(), spec)
		want := []string{
			`evidence name: the job left a directory at "decision.json"; moved to quarantine/decision.json`,
			`evidence name: the job left a file at "artifacts/answer_a.txt"; moved to quarantine/artifacts%2Fanswer_a.txt`,
			`input changed: the job left a file at "given.yaml"; moved to quarantine/given.yaml`,
			"given.yaml was changed by the job; restored cohos's copy (the one the job was given)",
		}
		got := slices.Clone(out.Problems)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("off=%v: problems\n%q\nwant\n%q", off, out.Problems, want)
		}
		if !out.Tampered || out.Metrics["completed"] != policy.Bool(false) || out.ExitCode != 0 {
			t.Errorf("off=%v: tampered %v, completed %v, exit %d; want true, false, 0", off, out.Tampered, out.Metrics["completed"], out.ExitCode)
		}
		if got := testkit.FileString(t, filepath.Join(spec.RunDir, "given.yaml")); got != "agents: []\n" {
			t.Errorf("off=%v: given.yaml = %q, want cohos's copy", off, got)
		}
		if got := testkit.FileString(t, filepath.Join(spec.RunDir, "quarantine", "given.yaml")); got != "forged\n" {
			t.Errorf("off=%v: quarantined given.yaml = %q", off, got)
		}
		if inv := readInvocation(t, spec); !slices.Equal(inv.Problems, out.Problems) {
			t.Errorf("off=%v: invocation problems %q, outcome %q", off, inv.Problems, out.Problems)
		}
	}
}

// TestRunUntouchedInputsAreNoProblem: a job that leaves its inputs and
// the reserved names alone completes.
func TestRunUntouchedInputsAreNoProblem(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, "sh", "-c", `cat "$COHOS_ARTIFACTS/../given.yaml"`)
	spec.Inputs = []Input{{Name: "given.yaml", Data: []byte("agents: []\n")}}
	spec.Reserved = []string{"decision.json", "artifacts/answer_*.txt"}
	out := mustRun(t, context.Background(), spec)
	if out.Tampered || len(out.Problems) != 0 || out.Metrics["completed"] != policy.Bool(true) || out.StdoutBytes != 11 {
		t.Errorf("tampered %v, problems %q, completed %v, stdout %d bytes", out.Tampered, out.Problems, out.Metrics["completed"], out.StdoutBytes)
	}
}

// TestRunReclaimsTheRunDirectory: a job that moves its run directory away,
// or puts a symbolic link in its place, still leaves cohos a run
// directory of its own to write the evidence into, and the run is not
// completed (without isolation: isolated, it cannot).
func TestRunReclaimsTheRunDirectory(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, script, problem string }{
		{"moved", `mv "$d" "$d.moved"`, "the job moved or removed the run directory; cohos made it anew (what the job had in it is not attested)"},
		{"symlink", `mv "$d" "$d.moved" && ln -s /etc "$d"`, "the job replaced the run directory with a symlink; moved to run.job-"},
		{"another directory", `mv "$d" "$d.moved" && mkdir "$d"`, "the job replaced the run directory with another directory; its content is judged like the job's"},
	} {
		for _, off := range []bool{true} { // isolated, the run directory is pinned (TestRunPinsTheRunDirectory)
			spec := newSpec(t, "sh", "-c", `d=$(dirname "$COHOS_ARTIFACTS"); `+tt.script)
			spec.Isolation.Off = off
			out := mustRun(t, context.Background(), spec)
			if !slices.ContainsFunc(out.Problems, func(p string) bool { return strings.HasPrefix(p, tt.problem) }) {
				t.Errorf("%s, off=%v: problems %q, want one starting %q", tt.name, off, out.Problems, tt.problem)
			}
			if out.Metrics["completed"] != policy.Bool(false) {
				t.Errorf("%s, off=%v: completed %v", tt.name, off, out.Metrics["completed"])
			}
			fi, err := os.Lstat(spec.RunDir)
			if err != nil || !fi.IsDir() {
				t.Fatalf("%s, off=%v: run directory %v, %v", tt.name, off, fi, err)
			}
			readInvocation(t, spec)
			if _, err := os.Stat(filepath.Join(spec.RunDir, "artifacts")); err != nil {
				t.Errorf("%s, off=%v: no artifacts/: %v", tt.name, off, err)
			}
		}
	}
}

// TestRunPinsTheRunDirectory: an isolated job can neither move nor remove
// its run directory, and can still write into it.
func TestRunPinsTheRunDirectory(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, "sh", "-c", `d=$(dirname "$COHOS_ARTIFACTS"); mv "$d" "$d.moved" || rmdir "$d" || echo pinned > "$d/artifacts/x"`)
	out := mustRun(t, context.Background(), spec)
	if !out.Isolation.Isolated || out.ExitCode != 0 || len(out.Problems) != 0 {
		t.Fatalf("isolated %v, exit %d, problems %q", out.Isolation.Isolated, out.ExitCode, out.Problems)
	}
	if got := testkit.FileString(t, filepath.Join(spec.RunDir, "artifacts", "x")); got != "pinned\n" {
		t.Errorf("artifacts/x = %q", got)
	}
	if got := testkit.FileString(t, filepath.Join(spec.RunDir, "command_stderr.log")); strings.Count(got, "Device or resource busy") != 2 {
		t.Errorf("stderr = %q, want mv and rmdir to fail with EBUSY", got)
	}
}
