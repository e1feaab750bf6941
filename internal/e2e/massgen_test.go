package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/massgen"
	"cohos.dev/cohos/internal/massgen/massgencfg"
	"cohos.dev/cohos/internal/substrate"
	"cohos.dev/cohos/policy"
)

const question = "What is 2+2?"

// runLimit bounds one governed run, MassGen's start-up on a busy machine
// included.
const runLimit = 5 * time.Minute

// scenario is one governed MassGen run and what it must end with.
type scenario struct {
	profile substrate.Profile
	opts    substrate.Options // Profile is filled in
	flags   []string          // extra flags for cohos run
	bin     func(t *testing.T) string

	decision policy.Decision
	code     int               // cohos run's exit code; -1: any (the test checks it)
	decider  string            // metric of the deciding rule, "" for ALLOW, "*" for any
	metrics  map[string]string // exact values
	above    map[string]float64
	below    map[string]float64
	refusing []string // further rules that must say REFUSE
	marginal []string // further rules that must say MARGINAL
	files    []string // must exist in the run directory
	problem  string   // a substring of one invocation problem
	policy   string   // the policy file the run was given (--policy in flags); "" = the default
}

// governed is a finished governed run.
type governed struct {
	dir  string
	bin  string // the massgen executable that ran
	srv  *substrate.Server
	res  execResult
	cfg  []byte
	url  string
	dec  *attest.Decision
	pred *attest.Predicate
	inv  massgen.Invocation
}

// govern serves the scenario's profile, runs cohos on it and reads the evidence.
func govern(t *testing.T, w world, sc scenario) *governed {
	t.Helper()
	sc.opts.Profile = sc.profile
	srv, err := substrate.New(sc.opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	g := &governed{srv: srv, url: ts.URL + "/v1", dir: filepath.Join(t.TempDir(), "run")}
	if g.cfg, err = massgencfg.Generate(massgencfg.Options{BaseURL: g.url, Model: sc.profile.Model()}); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "cfg.yaml")
	if err := os.WriteFile(cfgPath, g.cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := w.massgen
	if sc.bin != nil {
		bin = sc.bin(t)
	}
	g.bin = bin
	args := append([]string{"run", "--sign", w.key, "--massgen-config", cfgPath, "--massgen-bin", bin, "--out", g.dir}, sc.flags...)
	g.res = w.run(t, t.TempDir(), runLimit, append(args, question)...)
	t.Logf("%s: cohos run exit %d in %.1fs: %s", sc.profile, g.res.code, g.res.wall.Seconds(), strings.TrimSpace(g.res.stdout))
	if sc.code >= 0 && g.res.code != sc.code {
		t.Fatalf("cohos run exit %d, want %d\nstdout: %s\nstderr: %s", g.res.code, sc.code, g.res.stdout, g.res.stderr)
	}
	g.read(t)
	return g
}

func (g *governed) read(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(g.dir, "decision.json"))
	if err != nil {
		t.Fatal(err)
	}
	if g.dec, err = attest.ParseDecision(b); err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile(filepath.Join(g.dir, "bundle.intoto.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	envs, err := attest.ParseBundle(b)
	if err != nil || len(envs) != 1 {
		t.Fatalf("bundle: %d envelopes, %v", len(envs), err)
	}
	st, err := attest.ParseStatement(envs[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	if g.pred, err = attest.ParsePredicate(st.Predicate); err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile(filepath.Join(g.dir, massgen.InvocationName))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g.inv); err != nil {
		t.Fatalf("%s: %v", massgen.InvocationName, err)
	}
}

// decider is the metric of the rule that decided, "" for ALLOW.
func decider(d *attest.Decision) string {
	if d.Decision == policy.Allow {
		return ""
	}
	for _, r := range d.Reasons {
		if r.Outcome == d.Decision {
			return r.Metric
		}
	}
	return "<none>"
}

// check asserts the decision, the metrics that drove it, the run record and
// that the bundle verifies with every check but decision.admissible.
func (g *governed) check(t *testing.T, w world, sc scenario) {
	t.Helper()
	if g.dec.Decision != sc.decision || (sc.decider != "*" && decider(g.dec) != sc.decider) {
		t.Errorf("decision %s decided by %q, want %s by %q; reasons: %s", g.dec.Decision, decider(g.dec), sc.decision, sc.decider, messages(g.dec))
	}
	if !strings.HasPrefix(g.res.stdout, string(sc.decision)+": ") {
		t.Errorf("stdout = %q, want the %s line", g.res.stdout, sc.decision)
	}
	m := g.dec.Metrics
	for k, want := range sc.metrics {
		if v, ok := m[k]; !ok || v.String() != want {
			t.Errorf("metric %s = %v (present %v), want %s", k, v, ok, want)
		}
	}
	for k, limit := range sc.above {
		if f, ok := m[k].Number(); !ok || !(f > limit) {
			t.Errorf("metric %s = %v, want > %v", k, m[k], limit)
		}
	}
	for k, limit := range sc.below {
		if f, ok := m[k].Number(); !ok || !(f < limit) {
			t.Errorf("metric %s = %v, want < %v", k, m[k], limit)
		}
	}
	for want, metrics := range map[policy.Decision][]string{policy.Refuse: sc.refusing, policy.Marginal: sc.marginal} {
		for _, metric := range metrics {
			if i := slices.IndexFunc(g.dec.Reasons, func(r policy.Reason) bool { return r.Metric == metric }); i < 0 || g.dec.Reasons[i].Outcome != want {
				t.Errorf("rule %s does not say %s; reasons: %s", metric, want, messages(g.dec))
			}
		}
	}
	for _, f := range sc.files {
		if fi, err := os.Stat(filepath.Join(g.dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v (want a non-empty file)", f, err)
		}
	}
	if sc.problem != "" && !slices.ContainsFunc(g.pred.Run.Problems, func(p string) bool { return strings.Contains(p, sc.problem) }) {
		t.Errorf("attested run problems %q, want one containing %q", g.pred.Run.Problems, sc.problem)
	}
	if sc.problem != "" && !strings.Contains(g.res.stdout, "problem: "+sc.problem) {
		t.Errorf("stdout %q does not name the problem %q", g.res.stdout, sc.problem)
	}
	if sc.problem != "" && !slices.ContainsFunc(g.inv.Problems, func(p string) bool { return strings.Contains(p, sc.problem) }) {
		t.Errorf("invocation problems %q, want one containing %q", g.inv.Problems, sc.problem)
	}
	g.checkRun(t, sc)
	pol := w.policy
	if sc.policy != "" {
		pol = sc.policy
	}
	verifyBundlePolicy(t, w, g.dir, pol, sc.code)
}

// checkRun asserts the attested run record.
func (g *governed) checkRun(t *testing.T, sc scenario) {
	t.Helper()
	r := g.pred.Run
	sum := func(b []byte) map[string]string {
		s := sha256.Sum256(b)
		return map[string]string{"sha256": hex.EncodeToString(s[:])}
	}
	wantVersion, wantModels := "0.1.91", []string{sc.profile.Model()}
	if sc.bin != nil { // a fake massgen leaves no logs: the version is unknown
		wantVersion = ""
	}
	if r.Runner != "massgen" || r.RunnerVersion != wantVersion || r.BaseURL != g.url || !slices.Equal(r.Models, wantModels) ||
		r.ExitCode == nil || !mapsEqual(r.ConfigDigest, sum(g.cfg)) || !mapsEqual(r.QuestionDigest, sum([]byte(question))) ||
		r.StartedOn == "" || r.FinishedOn == "" || len(r.Argv) < 2 || r.Argv[len(r.Argv)-1] != question {
		t.Errorf("run record = %+v", r)
	}
	// The distribution set that ran: the virtualenv's, only when it ran.
	if sc.bin != nil {
		if r.RunnerDistributions != nil {
			t.Errorf("runnerDistributions = %+v for a massgen outside a virtualenv", r.RunnerDistributions)
		}
	} else if d, err := massgen.Distributions(g.bin); err != nil {
		t.Errorf("distributions of %s: %v", g.bin, err)
	} else if rd := r.RunnerDistributions; rd == nil || rd.Count != d.Count || !mapsEqual(rd.Digest, map[string]string{"sha256": d.SHA256}) {
		t.Errorf("runnerDistributions = %+v, want %d distributions, sha256 %s", rd, d.Count, d.SHA256)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func messages(d *attest.Decision) string {
	var s []string
	for _, r := range d.Reasons {
		s = append(s, string(r.Outcome)+" "+r.Message)
	}
	return strings.Join(s, "; ")
}

// verifyBundle runs cohos verify with the key and the default policy and
// asserts its exit code and that every check passes except
// decision.admissible, which fails unless the decision is ALLOW.
func verifyBundle(t *testing.T, w world, dir string, wantCode int) {
	t.Helper()
	verifyBundlePolicy(t, w, dir, w.policy, wantCode)
}

// verifyBundlePolicy is verifyBundle with the trusted policy file pol.
func verifyBundlePolicy(t *testing.T, w world, dir, pol string, wantCode int) {
	t.Helper()
	res := w.run(t, filepath.Dir(dir), time.Minute, "verify", dir, "--key", w.pub, "--policy", pol, "--json")
	if res.code != wantCode {
		t.Errorf("cohos verify exit %d, want %d\n%s", res.code, wantCode, res.stdout)
	}
	var report struct {
		Bundles []struct {
			Checks []struct {
				ID, Status, Reason string
			}
		}
	}
	if err := json.Unmarshal([]byte(res.stdout), &report); err != nil || len(report.Bundles) != 1 {
		t.Fatalf("verify --json: %v\n%s", err, res.stdout)
	}
	var ids []string
	for _, c := range report.Bundles[0].Checks {
		ids = append(ids, c.ID)
		want := "pass"
		if c.ID == "decision.admissible" && wantCode != 0 {
			want = "fail"
		}
		if c.Status != want {
			t.Errorf("check %s: %s (%s), want %s", c.ID, c.Status, c.Reason, want)
		}
	}
	for _, id := range []string{"dsse.threshold", "artifacts.digest", "evidence.consistency", "policy.trusted", "policy.conformance", "decision.admissible"} {
		if !slices.Contains(ids, id) {
			t.Errorf("verify ran no %s check; ran %q", id, ids)
		}
	}
}
