package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/massgen/massgencfg"
	"cohos.dev/cohos/internal/substrate"
	"cohos.dev/cohos/policy"
)

// roleFiles are the artifacts of a synthesis-mode run, named by role.
var roleFiles = []string{
	"artifacts/context_information_gatherer.txt", "artifacts/candidates_domain_expert.txt",
	"artifacts/final_synthesizer.txt", "artifacts/index.txt",
}

// governMode serves the scenario's profile and runs `cohos run --model-url
// URL --model M --mode MODE` on it: the config cohos generates itself.
func governMode(t *testing.T, w world, sc scenario, mode massgencfg.Mode) *governed {
	t.Helper()
	sc.opts.Profile = sc.profile
	srv, err := substrate.New(sc.opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	g := &governed{srv: srv, url: ts.URL + "/v1", dir: filepath.Join(t.TempDir(), "run"), bin: w.massgen}
	// The same options cohos uses, so the attested config digest can be checked.
	if g.cfg, err = massgencfg.Generate(massgencfg.Options{BaseURL: g.url, Model: sc.profile.Model(), Mode: mode}); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"run", "--sign", w.key, "--model-url", g.url + "/", "--model", sc.profile.Model(),
		"--mode", string(mode), "--massgen-bin", w.massgen, "--out", g.dir}, sc.flags...)
	g.res = w.run(t, t.TempDir(), runLimit, append(args, question)...)
	t.Logf("%s/%s: cohos run exit %d in %.1fs: %s", sc.profile, mode, g.res.code, g.res.wall.Seconds(), strings.TrimSpace(g.res.stdout))
	if g.res.code != sc.code {
		t.Fatalf("cohos run exit %d, want %d\nstdout: %s\nstderr: %s", g.res.code, sc.code, g.res.stdout, g.res.stderr)
	}
	g.read(t)
	return g
}

// TestSynthesisMode governs real MassGen runs in synthesis mode (voting
// off, role agents, a synthesized final answer) against the stable and
// thrash profiles under a policy on behaviour (the default policy's rules
// but for wall time and round latency, which a loaded machine decides;
// TestProfiles covers those): exact decisions, the roles and
// mode in the predicate, the role-named artifacts on disk and attested,
// no vote anywhere, and a bundle that verifies.
//
// Thrash churns only where voting lets it: in synthesis mode each agent
// answers once (max_new_answers_per_agent 1) and MassGen never shows an
// agent the others' answers before its own, so the thrashing script has
// nothing to re-answer, and the run is as calm as stable's. That is the
// measured case for voting off (TestProfiles: thrash in voting mode is
// REFUSE by restarts).
func TestSynthesisMode(t *testing.T) {
	for _, p := range []substrate.Profile{substrate.Stable, substrate.Thrash} {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			w := needMassGen(t)
			pol := behaviourPolicyFile(t)
			sc := scenario{
				profile: p, flags: []string{"--timeout", "4m", "--policy", pol}, policy: pol,
				decision: policy.Allow, code: 0,
				metrics: map[string]string{
					"completed": "true", "timed_out": "false", "massgen_exit_code": "0", "agents": "3",
					"answers_total": "3", "answers_per_agent_max": "1", "agent_errors": "0",
					"enforcement_retries": "0", "restarts": "0", "agent_restarts": "0", "model_calls": "4",
				},
				files: append(slices.Clone(roleFiles), "massgen_config.yaml", "massgen_timeline.json", "massgen_invocation.json"),
			}
			g := governMode(t, w, sc, massgencfg.Synthesis)
			g.check(t, w, sc)
			g.checkSynthesis(t, p)
		})
	}
}

// checkSynthesis asserts what only a synthesis-mode run has.
func (g *governed) checkSynthesis(t *testing.T, p substrate.Profile) {
	t.Helper()
	r := g.pred.Run
	wantRoles := []attest.AgentRole{
		{Agent: "final_synthesizer", Role: "final_synthesizer"},
		{Agent: "context_information_gatherer", Role: "context_information_gatherer"},
		{Agent: "domain_expert_1", Role: "domain_expert"},
	}
	if r.Mode != "synthesis" || !slices.Equal(r.Roles, wantRoles) {
		t.Errorf("predicate run mode %q roles %+v, want synthesis %+v", r.Mode, r.Roles, wantRoles)
	}
	// Votes do not exist in synthesis mode: not observed, never a 0.
	for _, m := range []string{"votes_total", "ignored_votes"} {
		if v, ok := g.dec.Metrics[m]; ok {
			t.Errorf("metric %s = %v in synthesis mode, want it not observed", m, v)
		}
	}
	if st := g.srv.Stats(); st.Vote != 0 || st.NewAnswer != 3 || st.Text != 1 || st.Chat != 4 {
		t.Errorf("substrate saw %+v, want 3 answers and 1 synthesis, no vote", st)
	}
	// Each role file is attested with the digest of what is on disk.
	attested := map[string]string{}
	for _, f := range g.pred.Artifacts.Files {
		attested[f.Name] = f.SHA256
	}
	for _, name := range roleFiles {
		b, err := os.ReadFile(filepath.Join(g.dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		sum := sha256.Sum256(b)
		if got := attested[name]; got != hex.EncodeToString(sum[:]) {
			t.Errorf("%s attested as %q, on disk %x", name, got, sum)
		}
	}
	for name := range attested {
		if strings.HasPrefix(name, "artifacts/") && !slices.Contains(roleFiles, name) {
			t.Errorf("artifact %s is not named by role", name)
		}
	}
	model := p.Model()
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(g.dir, "artifacts", name))
		return string(b)
	}
	answer := "[" + model + "] scripted rehearsal answer 1 to: " + question
	if got := read("context_information_gatherer.txt"); got != answer {
		t.Errorf("gatherer's artifact %q, want %q", got, answer)
	}
	wantCand := "=== candidate 1 of 1: domain_expert_1 (" + strconv.Itoa(len(answer)) + " bytes) ===\n" + answer + "\n"
	if got := read("candidates_domain_expert.txt"); got != wantCand {
		t.Errorf("candidates %q, want %q", got, wantCand)
	}
	wantFinal := "[" + model + "] scripted synthesis of 3 answers (final_synthesizer, context_information_gatherer, domain_expert_1) to: " + question
	if got := read("final_synthesizer.txt"); got != wantFinal {
		t.Errorf("final_synthesizer.txt %q, want %q", got, wantFinal)
	}
	if got := read("index.txt"); !strings.Contains(got, "final_synthesizer.txt\t"+strconv.Itoa(len(wantFinal))+"\tfinal answer synthesized by final_synthesizer\n") {
		t.Errorf("index.txt = %q", got)
	}
}
