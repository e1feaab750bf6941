package massgen

import (
	"cohos.dev/cohos/internal/testkit"
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func alive(pid int) bool {
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func TestRunMassGenKillsEscapedProcesses(t *testing.T) {
	t.Parallel()
	bin := fakeMassGen(t, "stable", copyFixture+`
setsid -f sh -c 'echo $$ > escaped; exec sleep 30'
until [ -s escaped ]; do sleep 0.01; done`)
	spec := massgenSpec(t, bin)
	spec.Isolation.Off = true // the token sweep is what is tested
	out, err := Run(context.Background(), spec)
	if err != nil {
		t.Fatalf("RunMassGen: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(testkit.FileString(t, filepath.Join(spec.RunDir, "escaped"))))
	if err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Errorf("escaped process %d is still running", pid)
	}
	if got := testkit.MetricString(out.Metrics, "stragglers_killed"); got != "1" {
		t.Errorf("stragglers_killed = %s, want 1", got)
	}
	if s := out.Outcome.Invocation.Stragglers; len(s) != 1 || s[0].PID != pid {
		t.Errorf("stragglers = %+v, want pid %d", s, pid)
	}
	if len(out.Problems) != 1 || !strings.Contains(out.Problems[0], "pid "+strconv.Itoa(pid)+" ") {
		t.Errorf("problems = %q, want one naming pid %d", out.Problems, pid)
	}
}
