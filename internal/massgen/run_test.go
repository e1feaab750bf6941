package massgen

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/runner"
)

// fakeMassGen writes an executable shell script standing in for massgen:
// it records its arguments and environment in the run directory, then runs
// body (with $FIXTURE set to testdata/massgen/<fixture> when fixture is not
// "").
func fakeMassGen(t *testing.T, fixture, body string) string {
	t.Helper()
	fix := ""
	if fixture != "" {
		abs, err := filepath.Abs(filepath.Join("..", "..", "testdata", "massgen", fixture))
		if err != nil {
			t.Fatal(err)
		}
		fix = abs
	}
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" > fake_args\nenv > fake_env\nFIXTURE='" + fix + "'\n" + body + "\n"
	path := filepath.Join(t.TempDir(), "massgen")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// copyFixture is a fake massgen body that leaves a captured run's logs.
const copyFixture = `cp -R "$FIXTURE/.massgen/massgen_logs" .massgen/`

func massgenSpec(t *testing.T, bin string) Spec {
	t.Helper()
	runDir := filepath.Join(t.TempDir(), "run")
	if err := os.Mkdir(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	return Spec{
		Bin: bin, Config: []byte("agents: []\n"), Question: "What is 2+2?",
		RunDir: runDir, RunID: "run-1", Grace: time.Second,
		Env: []string{"PATH=" + os.Getenv("PATH"), "HOME=/home/someone", "VLLM_API_KEY=s3cret"},
	}
}

// readInvocation decodes massgen_invocation.json strictly.
func readInvocation(t *testing.T, dir string) Invocation {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(testkit.FileString(t, filepath.Join(dir, InvocationName))))
	dec.DisallowUnknownFields()
	var inv Invocation
	if err := dec.Decode(&inv); err != nil {
		t.Fatalf("decode invocation: %v", err)
	}
	return inv
}

func TestRunMassGenFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, fixture, body string
		metrics             map[string]string
		artifacts           []string
		problem             string // a substring of one Problems entry, "" for none
	}{
		{
			name: "stable", fixture: "stable", body: copyFixture,
			metrics: map[string]string{
				"completed": "true", "timed_out": "false", "interrupted": "false", "massgen_exit_code": "0",
				"answers_per_agent_max": "1", "agent_errors": "0", "agents": "3",
			},
			artifacts: []string{"artifacts/answer_agent_a.txt", "artifacts/answer_agent_b.txt", "artifacts/answer_agent_c.txt", "artifacts/final_answer.txt", "artifacts/index.txt"},
		},
		{
			name: "dead", fixture: "dead", body: copyFixture,
			metrics:   map[string]string{"completed": "false", "agent_errors": "3", "answers_total": "0", "massgen_exit_code": "0"},
			artifacts: []string{"artifacts/index.txt"},
			// Why the run failed is a problem of the run: the agents' failures.
			problem: "agent_c: Agent failed to use workflow tools after 3 attempts; last error: Error code: 500",
		},
		{
			name: "truncated status", fixture: "truncated", body: copyFixture,
			metrics:   map[string]string{"completed": "false", "massgen_exit_code": "0"},
			artifacts: []string{"artifacts/answer_agent_a.txt", "artifacts/answer_agent_b.txt", "artifacts/answer_agent_c.txt", "artifacts/final_answer.txt", "artifacts/index.txt"},
			problem:   "status.json: truncated",
		},
		{
			name: "no logs", body: "exit 0",
			metrics:   map[string]string{"completed": "false", "timed_out": "false", "massgen_exit_code": "0", "restarts": "<missing>"},
			artifacts: []string{"artifacts/index.txt"},
			problem:   "massgen logs",
		},
		{
			name: "complete logs, failing exit", fixture: "stable", body: copyFixture + "\nexit 3",
			metrics:   map[string]string{"completed": "true", "massgen_exit_code": "3"},
			artifacts: []string{"artifacts/answer_agent_a.txt", "artifacts/answer_agent_b.txt", "artifacts/answer_agent_c.txt", "artifacts/final_answer.txt", "artifacts/index.txt"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := massgenSpec(t, fakeMassGen(t, tt.fixture, tt.body))
			out, err := Run(context.Background(), spec)
			if err != nil {
				t.Fatalf("RunMassGen: %v", err)
			}
			for k, want := range tt.metrics {
				if got := testkit.MetricString(out.Metrics, k); got != want {
					t.Errorf("metric %s = %s, want %s", k, got, want)
				}
			}
			if !slices.Equal(out.Invocation.Artifacts, tt.artifacts) {
				t.Errorf("artifacts = %q, want %q", out.Invocation.Artifacts, tt.artifacts)
			}
			for _, a := range tt.artifacts {
				if _, err := os.Stat(filepath.Join(spec.RunDir, a)); err != nil {
					t.Errorf("artifact: %v", err)
				}
			}
			found := tt.problem == "" && len(out.Invocation.Problems) == 0
			for _, p := range out.Invocation.Problems {
				found = found || (tt.problem != "" && strings.Contains(p, tt.problem))
			}
			if !found {
				t.Errorf("problems = %q, want one containing %q", out.Invocation.Problems, tt.problem)
			}
			inv := readInvocation(t, spec.RunDir)
			if !slices.Equal(inv.Problems, out.Invocation.Problems) || len(inv.Attempts) != 1 {
				t.Errorf("invocation on disk = %+v, want the outcome's", inv)
			}
			if tt.fixture != "" && out.Version != "0.1.91" {
				t.Errorf("version = %q, want 0.1.91 from the logs", out.Version)
			}
			_, err = os.Stat(filepath.Join(spec.RunDir, TimelineName))
			if (tt.fixture != "") != (err == nil) {
				t.Errorf("timeline written = %v, want %v", err == nil, tt.fixture != "")
			}
		})
	}
}

func TestRunMassGenFilesAndEnvironment(t *testing.T) {
	t.Parallel()
	spec := massgenSpec(t, fakeMassGen(t, "stable", copyFixture))
	spec.Question = "-v is not an option"
	spec.ModelURL = "http://127.0.0.1:1234/v1"
	spec.Config = []byte("agents:\n  - id: agent_a\n")
	out, err := Run(context.Background(), spec)
	if err != nil {
		t.Fatalf("RunMassGen: %v", err)
	}
	dir := spec.RunDir
	if got := testkit.FileString(t, filepath.Join(dir, ConfigName)); got != string(spec.Config) {
		t.Errorf("config = %q, want the spec's bytes", got)
	}
	if got, want := testkit.FileString(t, filepath.Join(dir, "fake_args")), "--automation\n--config\nmassgen_config.yaml\n--\n-v is not an option\n"; got != want {
		t.Errorf("args = %q, want %q", got, want)
	}
	env := map[string]string{}
	for _, line := range strings.Split(testkit.FileString(t, filepath.Join(dir, "fake_env")), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	for k, want := range map[string]string{
		"HOME":                         filepath.Join(dir, ".massgen", "home"),
		"MASSGEN_LOG_BASE_DIR":         filepath.Join(dir, ".massgen", "massgen_logs"),
		"PYTHONUSERBASE":               "/home/someone/.local",
		"LITELLM_LOCAL_MODEL_COST_MAP": "True",
		"VLLM_API_KEY":                 "s3cret",
		"HTTPS_PROXY":                  deadProxy,
		"NO_PROXY":                     "127.0.0.1",
		"COHOS_RUN_ID":                 "run-1",
	} {
		if env[k] != want {
			t.Errorf("env %s = %q, want %q", k, env[k], want)
		}
	}
	inv := readInvocation(t, dir)
	if strings.Contains(testkit.FileString(t, filepath.Join(dir, InvocationName)), "s3cret") {
		t.Error("the invocation record holds an environment value")
	}
	if !slices.Contains(inv.EnvNames, "VLLM_API_KEY") || inv.MassGenVersion != "0.1.91" || inv.LogDir == "" {
		t.Errorf("invocation = %+v", inv)
	}
	answer := testkit.FileString(t, filepath.Join(dir, "artifacts", "final_answer.txt"))
	if want := testkit.FileString(t, filepath.Join(dir, filepath.FromSlash(out.Analysis.FinalAnswer))); answer != want || answer == "" {
		t.Errorf("final_answer.txt = %q, want %q", answer, want)
	}
	index := testkit.FileString(t, filepath.Join(dir, "artifacts", "index.txt"))
	wantLine := "final_answer.txt\t" + itoa(len(answer)) + "\tfinal answer of the run (winner agent_a)\n"
	if !strings.HasPrefix(index, "# name\tbytes\twhat\n") || !strings.Contains(index, wantLine) || strings.Count(index, "\n") != 5 {
		t.Errorf("index.txt = %q, want a header and 4 lines including %q", index, wantLine)
	}
	tl, err := ParseTimeline([]byte(testkit.FileString(t, filepath.Join(dir, TimelineName))))
	if err != nil || tl.Winner != "agent_a" {
		t.Errorf("timeline = %+v, %v", tl, err)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestRunMassGenStops(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		timeout time.Duration
		cancel  bool
		metrics map[string]string
	}{
		{"timeout", 300 * time.Millisecond, false, map[string]string{"timed_out": "true", "interrupted": "false", "completed": "false", "massgen_exit_code": "-1"}},
		{"cancelled", 0, true, map[string]string{"timed_out": "false", "interrupted": "true", "completed": "false", "massgen_exit_code": "-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The fixture's complete logs appear, then MassGen hangs: the run
			// is still not complete, because cohos stopped it.
			spec := massgenSpec(t, fakeMassGen(t, "stable", copyFixture+"\ntouch started\nexec sleep 60"))
			spec.Timeout = tt.timeout
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				go func() {
					for {
						if _, err := os.Stat(filepath.Join(spec.RunDir, "started")); err == nil {
							cancel()
							return
						}
						time.Sleep(10 * time.Millisecond)
					}
				}()
			}
			out, err := Run(ctx, spec)
			if err != nil {
				t.Fatalf("RunMassGen: %v", err)
			}
			for k, want := range tt.metrics {
				if got := testkit.MetricString(out.Metrics, k); got != want {
					t.Errorf("metric %s = %s, want %s", k, got, want)
				}
			}
			if out.Analysis == nil {
				t.Error("the logs left before the stop were not analysed")
			}
		})
	}
}

func TestRunMassGenErrors(t *testing.T) {
	t.Parallel()
	bin := fakeMassGen(t, "", "exit 0")
	tests := []struct {
		name   string
		modify func(*Spec)
		want   error
	}{
		{"no bin", func(s *Spec) { s.Bin = "" }, runner.ErrSpec},
		{"no run dir", func(s *Spec) { s.RunDir = "" }, runner.ErrSpec},
		{"no config", func(s *Spec) { s.Config = nil }, runner.ErrSpec},
		{"blank question", func(s *Spec) { s.Question = " \n" }, runner.ErrSpec},
		{"NUL in question", func(s *Spec) { s.Question = "a\x00b" }, runner.ErrSpec},
		{"negative timeout", func(s *Spec) { s.Timeout = -1 }, runner.ErrSpec},
		{"missing run dir", func(s *Spec) { s.RunDir = filepath.Join(s.RunDir, "nope") }, runner.ErrRunDir},
		{"run dir not empty", func(s *Spec) {
			if err := os.WriteFile(filepath.Join(s.RunDir, "x"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}, runner.ErrRunDir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := massgenSpec(t, bin)
			tt.modify(&spec)
			out, err := Run(context.Background(), spec)
			if !errors.Is(err, tt.want) || out != nil {
				t.Fatalf("RunMassGen = %v, %v; want nil, %v", out, err, tt.want)
			}
		})
	}
}

func TestRunMassGenCannotStart(t *testing.T) {
	t.Parallel()
	spec := massgenSpec(t, filepath.Join(t.TempDir(), "missing", "massgen"))
	out, err := Run(context.Background(), spec)
	if err != nil {
		t.Fatalf("RunMassGen: %v", err)
	}
	if got := testkit.MetricString(out.Metrics, "massgen_exit_code"); got != "127" || testkit.MetricString(out.Metrics, "completed") != "false" {
		t.Errorf("metrics = %v, want exit 127, not completed", out.Metrics)
	}
}
