package cmd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// installVersion is the version the install test serves this commit as.
const installVersion = "v0.0.0-20261201000000-000000000000"

// goProxy serves this repository's HEAD as cohos.dev/cohos@installVersion
// from a file proxy, falling back to the module cache's own download
// directory for the dependencies (no network). It returns the GOPROXY value
// and the module's h1: checksum.
func goProxy(t *testing.T) (string, string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(goBin, "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	modcache := strings.TrimSpace(string(out))
	proxy := t.TempDir()
	dir := filepath.Join(proxy, "cohos.dev", "cohos", "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(dir, installVersion+".zip")
	f, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	archive := exec.Command("sh", "-c", `git -C "$1" archive --format=tar HEAD | tar -x -C "$2"`, "sh", root, src)
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("git archive HEAD: %v\n%s", err, out)
	}
	if err := modzip.CreateFromDir(f, module.Version{Path: "cohos.dev/cohos", Version: installVersion}, src); err != nil {
		t.Fatalf("module zip of HEAD: %v", err)
	}
	f.Close()
	gomod, err := exec.Command("git", "-C", root, "show", "HEAD:go.mod").Output()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"list":                   installVersion + "\n",
		installVersion + ".info": `{"Version":"` + installVersion + `","Time":"2026-12-01T00:00:00Z"}`,
		installVersion + ".mod":  string(gomod),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := dirhash.HashZip(zipPath, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	return "file://" + proxy + ",file://" + filepath.Join(modcache, "cache", "download"), sum
}

// TestCIExampleInstall runs the examples' install step for real, against a
// local module proxy serving this commit: with the right checksum cohos is
// built and runs; with another, the step fails before installing anything.
func TestCIExampleInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cohos from a module zip")
	}
	var wf ghWorkflow
	readYAML(t, "../examples/ci/github-actions.yml", &wf)
	var step string
	for _, s := range wf.Jobs["gate"].Steps {
		if s.Name == "Install cohos" {
			step = s.Run
		}
	}
	p := readGitLab(t, "../examples/ci/gitlab-ci.yml")
	var glStep string
	for _, l := range p.jobs[".cohos"].BeforeScript {
		if strings.Contains(l, `"$COHOS_SUM"`) {
			glStep = l
		}
	}
	if step == "" || glStep == "" {
		t.Fatal("no install step in the examples")
	}
	proxy, sum := goProxy(t)
	for _, tc := range []struct {
		name, script, sum string
		want              int
	}{
		{"github/right sum", step, sum, 0},
		{"github/wrong sum", step, "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", 1},
		{"gitlab/right sum", glStep, sum, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			gocache, err := exec.Command("go", "env", "GOCACHE").Output()
			if err != nil {
				t.Fatal(err)
			}
			env := []string{
				"HOME=" + home, "PATH=" + os.Getenv("PATH"), "GOTOOLCHAIN=local",
				"GOPROXY=" + proxy, "GOSUMDB=off", "GOFLAGS=-mod=mod",
				"GOMODCACHE=" + filepath.Join(home, "modcache"), "GOPATH=" + filepath.Join(home, "go"),
				"GOCACHE=" + strings.TrimSpace(string(gocache)),
				"COHOS_VERSION=" + installVersion, "COHOS_SUM=" + tc.sum,
			}
			code, log := runShell(t, home, env, tc.script)
			bin := filepath.Join(home, "go", "bin", "cohos")
			if code != tc.want {
				t.Fatalf("install exited %d, want %d:\n%s", code, tc.want, log)
			}
			if tc.want != 0 {
				if !strings.Contains(log, "has checksum '"+sum+"', want '"+tc.sum+"'") {
					t.Errorf("the refusal does not name both checksums:\n%s", log)
				}
				if _, err := os.Stat(bin); err == nil {
					t.Error("cohos was installed despite the wrong checksum")
				}
				exec.Command("chmod", "-R", "u+w", home).Run()
				return
			}
			out, err := exec.Command(bin, "--version").CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "cohos version ") {
				t.Fatalf("installed cohos: %v\n%s", err, out)
			}
			exec.Command("chmod", "-R", "u+w", home).Run() // the module cache is read-only
		})
	}
}
