package cmd

import (
	"context"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"cohos.dev/cohos/internal/ocipack"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/keys"
)

// The CI examples are run here as their CI systems would run them: every
// shell step of the producer and gate jobs, in order, with a fresh
// workspace per job, against a real registry (docker-registry with HTTP
// Basic auth, so the docker config file the examples write is what
// authenticates), handing over only what the example hands over (the
// registry, artifacts, job outputs). Steps that are actions are emulated:
// checkout copies the project, the artifact actions copy files, the JUnit
// report action parses the report as the CI system would render it. The
// install step is skipped here (TestCIExampleInstall runs it against a local
// module proxy) and cohos comes from this build; push, verify and pull get
// --plain-http.

const ciUser, ciPassword = "ci-bot", "s3cret-token"

// ciProject is the project the producer checks out; `make test` is the
// governed job. It leaves a hidden file among the artifacts, which an
// artifact upload would drop: the evidence must still verify.
func ciProject(t *testing.T, fail bool) string {
	t.Helper()
	dir := t.TempDir()
	body := "test:\n\tmkdir -p \"$$COHOS_ARTIFACTS/.trace\"\n\techo traced > \"$$COHOS_ARTIFACTS/.trace/log\"\n\techo ok\n"
	if fail {
		body += "\texit 1\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const ciPolicy = "apiVersion: cohos/v1\nkind: Policy\nname: ci\nrules:\n  - {metric: completed, require: true}\n"

// ciEnv is what every job has: a PATH with cohos (from this test binary,
// with --plain-http added for registry commands) and a home of its own.
type ciEnv struct {
	bin      string
	key      string // private key PEM
	pub      string // public key PEM
	reg      *testkit.Registry
	evidence string // HOST/OWNER/REPO
}

func newCIEnv(t *testing.T) *ciEnv {
	t.Helper()
	real, err := exec.LookPath("cohos")
	if err != nil {
		t.Fatalf("cohos (this test binary) not on PATH: %v", err)
	}
	docker, _, err := testkit.RegistryBinaries(testkit.RepoRoot())
	if err != nil {
		t.Fatal(err)
	}
	reg, err := testkit.StartRegistryAuth(docker, t.TempDir(), ciUser, ciPassword)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Stop)
	bin := t.TempDir()
	wrapper := "#!/bin/sh\ncase \"$1\" in push|verify|pull) exec '" + real + "' \"$@\" --plain-http ;; esac\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "cohos"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	keyDir := t.TempDir()
	sh := exec.Command(real, "keys", "generate", "--out", filepath.Join(keyDir, "k"))
	sh.Env = append(os.Environ(), "COHOS_PASSWORD=")
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("keys generate: %v\n%s", err, out)
	}
	key, _ := os.ReadFile(filepath.Join(keyDir, "k.pem"))
	pub, _ := os.ReadFile(filepath.Join(keyDir, "k.pub"))
	if _, err := keys.ParsePublic(pub); err != nil {
		t.Fatal(err)
	}
	return &ciEnv{bin: bin, key: string(key), pub: string(pub), reg: reg, evidence: reg.Addr + "/team/project/cohos-evidence"}
}

// jobDirs makes a fresh runner for one job: workspace, temp and home.
func (e *ciEnv) jobDirs(t *testing.T) (work, tmp, home string) {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"work", "tmp", "home"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(root, "work"), filepath.Join(root, "tmp"), filepath.Join(root, "home")
}

// baseEnv is the process environment of a job, without the host's CI and
// docker settings.
func (e *ciEnv) baseEnv(home, tmp string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "CI_") || k == "DOCKER_CONFIG" || k == "HOME" || k == "PATH" || k == "TMPDIR" || k == "COHOS_PASSWORD" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home, "TMPDIR="+tmp, "PATH="+e.bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// runShell runs a job's script with bash -eo pipefail (as both CI systems
// do) and returns its exit code and output.
func runShell(t *testing.T, dir string, env []string, script string) (int, string) {
	t.Helper()
	sh := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	sh.Dir, sh.Env = dir, env
	out, err := sh.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// junitResult parses a JUnit report as the CI system's renderer would.
func junitResult(t *testing.T, path string) (tests, failures int, failed []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no JUnit report to render: %v", err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s does not parse: %v", path, err)
	}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil {
				failed = append(failed, c.Name)
			}
		}
	}
	sort.Strings(failed)
	return doc.Tests, doc.Failures, failed
}

var ghExpr = regexp.MustCompile(`\$\{\{\s*([^}]+?)\s*\}\}`)

// expand replaces ${{ expr }} from ctx; an expression the emulation does not
// know fails the test, so the examples use only what is checked here.
func expand(t *testing.T, s string, ctx map[string]string) string {
	t.Helper()
	return ghExpr.ReplaceAllStringFunc(s, func(m string) string {
		k := ghExpr.FindStringSubmatch(m)[1]
		v, ok := ctx[k]
		if !ok {
			t.Fatalf("the example uses ${{ %s }}, which the emulation does not provide", k)
		}
		return v
	})
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

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ciCase is one pipeline: the governed job passes or fails, and the
// evidence may be tampered with in the registry between the jobs.
type ciCase struct {
	name       string
	fail       bool
	tamper     bool
	gate       int      // the registry gate's exit code
	gateFile   int      // the file gate's exit code
	junitFails []string // failed checks the rendered report shows (registry gate)
}

var ciCases = []ciCase{
	{name: "ALLOW passes", gate: 0, gateFile: 0},
	{name: "REFUSE fails", fail: true, gate: 1, gateFile: 1, junitFails: []string{"decision.admissible"}},
	{name: "tampered in the registry fails", tamper: true, gate: 1, gateFile: 0, junitFails: []string{"artifacts.digest", "oci.layer"}},
}

// tamperLayer changes one byte of the run layer in the registry's storage
// (the hidden file the governed job wrote); archive is the producer's pack
// of the same run, which names the layer.
func (e *ciEnv) tamperLayer(t *testing.T, archive string) {
	t.Helper()
	run, err := ocipack.OpenFile(context.Background(), archive)
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	p := e.reg.BlobPath("", run.Layer.Digest.Encoded())
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b), "traced\n")
	if i < 0 {
		t.Fatalf("the layer %s has no hidden trace file", p)
	}
	b[i] = 'T'
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// checkGates checks what the two gate jobs of a pipeline ended with: their
// exit codes and the JUnit reports the CI system renders.
func (tc ciCase) checkGates(t *testing.T, gate, gateFile int, junitGate, junitFile string) {
	t.Helper()
	if gate != tc.gate || gateFile != tc.gateFile {
		t.Fatalf("gate exited %d, gate-file %d; want %d, %d", gate, gateFile, tc.gate, tc.gateFile)
	}
	tests, failures, failed := junitResult(t, junitGate)
	if tests == 0 || failures != len(tc.junitFails) || !slices.Equal(failed, tc.junitFails) {
		t.Fatalf("rendered report: %d tests, %d failures %v; want failures %v", tests, failures, failed, tc.junitFails)
	}
	if tests, failures, _ := junitResult(t, junitFile); tests == 0 || (failures == 0) != (tc.gateFile == 0) {
		t.Fatalf("file gate report: %d tests, %d failures; gate exit %d", tests, failures, tc.gateFile)
	}
}
