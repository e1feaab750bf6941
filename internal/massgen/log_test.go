package massgen

import (
	"cohos.dev/cohos/internal/testkit"
	"context"
	"path/filepath"
	"slices"
	"strings"
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
	checkProblem(t, out.Problems, stdoutName)
	if !slices.Equal(out.Invocation.Problems, out.Problems) {
		t.Errorf("invocation problems %q, outcome problems %q", out.Invocation.Problems, out.Problems)
	}
}

// checkProblem fails unless problems is empty (want "") or holds exactly
// one entry, naming want.
func checkProblem(t *testing.T, problems []string, want string) {
	t.Helper()
	if want == "" {
		if len(problems) != 0 {
			t.Errorf("problems = %q, want none", problems)
		}
		return
	}
	if len(problems) != 1 || !strings.HasPrefix(problems[0], want+" was replaced") {
		t.Errorf("problems = %q, want one about %s", problems, want)
	}
}
