// Package testkit holds helpers shared by cohos tests: fresh keys, a small
// run directory, a policy and an attested bundle.
package testkit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
)

// PolicyYAML is the policy the helpers attest with.
const PolicyYAML = `apiVersion: cohos/v1
kind: Policy
name: testkit
rules:
  - {metric: completed, require: true}
  - {metric: restarts, marginal: 1, refuse: 3}
  - {metric: wall_seconds, marginal: 60, refuse: 600}
`

// Key generates a fresh key pair of the given algorithm.
func Key(t testing.TB, alg keys.Algorithm) (*keys.Signer, *keys.Public) {
	t.Helper()
	priv, _, err := keys.Generate(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := keys.ParsePrivate(priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, s.Public()
}

// Policy parses PolicyYAML.
func Policy(t testing.TB) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(PolicyYAML))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Metrics returns metrics that PolicyYAML grades as want.
func Metrics(want policy.Decision) policy.Metrics {
	m := policy.Metrics{"completed": policy.Bool(true), "restarts": policy.Num(0), "wall_seconds": policy.Num(1.5)}
	switch want {
	case policy.Marginal:
		m["restarts"] = policy.Num(2)
	case policy.Refuse:
		m["completed"] = policy.Bool(false)
	}
	return m
}

// RunDir creates a run directory with a few files in nested directories.
func RunDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run-1")
	files := map[string]string{
		"command_stdout.log":    "hello\n",
		"command_stderr.log":    "",
		"artifacts/answer.txt":  "4\n",
		"artifacts/sub/deep.md": "# deep\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Attest attests dir with PolicyYAML, metrics graded as want, and signers.
func Attest(t testing.TB, dir string, want policy.Decision, signers ...*keys.Signer) *attest.Result {
	t.Helper()
	ds := make([]dsse.Signer, len(signers))
	for i, s := range signers {
		ds[i] = s
	}
	res, err := attest.Attest(context.Background(), dir, attest.Options{
		Policy:  Policy(t),
		Metrics: Metrics(want),
		Run:     attest.Run{Runner: "command", Argv: []string{"true"}},
		Signers: ds,
		Now:     time.Date(2026, 11, 24, 5, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Evaluation.Decision != want {
		t.Fatalf("testkit metrics gave %s, want %s", res.Evaluation.Decision, want)
	}
	return res
}

// FileString returns the contents of the file at path, failing t when it
// cannot be read.
func FileString(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// MetricString formats metric name of m, "<missing>" when m lacks it.
func MetricString(m policy.Metrics, name string) string {
	v, ok := m[name]
	if !ok {
		return "<missing>"
	}
	return v.String()
}

// CheckReplacedLog fails t unless problems is empty (want "") or holds
// exactly one entry saying that the log want was replaced.
func CheckReplacedLog(t testing.TB, problems []string, want string) {
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
