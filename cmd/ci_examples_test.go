package cmd

import (
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
)

// ciExample is what a CI example file says about the gate.
type ciExample struct {
	line   string // the `cohos verify` command
	bundle string // the BUNDLE variable
	junit  string // the JUnit file the CI system publishes
}

// githubExample reads the workflow's gate job.
func githubExample(t *testing.T, path string) ciExample {
	t.Helper()
	var wf struct {
		Jobs map[string]struct {
			Env   map[string]string `yaml:"env"`
			Steps []struct {
				Run  string            `yaml:"run"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	readYAML(t, path, &wf)
	var ex ciExample
	for _, job := range wf.Jobs {
		for _, s := range job.Steps {
			if strings.HasPrefix(s.Run, "cohos verify ") {
				ex.line, ex.bundle = s.Run, job.Env["BUNDLE"]
			}
			if strings.HasSuffix(s.With["path"], ".xml") {
				ex.junit = s.With["path"]
			}
		}
	}
	return ex
}

// gitlabExample reads the GitLab jobs (every top-level key but stages).
func gitlabExample(t *testing.T, path string) ciExample {
	t.Helper()
	var top map[string]yaml.Node
	readYAML(t, path, &top)
	var ex ciExample
	for name, node := range top {
		if name == "stages" {
			continue
		}
		var job struct {
			Stage     string            `yaml:"stage"`
			Image     string            `yaml:"image"`
			Variables map[string]string `yaml:"variables"`
			Script    []string          `yaml:"script"`
			Artifacts struct {
				When    string `yaml:"when"`
				Reports struct {
					JUnit string `yaml:"junit"`
				} `yaml:"reports"`
			} `yaml:"artifacts"`
		}
		if err := node.Decode(&job); err != nil {
			t.Fatalf("%s: job %s: %v", path, name, err)
		}
		for _, line := range job.Script {
			if strings.HasPrefix(line, "cohos verify ") {
				ex.line, ex.bundle, ex.junit = line, job.Variables["BUNDLE"], job.Artifacts.Reports.JUnit
			}
		}
	}
	return ex
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestCIExamples runs the exact `cohos verify` line of each CI example in
// a shell, as the CI system would, against real signed bundles: ALLOW
// passes the gate, anything else fails it, and the JUnit file the example
// publishes is written and parses.
func TestCIExamples(t *testing.T) {
	examples := map[string]ciExample{
		"github-actions.yml": githubExample(t, "../examples/ci/github-actions.yml"),
		"gitlab-ci.yml":      gitlabExample(t, "../examples/ci/gitlab-ci.yml"),
	}
	signer, pub := testkit.Key(t, keys.Ed25519)
	pem, err := keys.EncodePublic(pub)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		decision policy.Decision
		tamper   bool
		want     int
	}{
		{"ALLOW passes", policy.Allow, false, 0},
		{"tampered fails", policy.Allow, true, 1},
		{"REFUSE fails", policy.Refuse, false, 1},
		{"MARGINAL fails", policy.Marginal, false, 3},
	}
	for file, ex := range examples {
		if ex.line == "" || ex.bundle == "" || ex.junit == "" {
			t.Fatalf("%s: gate line %q, BUNDLE %q, JUnit %q: want all three", file, ex.line, ex.bundle, ex.junit)
		}
		if !strings.Contains(ex.line, "--junit "+ex.junit) {
			t.Errorf("%s: the gate writes a JUnit file other than the published %s", file, ex.junit)
		}
		for _, tc := range cases {
			t.Run(file+"/"+tc.name, func(t *testing.T) {
				work := t.TempDir()
				run := testkit.RunDir(t)
				evidence := filepath.Join(work, filepath.Dir(ex.bundle))
				if err := os.Rename(run, evidence); err != nil {
					t.Fatal(err)
				}
				testkit.Attest(t, evidence, tc.decision, signer)
				if tc.tamper {
					if err := os.WriteFile(filepath.Join(evidence, "artifacts", "answer.txt"), []byte("5\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.MkdirAll(filepath.Join(work, "ci"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(work, "ci", "cohos.pub"), pem, 0o644); err != nil {
					t.Fatal(err)
				}
				sh := exec.Command("sh", "-c", ex.line)
				sh.Dir = work
				sh.Env = append(os.Environ(), "BUNDLE="+ex.bundle, "GITHUB_STEP_SUMMARY="+filepath.Join(work, "summary.md"))
				out, err := sh.CombinedOutput()
				code := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				if code != tc.want {
					t.Fatalf("%s exited %d, want %d:\n%s", ex.line, code, tc.want, out)
				}
				checkJUnit(t, filepath.Join(work, ex.junit), tc.want != 0)
				if _, err := os.Stat(filepath.Join(work, "summary.md")); err != nil {
					t.Errorf("no step summary: %v", err)
				}
			})
		}
	}
}

// checkJUnit parses a JUnit file and checks it has failures exactly when
// the gate failed.
func checkJUnit(t *testing.T, path string, failed bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s does not parse: %v", path, err)
	}
	if len(doc.Suites) != 1 || doc.Tests == 0 || (doc.Failures > 0) != failed {
		t.Errorf("%s: %d suites, %d tests, %d failures; want 1 suite, failures %v", path, len(doc.Suites), doc.Tests, doc.Failures, failed)
	}
}
