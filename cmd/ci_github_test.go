package cmd

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

type ghStep struct {
	Name string            `yaml:"name"`
	ID   string            `yaml:"id"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	Env  map[string]string `yaml:"env"`
	With map[string]string `yaml:"with"`
}

type ghJob struct {
	Needs       string            `yaml:"needs"`
	Permissions map[string]string `yaml:"permissions"`
	Outputs     map[string]string `yaml:"outputs"`
	Steps       []ghStep          `yaml:"steps"`
}

type ghWorkflow struct {
	On   map[string]any    `yaml:"on"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]ghJob  `yaml:"jobs"`
}

// ghRun is one emulated workflow run.
type ghRun struct {
	t         *testing.T
	e         *ciEnv
	wf        ghWorkflow
	project   string
	artifacts string                       // uploaded artifacts, by name
	outputs   map[string]map[string]string // job → outputs
	codes     map[string]int               // job → exit code of its failed step (0: success)
	junit     map[string]string            // job → rendered report path
}

func (r *ghRun) ctx(job string, steps map[string]map[string]string) map[string]string {
	c := map[string]string{
		"secrets.COHOS_SIGNING_KEY": r.e.key,
		"secrets.COHOS_PASSWORD":    "",
		"secrets.GITHUB_TOKEN":      ciPassword,
		"vars.COHOS_PUBLIC_KEY":     r.e.pub,
		"vars.COHOS_POLICY":         ciPolicy,
		"vars.COHOS_EVIDENCE_REPO":  r.e.evidence,
		"github.actor":              ciUser,
	}
	for id, outs := range steps {
		for k, v := range outs {
			c["steps."+id+".outputs."+k] = v
		}
	}
	for j, outs := range r.outputs {
		for k, v := range outs {
			c["needs."+j+".outputs."+k] = v
		}
	}
	return c
}

// job runs one job's steps in a fresh runner.
func (r *ghRun) job(name string) {
	t := r.t
	job := r.wf.Jobs[name]
	work, tmp, home := r.e.jobDirs(t)
	steps := map[string]map[string]string{}
	failed := 0
	for i, s := range job.Steps {
		if failed != 0 && s.If != "always()" {
			continue
		}
		ctx := r.ctx(name, steps)
		switch {
		case s.Name == "Install cohos":
			// cohos comes from this build (see the file comment).
		case strings.HasPrefix(s.Uses, "actions/checkout@"):
			copyFile(t, filepath.Join(r.project, "Makefile"), filepath.Join(work, "Makefile"))
		case strings.HasPrefix(s.Uses, "actions/setup-go@"):
		case strings.HasPrefix(s.Uses, "actions/upload-artifact@"):
			copyFile(t, filepath.Join(work, s.With["path"]), filepath.Join(r.artifacts, s.With["name"], filepath.Base(s.With["path"])))
		case strings.HasPrefix(s.Uses, "actions/download-artifact@"):
			ents, err := os.ReadDir(filepath.Join(r.artifacts, s.With["name"]))
			if err != nil {
				t.Fatalf("%s: download %s: %v", name, s.With["name"], err)
			}
			for _, e := range ents {
				copyFile(t, filepath.Join(r.artifacts, s.With["name"], e.Name()), filepath.Join(work, e.Name()))
			}
		case strings.HasPrefix(s.Uses, "mikepenz/action-junit-report@"):
			r.junit[name] = filepath.Join(work, s.With["report_paths"])
		case s.Uses != "":
			t.Fatalf("%s step %d uses %s, which the emulation does not know", name, i, s.Uses)
		default:
			out := filepath.Join(tmp, "output-"+s.ID)
			env := r.e.baseEnv(home, tmp)
			for _, k := range slices.Sorted(maps.Keys(r.wf.Env)) {
				env = append(env, k+"="+expand(t, r.wf.Env[k], ctx))
			}
			for _, k := range slices.Sorted(maps.Keys(s.Env)) {
				env = append(env, k+"="+expand(t, s.Env[k], ctx))
			}
			env = append(env, "RUNNER_TEMP="+tmp, "GITHUB_OUTPUT="+out, "GITHUB_ACTOR="+ciUser,
				"GITHUB_STEP_SUMMARY="+filepath.Join(tmp, "summary.md"))
			if strings.Contains(s.Run, "${{") {
				t.Fatalf("%s step %q puts an expression into the script: pass it through env", name, s.Name)
			}
			code, log := runShell(t, work, env, s.Run)
			t.Logf("%s / %s: exit %d\n%s", name, s.Name, code, log)
			if code != 0 {
				failed = code
			}
			if s.ID != "" {
				steps[s.ID] = readOutputs(t, out)
			}
		}
	}
	outs := map[string]string{}
	for k, v := range job.Outputs {
		outs[k] = expand(t, v, r.ctx(name, steps))
	}
	r.outputs[name], r.codes[name] = outs, failed
}

func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// TestGitHubExample runs examples/ci/github-actions.yml: the producer, then
// both gates, for a passing, a refused and a tampered run.
func TestGitHubExample(t *testing.T) {
	var wf ghWorkflow
	readYAML(t, "../examples/ci/github-actions.yml", &wf)
	checkGitHubShape(t, wf)
	e := newCIEnv(t)
	for _, tc := range ciCases {
		t.Run(tc.name, func(t *testing.T) {
			r := &ghRun{t: t, e: e, wf: wf, project: ciProject(t, tc.fail), artifacts: t.TempDir(),
				outputs: map[string]map[string]string{}, codes: map[string]int{}, junit: map[string]string{}}
			r.job("produce")
			if r.codes["produce"] != 0 {
				t.Fatalf("the producer failed with %d", r.codes["produce"])
			}
			if !strings.HasPrefix(r.outputs["produce"]["run-ref"], e.evidence+"@sha256:") {
				t.Fatalf("run-ref output %q, want %s@sha256:...", r.outputs["produce"]["run-ref"], e.evidence)
			}
			if tc.tamper {
				e.tamperLayer(t, filepath.Join(r.artifacts, "cohos-evidence", "run.oci.tar"))
			}
			r.job("gate")
			r.job("gate-file")
			tc.checkGates(t, r.codes["gate"], r.codes["gate-file"], r.junit["gate"], r.junit["gate-file"])
		})
	}
}

// checkGitHubShape: what must hold of the workflow beyond running.
func checkGitHubShape(t *testing.T, wf ghWorkflow) {
	t.Helper()
	if _, ok := wf.On["pull_request_target"]; ok {
		t.Error("the workflow must not run on pull_request_target")
	}
	if v := wf.Env["COHOS_VERSION"]; !strings.HasPrefix(v, "v") || v == "latest" {
		t.Errorf("COHOS_VERSION %q is not a pinned version", v)
	}
	for name, job := range wf.Jobs {
		install := false
		for _, s := range job.Steps {
			if s.Name == "Install cohos" {
				install = strings.Contains(s.Run, `"$COHOS_SUM"`) && strings.Contains(s.Run, "@$COHOS_VERSION")
			}
			if strings.HasPrefix(s.Uses, "actions/") && !regexp40(s.Uses) {
				t.Errorf("%s: %s is not pinned to a commit", name, s.Uses)
			}
			if strings.HasPrefix(s.Uses, "actions/checkout@") && name != "produce" {
				t.Errorf("%s checks out the pull request: a gate reads nothing from it", name)
			}
			if strings.Contains(s.Run, "cohos verify ") {
				for _, flag := range []string{"--policy ", "--run-id ", "--key ", "--junit "} {
					if !strings.Contains(s.Run, flag) {
						t.Errorf("%s: the gate does not pin %s", name, strings.TrimSpace(flag))
					}
				}
			}
		}
		if !install {
			t.Errorf("%s does not install cohos at $COHOS_VERSION with a checksum check", name)
		}
	}
}

func regexp40(uses string) bool {
	_, ref, _ := strings.Cut(uses, "@")
	if len(ref) != 40 {
		return false
	}
	return strings.Trim(ref, "0123456789abcdef") == ""
}
