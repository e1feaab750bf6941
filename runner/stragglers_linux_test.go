package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/policy"
)

// waitEscaped makes a job wait until its escaped process has written its
// pid to artifacts/escaped (a poll, not a timing assumption).
const waitEscaped = `
until [ -s "$COHOS_ARTIFACTS/escaped" ]; do sleep 0.01; done`

// pidIn reads the pid a job wrote to artifacts/name.
func pidIn(t *testing.T, spec Spec, name string) int {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(testkit.FileString(t, filepath.Join(spec.RunDir, "artifacts", name))))
	if err != nil || pid <= 1 {
		t.Fatalf("bad pid file %s: %v", name, err)
	}
	return pid
}

func alive(pid int) bool {
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// TestRunKillsEscapedProcesses: processes that left the job's process
// group are gone when Run returns, recorded and counted: by the token
// sweep without namespaces, by the init of the job's PID namespace with
// them (pids are then the namespace's).
func TestRunKillsEscapedProcesses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, script string
		wantKilled   int
	}{
		{"setsid -f", `setsid -f sh -c 'echo $$ > "$COHOS_ARTIFACTS/escaped"; exec sleep 30'`, 1},
		{"double fork, orphaned", `(setsid sh -c 'echo $$ > "$COHOS_ARTIFACTS/escaped"; exec sleep 30' &)`, 1},
		{"own process group", `perl -e 'setpgrp(0, 0); open(my $f, ">", "$ENV{COHOS_ARTIFACTS}/escaped") or die; print $f "$$\n"; close $f; exec "sleep", "30"' &`, 1},
		{"scrubbed environment below a marked process",
			`setsid -f sh -c 'env -i sh -c "echo \$\$ > \"$COHOS_ARTIFACTS/escaped\"; exec sleep 30"; sleep 30'`, 2},
		{"exits on SIGTERM", `setsid -f sh -c 'trap "exit 0" TERM; echo $$ > "$COHOS_ARTIFACTS/escaped"; while :; do sleep 1; done'`, 2},
	}
	for _, tt := range tests {
		for _, isolated := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/isolated=%v", tt.name, isolated), func(t *testing.T) {
				t.Parallel()
				if strings.HasPrefix(tt.script, "perl") {
					if _, err := exec.LookPath("perl"); err != nil {
						t.Skip("no perl")
					}
				}
				spec := newSpec(t, "sh", "-c", tt.script+waitEscaped)
				spec.Isolation.Off = !isolated
				out := mustRun(t, context.Background(), spec)
				pid := pidIn(t, spec, "escaped")
				if !isolated && alive(pid) {
					t.Errorf("escaped process %d is still running", pid)
				}
				if out.Isolation.Isolated != isolated || out.Metrics["isolated"] != policy.Bool(isolated) {
					t.Errorf("isolation = %+v, metric %v; want isolated %v", out.Isolation, out.Metrics["isolated"], isolated)
				}
				want := tt.wantKilled
				inv := readInvocation(t, spec)
				if isolated {
					// The init counts whatever is left when the job exits: a
					// loop's sleep may or may not be running then.
					want = max(len(inv.Stragglers), tt.wantKilled)
				}
				if out.ExitCode != 0 || out.Metrics["stragglers_killed"] != policy.Num(float64(want)) || out.Metrics["completed"] != policy.Bool(true) {
					t.Errorf("exit %d, metrics %v; want %d stragglers killed", out.ExitCode, out.Metrics, want)
				}
				if len(inv.Stragglers) != want || len(out.Invocation.Stragglers) != want {
					t.Fatalf("stragglers = %+v, want %d", inv.Stragglers, want)
				}
				found := false
				for _, s := range inv.Stragglers {
					found = found || s.PID == pid
					if s.Command == "" {
						t.Errorf("straggler %d has no command", s.PID)
					}
				}
				if !found {
					t.Errorf("stragglers %+v lack pid %d", inv.Stragglers, pid)
				}
				if len(out.Problems) != 1 || !strings.Contains(out.Problems[0], "pid "+strconv.Itoa(pid)+" ") {
					t.Errorf("problems = %q, want one naming pid %d", out.Problems, pid)
				}
			})
		}
	}
}

// TestRunSparesOtherJobs: a job's sweep kills neither a job running beside
// it in the same process (with the same RunID) nor that job's escaped
// process; that job's own sweep kills the latter.
func TestRunSparesOtherJobs(t *testing.T) {
	t.Parallel()
	other := newSpec(t, "sh", "-c", `setsid -f sh -c 'echo $$ > "$COHOS_ARTIFACTS/escaped"; exec sleep 30'; echo $$ > "$COHOS_ARTIFACTS/pid"; exec sleep 30`)
	other.Isolation.Off = true // the token sweep is what is tested
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	otherPid := make(chan int, 1)
	other.Progress = func(Progress) {
		select {
		case <-ctx.Done():
			return
		default:
		}
		if fileExists(filepath.Join(other.RunDir, "artifacts", "pid")) && fileExists(filepath.Join(other.RunDir, "artifacts", "escaped")) {
			select {
			case otherPid <- 0:
			default:
			}
		}
	}
	done := make(chan *Outcome)
	go func() {
		out, err := Run(ctx, other)
		if err != nil {
			t.Errorf("other Run: %v", err)
		}
		done <- out
	}()
	<-otherPid

	spec := newSpec(t, "sh", "-c", `setsid -f sh -c 'echo $$ > "$COHOS_ARTIFACTS/escaped"; exec sleep 30'`+waitEscaped)
	spec.Isolation.Off = true
	out := mustRun(t, context.Background(), spec)
	if out.Metrics["stragglers_killed"] != policy.Num(1) || alive(pidIn(t, spec, "escaped")) {
		t.Errorf("own straggler not killed: %v", out.Metrics)
	}
	leader, escaped := pidIn(t, other, "pid"), pidIn(t, other, "escaped")
	if !alive(leader) || !alive(escaped) {
		t.Errorf("the other job's processes were killed: leader alive %v, escaped alive %v", alive(leader), alive(escaped))
	}

	cancel()
	o := <-done
	if o == nil {
		t.FailNow()
	}
	if a := o.Invocation.Attempts; len(a) != 1 || !a[0].Interrupted || a[0].Signal != "SIGTERM" {
		t.Errorf("other job's attempts = %+v, want interrupted by SIGTERM", a)
	}
	if len(o.Invocation.Stragglers) != 1 || o.Invocation.Stragglers[0].PID != escaped || alive(escaped) {
		t.Errorf("other job's stragglers = %+v, want pid %d killed", o.Invocation.Stragglers, escaped)
	}
}

func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Size() > 0
}

func TestMarked(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("sleep", "30")
	cmd.Env = []string{"A=1", jobTokenEnv + "=tokX", "B=2"}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	tests := []struct {
		marker string
		want   bool
	}{
		{jobTokenEnv + "=tokX", true},
		{jobTokenEnv + "=tok", false},
		{jobTokenEnv + "=tokXY", false},
		{"OHOS_JOB_TOKEN=tokX", false},
		{"A=1", true},
	}
	for _, tt := range tests {
		if got := marked(cmd.Process.Pid, []byte(tt.marker)); got != tt.want {
			t.Errorf("marked(%q) = %v, want %v", tt.marker, got, tt.want)
		}
	}
	if marked(-1, []byte("A=1")) {
		t.Error("a missing process is marked")
	}
}

func TestParseStat(t *testing.T) {
	t.Parallel()
	// Fields 7 to 21 (tty_nr to itrealvalue), 22 (starttime), 23 and 24.
	tail := strings.Repeat(" 0", 15) + " 4242 0 0"
	tests := []struct {
		name, stat string
		want       procInfo
		err        error
	}{
		{"plain", "12 (sleep) S 7 12 12" + tail, procInfo{pid: 12, ppid: 7, state: 'S', start: 4242, comm: "sleep"}, nil},
		{"parens and spaces in name", "12 (a) (b c) Z 1 12 12" + tail, procInfo{pid: 12, ppid: 1, state: 'Z', start: 4242, comm: "a) (b c"}, nil},
		{"no name", "12 S 7" + tail, procInfo{}, errStat},
		{"truncated", "12 (sleep) S 7 12", procInfo{}, errStat},
		{"bad ppid", "12 (sleep) S x 12 12" + tail, procInfo{}, errStat},
		{"long state", "12 (sleep) SS 7 12 12" + tail, procInfo{}, errStat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat(12, tt.stat)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("parseStat = %+v, %v; want %+v, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

// BenchmarkKillStragglersNone is the cost a Run pays when its job left
// nothing behind: one scan of /proc.
func BenchmarkKillStragglersNone(b *testing.B) {
	for b.Loop() {
		if k := killStragglers("no-such-token"); k != nil {
			b.Fatalf("killed %v", k)
		}
	}
}
