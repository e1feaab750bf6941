package runner

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestInspectMassGenConfig(t *testing.T) {
	t.Parallel()
	const three = `agents:
  - id: agent_a
    backend: {type: vllm, model: m1, base_url: "http://127.0.0.1:1234/v1"}
  - id: agent_b
    backend: {type: vllm, model: m2, base_url: "http://127.0.0.1:1234/v1"}
  - id: agent_c
    backend: {type: openai, model: m1}
orchestrator: {anything: [goes, here]}
`
	tests := []struct {
		name, in string
		want     *MassGenConfigInfo // nil: want ErrMassGenConfig
	}{
		{"three agents", three, &MassGenConfigInfo{Agents: []string{"agent_a", "agent_b", "agent_c"}, Models: []string{"m1", "m2"}, BaseURLs: []string{"http://127.0.0.1:1234/v1"}}},
		{"single agent", "agent:\n  backend: {type: vllm, model: m}\n", &MassGenConfigInfo{Agents: []string{""}, Models: []string{"m"}}},
		{"json", `{"agents": [{"id": "a", "backend": {"type": "vllm"}}]}`, &MassGenConfigInfo{Agents: []string{"a"}}},
		{"empty", "", nil},
		{"comment only", "# nothing\n", nil},
		{"not a mapping", "- a\n- b\n", nil},
		{"scalar", "hello\n", nil},
		{"no agents", "orchestrator: {}\n", nil},
		{"empty agents", "agents: []\n", nil},
		{"agents not a list", "agents: {a: 1}\n", nil},
		{"both agent and agents", "agent: {backend: {type: x}}\nagents: [{backend: {type: x}}]\n", nil},
		{"agent not a mapping", "agents: [x]\n", nil},
		{"no backend", "agents: [{id: a}]\n", nil},
		{"backend without type", "agents: [{id: a, backend: {model: m}}]\n", nil},
		{"type not a string", "agents: [{id: a, backend: {type: 3}}]\n", nil},
		{"model not a string", "agents: [{id: a, backend: {type: x, model: [m]}}]\n", nil},
		{"id twice", "agents: [{id: a, backend: {type: x}}, {id: a, backend: {type: x}}]\n", nil},
		{"duplicate key", "agents: [{id: a, backend: {type: x}}]\nagents: []\n", nil},
		{"two documents", "agents: [{id: a, backend: {type: x}}]\n---\nx: 1\n", nil},
		{"syntax error", "agents: [\n", nil},
		{"too large", "agents: [{id: a, backend: {type: x}}]\n#" + strings.Repeat("x", MaxMassGenConfigSize), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := InspectMassGenConfig([]byte(tt.in))
			if tt.want == nil {
				if !errors.Is(err, ErrMassGenConfig) || got != nil {
					t.Fatalf("InspectMassGenConfig = %+v, %v; want ErrMassGenConfig", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("InspectMassGenConfig: %v", err)
			}
			if !slices.Equal(got.Agents, tt.want.Agents) || !slices.Equal(got.Models, tt.want.Models) || !slices.Equal(got.BaseURLs, tt.want.BaseURLs) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestFindMassGen(t *testing.T) {
	t.Parallel()
	exe := func(path string) string {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return path
	}
	dir := t.TempDir()
	explicit := exe(filepath.Join(dir, "explicit", "massgen"))
	fromEnv := exe(filepath.Join(dir, "env", "massgen"))
	work := filepath.Join(dir, "work")
	inWork := exe(filepath.Join(work, ".venv", "bin", "massgen"))
	repo := filepath.Join(dir, "repo")
	inRepo := exe(filepath.Join(repo, ".venv", "bin", "massgen"))
	cohos := filepath.Join(repo, "bin", "cohos")
	onPath := exe(filepath.Join(dir, "path2", "massgen"))
	notExec := filepath.Join(dir, "noexec", "massgen")
	exe(notExec)
	if err := os.Chmod(notExec, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	path := strings.Join([]string{filepath.Join(dir, "path1"), "relative", filepath.Join(dir, "noexec"), filepath.Dir(onPath)}, string(filepath.ListSeparator))

	tests := []struct {
		name string
		s    MassGenSearch
		want string // "" for ErrMassGenNotFound
	}{
		{"flag first", MassGenSearch{Bin: explicit, EnvBin: fromEnv, WorkDir: work, Executable: cohos, Path: path}, explicit},
		{"then COHOS_MASSGEN", MassGenSearch{EnvBin: fromEnv, WorkDir: work, Executable: cohos, Path: path}, fromEnv},
		{"then the virtualenv in the working directory", MassGenSearch{WorkDir: work, Executable: cohos, Path: path}, inWork},
		{"then the virtualenv beside the executable", MassGenSearch{WorkDir: empty, Executable: cohos, Path: path}, inRepo},
		{"then PATH, skipping relative and non-executable entries", MassGenSearch{WorkDir: empty, Executable: filepath.Join(empty, "bin", "cohos"), Path: path}, onPath},
		{"nowhere", MassGenSearch{WorkDir: empty, Path: filepath.Join(dir, "path1")}, ""},
		{"a missing flag path is not skipped", MassGenSearch{Bin: filepath.Join(dir, "nope"), EnvBin: fromEnv}, ""},
		{"a non-executable COHOS_MASSGEN is not skipped", MassGenSearch{EnvBin: notExec, WorkDir: work}, ""},
		{"a directory is not massgen", MassGenSearch{Bin: dir}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FindMassGen(tt.s)
			if tt.want == "" {
				if !errors.Is(err, ErrMassGenNotFound) {
					t.Fatalf("FindMassGen = %q, %v; want ErrMassGenNotFound", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("FindMassGen = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestInstalledVersion(t *testing.T) {
	t.Parallel()
	prefix := t.TempDir()
	bin := filepath.Join(prefix, "bin", "massgen")
	for _, d := range []string{filepath.Dir(bin), filepath.Join(prefix, "lib", "python3.11", "site-packages", "massgen-0.1.91.dist-info")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if got := installedVersion(bin); got != "0.1.91" {
		t.Errorf("installedVersion = %q, want 0.1.91", got)
	}
	if got := installedVersion(filepath.Join(t.TempDir(), "bin", "massgen")); got != "" {
		t.Errorf("installedVersion without an install = %q, want empty", got)
	}
}

func TestMassGenEnv(t *testing.T) {
	t.Parallel()
	get := func(env []string, name string) (string, int) {
		v, n := "", 0
		for _, kv := range env {
			if k, val, _ := strings.Cut(kv, "="); k == name {
				v, n = val, n+1
			}
		}
		return v, n
	}
	tests := []struct {
		name     string
		base     []string
		modelURL string
		want     map[string]string // "" = absent
	}{
		{"http model, no key", []string{"HOME=/h", "NO_PROXY=corp.example"}, "http://127.0.0.1:1234/v1", map[string]string{
			"HOME": "/run/.massgen/home", "MASSGEN_LOG_BASE_DIR": "/run/.massgen/massgen_logs", "PYTHONUSERBASE": "/h/.local",
			"VLLM_API_KEY": "EMPTY", "HTTPS_PROXY": deadProxy, "https_proxy": deadProxy,
			"NO_PROXY": "corp.example,127.0.0.1", "no_proxy": "127.0.0.1", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
			"PYTHONUNBUFFERED": "1", "COHOS_RUN_ID": "id",
		}},
		{"host already exempt, key and user base kept", []string{"HOME=/h", "NO_PROXY=localhost", "VLLM_API_KEY=k", "PYTHONUSERBASE=/u"}, "http://localhost:8000/v1", map[string]string{
			"NO_PROXY": "localhost", "VLLM_API_KEY": "k", "PYTHONUSERBASE": "/u",
		}},
		{"https model: proxies untouched", []string{"HTTPS_PROXY=http://proxy:3128"}, "https://models.example/v1", map[string]string{
			"HTTPS_PROXY": "http://proxy:3128", "https_proxy": "", "NO_PROXY": "", "PYTHONUSERBASE": "",
		}},
		{"unknown model URL", nil, "", map[string]string{"HTTPS_PROXY": "", "VLLM_API_KEY": "EMPTY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := massgenEnv(tt.base, "/run", "id", tt.modelURL)
			for k, want := range tt.want {
				got, n := get(env, k)
				if got != want || (want == "" && n != 0) || n > 1 {
					t.Errorf("%s = %q (%d entries), want %q", k, got, n, want)
				}
			}
		})
	}
}

func TestCopyInRootRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret")
	for _, f := range []struct{ name, data string }{{"ok.txt", "answer"}, {"artifacts/.keep", ""}} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f.name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(outside, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"link.txt": "ok.txt", "out.txt": outside, "dirlink": filepath.Dir(outside)} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	tests := []struct {
		src     string
		wantErr error // nil: copied
	}{
		{"ok.txt", nil},
		{"link.txt", errSymlink},
		{"out.txt", errSymlink},
		{"dirlink/secret", nil}, // any error: leaving the root is refused by os.Root
		{"fifo", errNotRegularFile},
		{"artifacts", errNotRegularFile},
		{"missing", os.ErrNotExist},
	}
	for i, tt := range tests {
		dst := "artifacts/copy" + itoa(i)
		n, err := copyInRoot(root, tt.src, dst)
		switch {
		case tt.src == "dirlink/secret":
			if err == nil {
				t.Errorf("%s: copied %d bytes from outside the root", tt.src, n)
			}
		case tt.wantErr == nil:
			if err != nil || n != 6 || fileString(t, filepath.Join(dir, dst)) != "answer" {
				t.Errorf("%s: copyInRoot = %d, %v", tt.src, n, err)
			}
		case !errors.Is(err, tt.wantErr):
			t.Errorf("%s: copyInRoot error = %v, want %v", tt.src, err, tt.wantErr)
		}
		if tt.wantErr != nil || tt.src == "dirlink/secret" {
			if _, err := os.Lstat(filepath.Join(dir, dst)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: destination left behind: %v", tt.src, err)
			}
		}
	}
	if _, err := copyInRoot(root, "ok.txt", "artifacts/copy0"); err == nil {
		t.Error("copyInRoot overwrote an existing file")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "artifacts"))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}
