package massgen

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"cohos.dev/cohos/internal/massgen/massgencfg"
	"cohos.dev/cohos/internal/testkit"
)

// roleRoot makes a run directory holding files (name -> content; "->X"
// makes a symbolic link to X, "|fifo" a FIFO) and opens it.
func roleRoot(t *testing.T, files map[string]string) (*os.Root, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "artifacts"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasPrefix(data, "->"):
			err = os.Symlink(data[2:], p)
		case data == "|fifo":
			err = syscall.Mkfifo(p, 0o644)
		default:
			err = os.WriteFile(p, []byte(data), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return root, dir
}

var threeRoles = []massgencfg.AgentRole{
	{Agent: "final_synthesizer", Role: massgencfg.Synthesizer},
	{Agent: "context_information_gatherer", Role: massgencfg.Gatherer},
	{Agent: "domain_expert_1", Role: massgencfg.Expert},
	{Agent: "domain_expert_2", Role: massgencfg.Expert},
}

func TestCopyRoleArtifacts(t *testing.T) {
	t.Parallel()
	root, dir := roleRoot(t, map[string]string{
		"l/g.txt": "facts: 2 and 2", "l/e1.txt": "4", "l/e2.txt": "four\n", "l/s.txt": "draft", "l/final.txt": "4 (synthesized)",
	})
	a := &Analysis{
		Winner: "final_synthesizer", FinalAnswer: "l/final.txt",
		AgentAnswers: map[string]string{
			"final_synthesizer": "l/s.txt", "context_information_gatherer": "l/g.txt",
			"domain_expert_1": "l/e1.txt", "domain_expert_2": "l/e2.txt",
		},
	}
	written, problems, err := copyRoleArtifacts(root, a, threeRoles)
	if err != nil || len(problems) > 0 {
		t.Fatalf("copyRoleArtifacts: %v %q", err, problems)
	}
	want := []string{"artifacts/context_information_gatherer.txt", "artifacts/candidates_domain_expert.txt",
		"artifacts/final_synthesizer.txt", "artifacts/index.txt"}
	if !slices.Equal(written, want) {
		t.Errorf("written %q, want %q", written, want)
	}
	read := func(name string) string { return testkit.FileString(t, filepath.Join(dir, "artifacts", name)) }
	if got := read("context_information_gatherer.txt"); got != "facts: 2 and 2" {
		t.Errorf("gatherer = %q", got)
	}
	wantCand := "=== candidate 1 of 2: domain_expert_1 (1 bytes) ===\n4\n=== candidate 2 of 2: domain_expert_2 (5 bytes) ===\nfour\n"
	if got := read("candidates_domain_expert.txt"); got != wantCand {
		t.Errorf("candidates = %q, want %q", got, wantCand)
	}
	if got := read("final_synthesizer.txt"); got != "4 (synthesized)" {
		t.Errorf("final = %q", got)
	}
	wantIndex := "# name\tbytes\twhat\n" +
		"context_information_gatherer.txt\t14\tcontext and information gathered by context_information_gatherer\n" +
		"candidates_domain_expert.txt\t" + itoa(len(wantCand)) + "\t2 candidate answers of the domain experts\n" +
		"final_synthesizer.txt\t15\tfinal answer synthesized by final_synthesizer\n"
	if got := read("index.txt"); got != wantIndex {
		t.Errorf("index.txt = %q, want %q", got, wantIndex)
	}
	// No per-agent voting names in synthesis mode.
	for _, name := range []string{"final_answer.txt", "answer_domain_expert_1.txt"} {
		if _, err := os.Lstat(filepath.Join(dir, "artifacts", name)); err == nil {
			t.Errorf("%s written in synthesis mode", name)
		}
	}
}

func TestCopyRoleArtifactsPartial(t *testing.T) {
	t.Parallel()
	root, dir := roleRoot(t, map[string]string{
		"l/e1.txt": "->/etc/passwd", "l/e2.txt": "|fifo", "l/final.txt": "answer",
	})
	// The synthesizer failed: MassGen presented with the gatherer, which
	// left no answer file of its own; both experts' answers are refused.
	a := &Analysis{
		Winner: "context_information_gatherer", FinalAnswer: "l/final.txt",
		AgentAnswers: map[string]string{"domain_expert_1": "l/e1.txt", "domain_expert_2": "l/e2.txt"},
	}
	written, problems, err := copyRoleArtifacts(root, a, threeRoles)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"artifacts/final_synthesizer.txt", "artifacts/index.txt"}; !slices.Equal(written, want) {
		t.Errorf("written %q, want %q", written, want)
	}
	if len(problems) != 2 || !strings.Contains(problems[0], "symbolic link refused") || !strings.Contains(problems[1], "not a regular file") {
		t.Errorf("problems %q", problems)
	}
	index := testkit.FileString(t, filepath.Join(dir, "artifacts", "index.txt"))
	for _, want := range []string{
		"final_synthesizer.txt\t6\tfinal answer synthesized by context_information_gatherer (not the final synthesizer, which left no answer)\n",
		"# no context_information_gatherer.txt: the context information gatherer left no answer\n",
	} {
		if !strings.Contains(index, want) {
			t.Errorf("index.txt %q lacks %q", index, want)
		}
	}
	// An agent without a role keeps its voting-mode name.
	root, dir = roleRoot(t, map[string]string{"l/x.txt": "extra", "l/final.txt": "f"})
	a = &Analysis{Winner: "final_synthesizer", FinalAnswer: "l/final.txt", AgentAnswers: map[string]string{"agent_x": "l/x.txt"}}
	written, _, err = copyRoleArtifacts(root, a, threeRoles)
	if want := []string{"artifacts/answer_agent_x.txt", "artifacts/final_synthesizer.txt", "artifacts/index.txt"}; err != nil || !slices.Equal(written, want) {
		t.Errorf("written %q, %v; want %q", written, err, want)
	}
	if got := testkit.FileString(t, filepath.Join(dir, "artifacts", "answer_agent_x.txt")); got != "extra" {
		t.Errorf("answer_agent_x.txt = %q", got)
	}
	// Nothing at all: only the index, which says why.
	root, dir = roleRoot(t, nil)
	written, _, err = copyRoleArtifacts(root, nil, threeRoles)
	if err != nil || !slices.Equal(written, []string{"artifacts/index.txt"}) {
		t.Fatalf("no analysis: %q, %v", written, err)
	}
	if got := testkit.FileString(t, filepath.Join(dir, "artifacts", "index.txt")); !strings.Contains(got, "# no answers: MassGen's logs were not found") {
		t.Errorf("index.txt = %q", got)
	}
}

func TestModeMetrics(t *testing.T) {
	t.Parallel()
	voting, synthesis := ModeMetrics(massgencfg.Voting), ModeMetrics(massgencfg.Synthesis)
	for _, name := range []string{"votes_total", "ignored_votes"} {
		if !slices.Contains(voting, name) || slices.Contains(synthesis, name) {
			t.Errorf("%s: in voting %v, in synthesis %v", name, slices.Contains(voting, name), slices.Contains(synthesis, name))
		}
	}
	for _, name := range []string{"completed", "enforcement_retries", "model_calls", "restarts", "answers_per_agent_max"} {
		if !slices.Contains(synthesis, name) || !slices.Contains(voting, name) {
			t.Errorf("%s missing from a mode", name)
		}
	}
	if len(voting) != len(synthesis)+2 || !slices.Equal(ModeMetrics(""), voting) {
		t.Errorf("voting %d metrics, synthesis %d", len(voting), len(synthesis))
	}
}

// TestModeMetricsListsAnalyze: every metric Analyze reports on the real
// MassGen fixtures is in the documented list.
func TestModeMetricsListsAnalyze(t *testing.T) {
	t.Parallel()
	all := ModeMetrics(massgencfg.Voting)
	for _, name := range []string{"stable", "slow", "thrash", "flaky", "dead", "stable-skip-presentation"} {
		a, _ := analyzeFixture(t, name)
		for k := range a.Metrics {
			if !slices.Contains(all, k) {
				t.Errorf("%s: metric %s is not in ModeMetrics", name, k)
			}
		}
	}
}
