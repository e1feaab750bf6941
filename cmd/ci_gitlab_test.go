package cmd

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type glJob struct {
	Extends      string            `yaml:"extends"`
	Stage        string            `yaml:"stage"`
	Image        string            `yaml:"image"`
	Needs        []string          `yaml:"needs"`
	Variables    map[string]string `yaml:"variables"`
	BeforeScript []string          `yaml:"before_script"`
	Script       []string          `yaml:"script"`
	Artifacts    struct {
		When    string   `yaml:"when"`
		Paths   []string `yaml:"paths"`
		Reports struct {
			JUnit  string `yaml:"junit"`
			Dotenv string `yaml:"dotenv"`
		} `yaml:"reports"`
	} `yaml:"artifacts"`
}

type glPipeline struct {
	stages    []string
	variables map[string]string
	jobs      map[string]glJob
}

func readGitLab(t *testing.T, path string) glPipeline {
	t.Helper()
	var top map[string]yaml.Node
	readYAML(t, path, &top)
	p := glPipeline{variables: map[string]string{}, jobs: map[string]glJob{}}
	for name, node := range top {
		var err error
		switch name {
		case "stages":
			err = node.Decode(&p.stages)
		case "variables":
			err = node.Decode(&p.variables)
		default:
			var j glJob
			err = node.Decode(&j)
			p.jobs[name] = j
		}
		if err != nil {
			t.Fatalf("%s: %s: %v", path, name, err)
		}
	}
	for name, j := range p.jobs {
		if j.Extends != "" {
			base, ok := p.jobs[j.Extends]
			if !ok {
				t.Fatalf("%s extends unknown %s", name, j.Extends)
			}
			if j.Image == "" {
				j.Image = base.Image
			}
			if j.BeforeScript == nil {
				j.BeforeScript = base.BeforeScript
			}
			p.jobs[name] = j
		}
	}
	return p
}

// glRun is one emulated pipeline.
type glRun struct {
	t         *testing.T
	e         *ciEnv
	p         glPipeline
	project   string
	artifacts map[string]string            // job → directory of its artifacts
	dotenv    map[string]map[string]string // job → dotenv variables
	codes     map[string]int
	junit     map[string]string
}

func (r *glRun) job(name string) {
	t := r.t
	j := r.p.jobs[name]
	work, tmp, home := r.e.jobDirs(t)
	if j.Variables["GIT_STRATEGY"] != "none" {
		copyFile(t, filepath.Join(r.project, "Makefile"), filepath.Join(work, "Makefile"))
	}
	keyFile := filepath.Join(tmp, "COHOS_SIGNING_KEY")
	if err := os.WriteFile(keyFile, []byte(r.e.key), 0o600); err != nil {
		t.Fatal(err)
	}
	host, _, _ := strings.Cut(r.e.evidence, "/")
	vars := map[string]string{
		"CI_PROJECT_DIR":       work,
		"CI_REGISTRY":          host,
		"CI_REGISTRY_IMAGE":    host + "/team/project",
		"CI_REGISTRY_USER":     ciUser,
		"CI_REGISTRY_PASSWORD": ciPassword,
		"COHOS_SIGNING_KEY":    keyFile, // a File variable is a path
		"COHOS_PASSWORD":       "",
		"COHOS_PUBLIC_KEY":     r.e.pub,
		"COHOS_POLICY":         ciPolicy,
	}
	for _, need := range j.Needs {
		if dir := r.artifacts[need]; dir != "" {
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				copyFile(t, filepath.Join(dir, e.Name()), filepath.Join(work, e.Name()))
			}
		}
		maps.Copy(vars, r.dotenv[need])
	}
	for _, src := range []map[string]string{r.p.variables, j.Variables} {
		for _, k := range slices.Sorted(maps.Keys(src)) {
			vars[k] = os.Expand(src[k], func(v string) string { return vars[v] })
		}
	}
	env := r.e.baseEnv(home, tmp)
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		env = append(env, k+"="+vars[k])
	}
	var lines []string
	for _, l := range j.BeforeScript {
		if !strings.Contains(l, `"$COHOS_SUM"`) { // the install (see the file comment in ci_examples_test.go)
			lines = append(lines, l)
		}
	}
	script := strings.Join(append(lines, j.Script...), "\n")
	code, log := runShell(t, work, env, script)
	t.Logf("%s: exit %d\n%s", name, code, log)
	r.codes[name] = code
	if code == 0 || j.Artifacts.When == "always" {
		dir := t.TempDir()
		for _, p := range j.Artifacts.Paths {
			copyFile(t, filepath.Join(work, p), filepath.Join(dir, p))
		}
		r.artifacts[name] = dir
		if f := j.Artifacts.Reports.Dotenv; f != "" {
			r.dotenv[name] = readOutputs(t, filepath.Join(work, f))
		}
		if f := j.Artifacts.Reports.JUnit; f != "" {
			r.junit[name] = filepath.Join(work, f)
		}
	}
}

// TestGitLabExample runs examples/ci/gitlab-ci.yml: the producer, then both
// gates, for a passing, a refused and a tampered run.
func TestGitLabExample(t *testing.T) {
	p := readGitLab(t, "../examples/ci/gitlab-ci.yml")
	checkGitLabShape(t, p)
	e := newCIEnv(t)
	for _, tc := range ciCases {
		t.Run(tc.name, func(t *testing.T) {
			r := &glRun{t: t, e: e, p: p, project: ciProject(t, tc.fail), artifacts: map[string]string{},
				dotenv: map[string]map[string]string{}, codes: map[string]int{}, junit: map[string]string{}}
			r.job("cohos-run")
			if r.codes["cohos-run"] != 0 {
				t.Fatalf("the producer failed with %d", r.codes["cohos-run"])
			}
			if ref := r.dotenv["cohos-run"]["RUN_REF"]; !strings.HasPrefix(ref, e.evidence+"@sha256:") {
				t.Fatalf("RUN_REF %q, want %s@sha256:...", ref, e.evidence)
			}
			if tc.tamper {
				e.tamperLayer(t, filepath.Join(r.artifacts["cohos-run"], "run.oci.tar"))
			}
			r.job("cohos-gate")
			r.job("cohos-gate-file")
			tc.checkGates(t, r.codes["cohos-gate"], r.codes["cohos-gate-file"], r.junit["cohos-gate"], r.junit["cohos-gate-file"])
		})
	}
}

func checkGitLabShape(t *testing.T, p glPipeline) {
	t.Helper()
	if v := p.variables["COHOS_VERSION"]; !strings.HasPrefix(v, "v") {
		t.Errorf("COHOS_VERSION %q is not a pinned version", v)
	}
	for _, name := range []string{"cohos-run", "cohos-gate", "cohos-gate-file"} {
		j, ok := p.jobs[name]
		if !ok {
			t.Fatalf("no job %s", name)
		}
		install := strings.Join(j.BeforeScript, "\n")
		if !strings.Contains(install, `"$COHOS_SUM"`) || !strings.Contains(install, "@$COHOS_VERSION") {
			t.Errorf("%s does not install cohos at $COHOS_VERSION with a checksum check", name)
		}
		if name == "cohos-run" {
			continue
		}
		if j.Variables["GIT_STRATEGY"] != "none" {
			t.Errorf("%s checks out the merge request: a gate reads nothing from it", name)
		}
		if j.Artifacts.When != "always" || j.Artifacts.Reports.JUnit == "" {
			t.Errorf("%s does not always publish its JUnit report", name)
		}
		verify := strings.Join(j.Script, "\n")
		for _, flag := range []string{"--policy ", "--run-id ", "--key ", "--junit " + j.Artifacts.Reports.JUnit} {
			if !strings.Contains(verify, flag) {
				t.Errorf("%s: the gate does not pin %s", name, strings.TrimSpace(flag))
			}
		}
	}
}
