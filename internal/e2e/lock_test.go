package e2e

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"cohos.dev/cohos/internal/massgen"
)

// lockLine is one "name==version" requirement of a pip-compile/uv lock.
var lockLine = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)`)

// locked reads scripts/lock/massgen.lock as normalised "name==version".
func locked(t *testing.T) map[string]bool {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(root, "scripts", "lock", "massgen.lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	hashes := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := lockLine.FindStringSubmatch(sc.Text()); m != nil {
			out[massgen.NormalizeName(m[1])+"=="+m[2]] = true
		}
		if strings.Contains(sc.Text(), "--hash=sha256:") {
			hashes++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !out["massgen==0.1.91"] || hashes < len(out) {
		t.Fatalf("the lock pins massgen==0.1.91: %v; %d hashes for %d packages", out["massgen==0.1.91"], hashes, len(out))
	}
	return out
}

// pipList runs the virtualenv's pip with args and returns its
// "name==version" lines, names normalised.
func pipList(t *testing.T, w world, args ...string) []string {
	t.Helper()
	py := filepath.Join(filepath.Dir(w.massgen), "python")
	out, err := exec.Command(py, append([]string{"-m", "pip", "--disable-pip-version-check"}, args...)...).Output()
	if err != nil {
		t.Fatalf("pip %s: %v", strings.Join(args, " "), err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, version, ok := strings.Cut(l, "==")
		if !ok {
			t.Fatalf("pip %s: unexpected line %q", strings.Join(args, " "), l)
		}
		lines = append(lines, massgen.NormalizeName(name)+"=="+version)
	}
	return lines
}

// TestVirtualenvEqualsLock: every `pip freeze` line of .venv is in the lock
// (scripts/setup-massgen.sh installed nothing unpinned).
func TestVirtualenvEqualsLock(t *testing.T) {
	w := needMassGen(t)
	lock := locked(t)
	freeze := pipList(t, w, "freeze")
	if len(freeze) < 100 {
		t.Fatalf("pip freeze lists %d packages, want MassGen's whole tree", len(freeze))
	}
	for _, l := range freeze {
		if !lock[l] {
			t.Errorf("installed %s is not in scripts/lock/massgen.lock", l)
		}
	}
}

// TestDistributionsMatchPip: the distribution set cohos attests is the one
// pip reports, and its digest is reproducible from `pip list`.
func TestDistributionsMatchPip(t *testing.T) {
	w := needMassGen(t)
	d, err := massgen.Distributions(w.massgen)
	if err != nil {
		t.Fatal(err)
	}
	lines := pipList(t, w, "list", "--format=freeze")
	slices.Sort(lines)
	want := strings.Join(lines, "\n") + "\n"
	if d.List != want {
		t.Errorf("Distributions listed\n%s\npip lists\n%s", d.List, want)
	}
	sum := sha256.Sum256([]byte(want))
	if d.SHA256 != hex.EncodeToString(sum[:]) || d.Count != len(lines) || d.MassGen != "0.1.91" {
		t.Errorf("Distributions = count %d sha256 %s massgen %s; want %d, %x, 0.1.91", d.Count, d.SHA256, d.MassGen, len(lines), sum)
	}
}
