package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/rehearse"
	"cohos.dev/cohos/policy"
)

// behaviourPolicy is the default policy without its wall-time and
// round-latency rules, plus a rule on votes_total: it grades how MassGen
// behaved, not how fast, so a loaded machine cannot turn stable's ALLOW
// into a latency MARGINAL (TestProfiles exercises the latency rule).
const behaviourPolicy = `apiVersion: cohos/v1
kind: Policy
name: behaviour
rules:
  - {metric: completed, require: true}
  - {metric: timed_out, require: false}
  - {metric: interrupted, require: false}
  - {metric: restarts, marginal: 2, refuse: 6}
  - {metric: answers_per_agent_max, marginal: 2, refuse: 4, missing: allow}
  - {metric: agent_errors, marginal: 0, refuse: 1, missing: allow}
  - {metric: enforcement_retries, marginal: 2, refuse: 6, missing: allow}
  - {metric: votes_total, refuse: 100, missing: allow}
`

// behaviourPolicyFile writes behaviourPolicy to a file.
func behaviourPolicyFile(t *testing.T) string {
	t.Helper()
	pol := filepath.Join(t.TempDir(), "behaviour.yaml")
	if err := os.WriteFile(pol, []byte(behaviourPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	return pol
}

// TestRehearseJSON runs `cohos rehearse --json` with real MassGen on two
// profiles (the cost is bounded: 4 runs, 2 at a time, on a 2-core
// machine) in both modes, parses the document strictly and checks that
// every cell has a decision and a bundle that verifies, by cohos verify
// run apart from the rehearsal.
func TestRehearseJSON(t *testing.T) {
	t.Parallel()
	w := needMassGen(t)
	pol := behaviourPolicyFile(t)
	dir := filepath.Join(t.TempDir(), "rehearsal")
	res := w.run(t, t.TempDir(), 2*runLimit, "rehearse", "--json", "--sign", w.key, "--massgen-bin", w.massgen,
		"--policy", pol, "--profiles", "stable,dead", "--jobs", "2", "--timeout", "4m", "--out", dir)
	t.Logf("cohos rehearse exit %d in %.1fs\n%s", res.code, res.wall.Seconds(), res.stderr)
	if res.code != 0 {
		t.Fatalf("cohos rehearse exit %d, want 0\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	var m rehearse.Matrix
	dec := json.NewDecoder(bytes.NewReader([]byte(res.stdout)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("rehearse --json: %v\n%s", err, res.stdout)
	}
	if m.MediaType != rehearse.MediaType || m.Server != "substrate" || m.Agents != 3 ||
		!slices.Equal(m.Rows, []string{"stable", "dead"}) || !slices.Equal(m.Modes, []string{"voting", "synthesis"}) || len(m.Cells) != 4 {
		t.Fatalf("matrix = %+v", m)
	}
	want := []struct {
		profile, mode string
		decision      policy.Decision
		decider       string
		calls         int // MassGen's model calls (at least, in voting mode); -1: not observed
		code          int // cohos verify's exit code
	}{
		{"stable", "voting", policy.Allow, "", 7, 0},
		{"stable", "synthesis", policy.Allow, "", 4, 0},
		{"dead", "voting", policy.Refuse, "completed", -1, 1},
		{"dead", "synthesis", policy.Refuse, "completed", -1, 1},
	}
	for i, c := range m.Cells {
		wc := want[i]
		if c.Profile != wc.profile || c.Mode != wc.mode {
			t.Errorf("cell %d is %s/%s, want %s/%s", i, c.Profile, c.Mode, wc.profile, wc.mode)
			continue
		}
		name := c.Profile + "/" + c.Mode
		decider := ""
		if c.DecidedBy != nil {
			decider = c.DecidedBy.Metric
		}
		if c.Decision != wc.decision || decider != wc.decider || !c.Verified || c.Error != "" {
			t.Errorf("%s: %s by %q, verified %v, error %q; want %s by %q, verified", name, c.Decision, decider, c.Verified, c.Error, wc.decision, wc.decider)
		}
		switch {
		case wc.calls < 0 && c.ModelCalls != nil:
			t.Errorf("%s: model calls %d, want not observed", name, *c.ModelCalls)
		case wc.calls >= 0 && c.ModelCalls == nil:
			t.Errorf("%s: model calls not observed, want %d", name, wc.calls)
		case wc.calls >= 0 && c.Mode == "synthesis" && *c.ModelCalls != wc.calls:
			t.Errorf("%s: model calls %d, want %d", name, *c.ModelCalls, wc.calls)
		case wc.calls >= 0 && *c.ModelCalls < wc.calls:
			// Voting: an agent that answers while another is mid-stream
			// makes it restart, one call more; how often depends on timing.
			t.Errorf("%s: model calls %d, want at least %d", name, *c.ModelCalls, wc.calls)
		}
		// votes_total: observed in voting mode, not observed (the rule's
		// missing: allow decides) in synthesis mode.
		if r := reasonFor(t, c.RunDir, "votes_total"); (c.Mode == "synthesis") != (r.Observed == nil) {
			t.Errorf("%s: votes_total observed %v", name, r.Observed)
		} else if c.Mode == "synthesis" && (r.Outcome != policy.Allow || r.Message != "votes_total not observed (missing: allow)") {
			t.Errorf("%s: votes_total rule %s %q", name, r.Outcome, r.Message)
		}
		if c.ServerCalls == nil || *c.ServerCalls == 0 || c.WallSeconds <= 0 || c.Model != "cohos-substrate-"+c.Profile {
			t.Errorf("%s: server calls %v, wall %v, model %q", name, c.ServerCalls, c.WallSeconds, c.Model)
		}
		if c.RunDir != filepath.Join(dir, c.Profile+"-"+c.Mode) || c.Bundle != filepath.Join(c.RunDir, "bundle.intoto.jsonl") {
			t.Errorf("%s: run dir %q bundle %q", name, c.RunDir, c.Bundle)
		}
		// Verified apart from the rehearsal, with the key and the policy.
		verifyBundlePolicy(t, w, c.RunDir, pol, wc.code)
	}
	if m.WallSeconds <= 0 {
		t.Errorf("wallSeconds %v", m.WallSeconds)
	}
}

// reasonFor returns the reason of the rule on metric in the run's decision.json.
func reasonFor(t *testing.T, runDir, metric string) policy.Reason {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(runDir, "decision.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := attest.ParseDecision(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range d.Reasons {
		if r.Metric == metric {
			return r
		}
	}
	t.Fatalf("%s: no rule on %s", runDir, metric)
	return policy.Reason{}
}
