package massgen

import (
	"cohos.dev/cohos/internal/testkit"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestFindExecutable(t *testing.T) {
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
		s    Search
		want string // "" for ErrNotFound
	}{
		{"flag first", Search{Bin: explicit, EnvBin: fromEnv, WorkDir: work, Executable: cohos, Path: path}, explicit},
		{"then COHOS_MASSGEN", Search{EnvBin: fromEnv, WorkDir: work, Executable: cohos, Path: path}, fromEnv},
		{"then the virtualenv in the working directory", Search{WorkDir: work, Executable: cohos, Path: path}, inWork},
		{"then the virtualenv beside the executable", Search{WorkDir: empty, Executable: cohos, Path: path}, inRepo},
		{"then PATH, skipping relative and non-executable entries", Search{WorkDir: empty, Executable: filepath.Join(empty, "bin", "cohos"), Path: path}, onPath},
		{"nowhere", Search{WorkDir: empty, Path: filepath.Join(dir, "path1")}, ""},
		{"a missing flag path is not skipped", Search{Bin: filepath.Join(dir, "nope"), EnvBin: fromEnv}, ""},
		{"a non-executable COHOS_MASSGEN is not skipped", Search{EnvBin: notExec, WorkDir: work}, ""},
		{"a directory is not massgen", Search{Bin: dir}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FindExecutable(tt.s)
			if tt.want == "" {
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("FindExecutable = %q, %v; want ErrNotFound", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("FindExecutable = %q, %v; want %q", got, err, tt.want)
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
			env := jobEnv(tt.base, "/run", "id", tt.modelURL)
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
		{"link.txt", errLinkRefused},
		{"out.txt", errLinkRefused},
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
			if err != nil || n != 6 || testkit.FileString(t, filepath.Join(dir, dst)) != "answer" {
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
