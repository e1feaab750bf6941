package massgen

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fakeVenv makes VENV/pyvenv.cfg, VENV/bin/massgen and one dist-info
// directory per entry in site-packages, and returns VENV/bin/massgen.
func fakeVenv(t *testing.T, entries ...string) string {
	t.Helper()
	venv := t.TempDir()
	site := filepath.Join(venv, "lib", "python3.11", "site-packages")
	for _, dir := range []string{filepath.Join(venv, "bin"), site} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(venv, "pyvenv.cfg"), filepath.Join(venv, "bin", "massgen")} {
		if err := os.WriteFile(f, []byte("x\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range entries {
		if err := os.Mkdir(filepath.Join(site, e), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(venv, "bin", "massgen")
}

func TestDistributions(t *testing.T) {
	bin := fakeVenv(t,
		"massgen-0.1.91.dist-info", "PyYAML-6.0.2.dist-info", "typing_extensions-4.15.0.dist-info",
		"zope.interface-7.2.dist-info", "massgen", "yaml", "__pycache__", "broken.dist-info",
		"noversion-.dist-info", "bad-v1.dist-info", "mcp-1.27.1.egg-info")
	// A file with a dist-info name is not a distribution.
	if err := os.WriteFile(filepath.Join(filepath.Dir(filepath.Dir(bin)), "lib", "python3.11", "site-packages", "fake-1.0.dist-info"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Distributions(bin)
	if err != nil {
		t.Fatal(err)
	}
	want := "massgen==0.1.91\npyyaml==6.0.2\ntyping-extensions==4.15.0\nzope-interface==7.2\n"
	if d.List != want {
		t.Errorf("List = %q, want %q", d.List, want)
	}
	sum := sha256.Sum256([]byte(want))
	if d.SHA256 != hex.EncodeToString(sum[:]) || d.Count != 4 || d.MassGen != "0.1.91" {
		t.Errorf("got %+v", d)
	}
	// Through a symbolic link to the executable, the same set.
	link := filepath.Join(t.TempDir(), "massgen")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	if d2, err := Distributions(link); err != nil || d2.SHA256 != d.SHA256 {
		t.Errorf("via link: %+v, %v", d2, err)
	}
}

func TestDistributionsNotAVirtualenv(t *testing.T) {
	dir := t.TempDir()
	if _, err := Distributions(filepath.Join(dir, "bin", "massgen")); !errors.Is(err, ErrNoVirtualenv) {
		t.Errorf("err = %v, want ErrNoVirtualenv", err)
	}
}

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{
		"PyYAML": "pyyaml", "typing_extensions": "typing-extensions", "zope.interface": "zope-interface",
		"Foo--._Bar": "foo-bar", "massgen": "massgen",
	} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
}
