package massgen

import (
	"cohos.dev/cohos/internal/testkit"
	"context"
	"path/filepath"
	"slices"
	"testing"
)

// stdoutName is the MassGen run's stdout log.
const stdoutName = prefix + "_stdout.log"

func TestRunMassGenRestoresReplacedLog(t *testing.T) {
	t.Parallel()
	bin := fakeMassGen(t, "stable", copyFixture+`
echo before; rm massgen_stdout.log; echo forged > massgen_stdout.log; echo after`)
	spec := massgenSpec(t, bin)
	out, err := Run(context.Background(), spec)
	if err != nil {
		t.Fatalf("RunMassGen: %v", err)
	}
	if got := testkit.FileString(t, filepath.Join(spec.RunDir, stdoutName)); got != "before\nafter\n" {
		t.Errorf("stdout log = %q, want what the job printed", got)
	}
	if got := testkit.MetricString(out.Metrics, "completed"); got != "false" {
		t.Errorf("completed = %s, want false", got)
	}
	if got := testkit.MetricString(out.Metrics, "stdout_bytes"); got != "13" {
		t.Errorf("stdout_bytes = %s, want 13", got)
	}
	testkit.CheckReplacedLog(t, out.Problems, stdoutName)
	if !slices.Equal(out.Invocation.Problems, out.Problems) {
		t.Errorf("invocation problems %q, outcome problems %q", out.Invocation.Problems, out.Problems)
	}
}
