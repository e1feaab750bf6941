package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Cosign returns the pinned cosign that scripts/setup-cosign.sh installs
// ($COHOS_COSIGN, else what the script prints). A missing cosign fails the
// test: interop with it is part of the contract, and make test installs it.
func Cosign(t testing.TB) string {
	t.Helper()
	p := os.Getenv("COHOS_COSIGN")
	if p == "" {
		out, err := exec.Command(filepath.Join(RepoRoot(), "scripts", "setup-cosign.sh"), "--print").Output()
		if err != nil {
			t.Fatalf("locate cosign: %v", err)
		}
		p = strings.TrimSpace(string(out))
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("cosign not installed at %s: run scripts/setup-cosign.sh (or make test)", p)
	}
	return p
}
