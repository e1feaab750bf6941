package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"cohos.dev/cohos/internal/massgen/massgencfg"
	"cohos.dev/cohos/policy"
)

// The real model server: llama.cpp's llama-server and the tiny models,
// built and generated once into the user cache by
// scripts/setup-llama-server.sh (make test runs it). These tests fail, never
// skip, when they are missing.
const llamaHint = "run scripts/setup-llama-server.sh (or make setup-test) to build llama-server and the tiny models"

// llama is where the server and the models are.
type llama struct {
	server string // llama-server executable
	models string // directory holding random.gguf and scripted.gguf
}

// needLlama fails the test when llama-server or the models are missing.
func needLlama(t *testing.T) llama {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ask := func(flag string) string {
		out, err := exec.Command(filepath.Join(root, "scripts", "setup-llama-server.sh"), flag).Output()
		if err != nil {
			t.Fatalf("scripts/setup-llama-server.sh %s: %v", flag, err)
		}
		return strings.TrimSpace(string(out))
	}
	l := llama{server: ask("--print"), models: ask("--print-models")}
	if fi, err := os.Stat(l.server); err != nil || fi.Mode().Perm()&0o111 == 0 {
		t.Fatalf("llama-server is not built (%s): %s", l.server, llamaHint)
	}
	for _, m := range []string{"random.gguf", "scripted.gguf"} {
		if _, err := os.Stat(filepath.Join(l.models, m)); err != nil {
			t.Fatalf("tiny model missing: %v: %s", err, llamaHint)
		}
	}
	return l
}

// llamaOptions are one llama-server's settings.
type llamaOptions struct {
	model string // file name in the models directory
	ctx   int    // context tokens per slot
}

// startLlama starts llama-server on a free loopback port with three slots
// (MassGen's three agents ask in parallel), waits until it is ready, and
// returns its base URL (".../v1"). The server is stopped when t ends.
func startLlama(t *testing.T, l llama, o llamaOptions) string {
	t.Helper()
	port := freePort(t)
	alias := "cohos-tiny-" + strings.TrimSuffix(o.model, ".gguf")
	logPath := filepath.Join(t.TempDir(), "llama-server.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(l.server,
		"--model", filepath.Join(l.models, o.model), "--alias", alias,
		"--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--jinja", "--parallel", "3", "--ctx-size", strconv.Itoa(3*o.ctx),
		"--n-predict", "128", "--threads", "2", "--seed", "1",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting llama-server: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("llama-server log (last 4 KiB):\n%s", tail(b, 4096))
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/health", nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base + "/v1"
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("llama-server not ready after 3 minutes:\n%s", tail(b, 4096))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return bytes.TrimSpace(b)
}

// llamaCase is one governed run against llama-server and what it must end with.
type llamaCase struct {
	name     string
	server   llamaOptions
	decision policy.Decision
	code     int
	metrics  map[string]string
	cause    string   // a substring of the attested cause and of the decision line; "" for none
	problems []string // each must be a substring of one attested run problem
}

// TestLlamaServer governs real MassGen runs against a real llama.cpp
// llama-server serving the tiny models, under behaviourPolicy (the default
// policy without its time rules: a CPU-bound model server on a busy 2-core
// CI machine must not turn the model's behaviour into a latency MARGINAL),
// and verifies every bundle pinned to that policy.
func TestLlamaServer(t *testing.T) {
	w := needMassGen(t)
	l := needLlama(t)
	tests := []llamaCase{
		{
			// Random weights write text, never a tool call: MassGen
			// re-prompts each agent twice, then kills it.
			name: "random weights", server: llamaOptions{model: "random.gguf", ctx: 8192},
			decision: policy.Refuse, code: 1,
			metrics: map[string]string{
				"completed": "false", "agent_errors": "3", "answers_total": "0", "enforcement_retries": "6",
				"massgen_exit_code": "0",
			},
			cause: "Agent failed to use workflow tools after 3 attempts",
			problems: []string{"agent_a: Agent failed to use workflow tools after 3 attempts",
				"agent_b: Agent failed to use workflow tools after 3 attempts",
				"agent_c: Agent failed to use workflow tools after 3 attempts"},
		},
		{
			// Hand-set weights write <tool_call> and a newline (the
			// trigger of llama-server's lazy tool-call grammar), then,
			// under the grammar, call new_answer while no answer exists
			// and vote once answers are in the prompt.
			name: "scripted weights", server: llamaOptions{model: "scripted.gguf", ctx: 8192},
			decision: policy.Allow, code: 0,
			metrics: map[string]string{
				"completed": "true", "agent_errors": "0", "answers_total": "3", "answers_per_agent_max": "1",
				"enforcement_retries": "0", "errors_total": "0", "timed_out": "false", "massgen_exit_code": "0",
			},
		},
		{
			// MassGen's first prompt (about 4,000 tokens) does not fit a
			// 1,024-token slot: llama-server answers HTTP 400 before any
			// stream, and the cause says so.
			name: "prompt too long", server: llamaOptions{model: "scripted.gguf", ctx: 1024},
			decision: policy.Refuse, code: 1,
			metrics:  map[string]string{"completed": "false", "agent_errors": "3", "answers_total": "0"},
			cause:    "Error code: 400",
			problems: []string{"Error code: 400", "exceeds the available context size"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := startLlama(t, l, tc.server)
			g := &governed{url: url, dir: filepath.Join(t.TempDir(), "run")}
			// llama-server lets a request's max_tokens override --n-predict,
			// so the config caps each reply: MassGen's 2048 would make the
			// random model write for minutes.
			cfg, err := massgencfg.Generate(massgencfg.Options{BaseURL: url, Model: "cohos-tiny-" + strings.TrimSuffix(tc.server.model, ".gguf"), MaxTokens: 64})
			if err != nil {
				t.Fatal(err)
			}
			cfgPath := filepath.Join(t.TempDir(), "cfg.yaml")
			if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
				t.Fatal(err)
			}
			pol := behaviourPolicyFile(t)
			g.res = w.run(t, t.TempDir(), runLimit, "run", "--sign", w.key, "--massgen-config", cfgPath,
				"--massgen-bin", w.massgen, "--timeout", "4m", "--policy", pol, "--out", g.dir, question)
			t.Logf("%s: cohos run exit %d in %.1fs: %s", tc.name, g.res.code, g.res.wall.Seconds(), strings.TrimSpace(g.res.stdout))
			if g.res.code != tc.code {
				t.Fatalf("cohos run exit %d, want %d\nstdout: %s\nstderr: %s", g.res.code, tc.code, g.res.stdout, g.res.stderr)
			}
			g.read(t)
			if g.dec.Decision != tc.decision {
				t.Errorf("decision %s, want %s; reasons: %s", g.dec.Decision, tc.decision, messages(g.dec))
			}
			for k, want := range tc.metrics {
				if v, ok := g.dec.Metrics[k]; !ok || v.String() != want {
					t.Errorf("metric %s = %v (present %v), want %s", k, v, ok, want)
				}
			}
			line, _, _ := strings.Cut(g.res.stdout, "\n")
			if c := g.pred.Run.Cause; tc.cause == "" && c != "" || !strings.Contains(c, tc.cause) || !strings.Contains(line, tc.cause) {
				t.Errorf("attested cause %q, decision line %q; want both to name %q", c, line, tc.cause)
			}
			for _, want := range tc.problems {
				if !slices.ContainsFunc(g.pred.Run.Problems, func(p string) bool { return strings.Contains(p, want) }) {
					t.Errorf("attested run problems %q, want one containing %q", g.pred.Run.Problems, want)
				}
				if !strings.Contains(g.res.stdout, want) {
					t.Errorf("stdout does not name the cause %q:\n%s", want, g.res.stdout)
				}
			}
			if r := g.pred.Run; r.Runner != "massgen" || r.RunnerVersion != "0.1.91" || r.BaseURL != url ||
				!slices.Equal(r.Models, []string{"cohos-tiny-" + strings.TrimSuffix(tc.server.model, ".gguf")}) {
				t.Errorf("run record = %+v", r)
			}
			verifyBundlePolicy(t, w, g.dir, pol, tc.code)
		})
	}
}
