package testkit

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Registry kinds the tests start: Debian's docker-registry (distribution
// 2.8, no referrers API: the tag-schema fallback) and olareg (referrers API).
const (
	DockerRegistry = "docker"
	Olareg         = "olareg"
)

// Registry is a test registry listening on a loopback port, storing in Data.
type Registry struct {
	Kind string
	Addr string // 127.0.0.1:PORT
	Data string
	cmd  *exec.Cmd
}

// RegistryBinaries returns the paths of docker-registry and olareg that
// scripts/setup-registries.sh installs (COHOS_DOCKER_REGISTRY and
// COHOS_OLAREG override them). repoRoot is the repository's root.
func RegistryBinaries(repoRoot string) (docker, olareg string, err error) {
	docker, olareg = os.Getenv("COHOS_DOCKER_REGISTRY"), os.Getenv("COHOS_OLAREG")
	if docker == "" || olareg == "" {
		out, err := exec.Command(filepath.Join(repoRoot, "scripts", "setup-registries.sh"), "--print").Output()
		if err != nil {
			return "", "", fmt.Errorf("locate registries: %w", err)
		}
		f := strings.Fields(string(out))
		if len(f) != 2 {
			return "", "", fmt.Errorf("setup-registries.sh --print: %q", out)
		}
		docker, olareg = cmpOr(docker, f[0]), cmpOr(olareg, f[1])
	}
	for _, p := range []string{docker, olareg} {
		if _, err := os.Stat(p); err != nil {
			return "", "", fmt.Errorf("registry not installed at %s: run scripts/setup-registries.sh (or make test)", p)
		}
	}
	return docker, olareg, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// RepoRoot returns the repository root, from this source file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// StartRegistry starts a registry of kind with its storage in dir (created)
// on a free loopback port, with deletes enabled, and waits until it answers.
// Stop it with Stop.
func StartRegistry(kind, bin, dir string) (*Registry, error) {
	return startRegistry(kind, bin, dir, "")
}

// StartRegistryAuth starts a docker-registry that requires HTTP Basic
// authentication as user with password.
func StartRegistryAuth(bin, dir, user, password string) (*Registry, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return startRegistry(DockerRegistry, bin, dir, htpasswd)
}

func startRegistry(kind, bin, dir, htpasswd string) (*Registry, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	r := &Registry{Kind: kind, Addr: "127.0.0.1:" + strconv.Itoa(port), Data: dir}
	var cmd *exec.Cmd
	switch kind {
	case DockerRegistry:
		cfg := filepath.Join(dir, "config.yml")
		data := filepath.Join(dir, "storage")
		y := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", data, r.Addr)
		if htpasswd != "" {
			y += fmt.Sprintf("auth:\n  htpasswd:\n    realm: cohos-test\n    path: %s\n", htpasswd)
		}
		if err := os.WriteFile(cfg, []byte(y), 0o644); err != nil {
			return nil, err
		}
		r.Data = data
		cmd = exec.Command(bin, "serve", cfg)
	case Olareg:
		data := filepath.Join(dir, "storage")
		r.Data = data
		cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", data, "--api-delete", "--verbosity", "error")
	default:
		return nil, fmt.Errorf("unknown registry kind %q", kind)
	}
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	logf.Close()
	r.cmd = cmd
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + r.Addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			return r, nil
		}
		if time.Now().After(deadline) {
			r.Stop()
			log, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
			return nil, fmt.Errorf("%s did not answer on %s: %v\n%s", kind, r.Addr, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop kills the registry and waits for it.
func (r *Registry) Stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}

// BlobPath is where the registry stores the blob with hex digest hex of repo.
func (r *Registry) BlobPath(repo, hex string) string {
	if r.Kind == DockerRegistry {
		return filepath.Join(r.Data, "docker", "registry", "v2", "blobs", "sha256", hex[:2], hex, "data")
	}
	return filepath.Join(r.Data, filepath.FromSlash(repo), "blobs", "sha256", hex)
}

// DeleteManifest deletes a manifest by digest through the registry API.
func (r *Registry) DeleteManifest(repo, digest string) error {
	req, err := http.NewRequest(http.MethodDelete, "http://"+r.Addr+"/v2/"+repo+"/manifests/"+digest, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return errors.New("delete " + digest + ": " + resp.Status)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
