package keys

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"testing"
)

// dirState maps each name in dir to its content (symlinks to "->target").
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]string)
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			m[e.Name()] = "->" + target
		case e.IsDir():
			m[e.Name()] = "dir"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			m[e.Name()] = string(b)
		}
	}
	return m
}

func mode(t *testing.T, p string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestWritePairCreates(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "key")
	if err := WritePair(prefix, []byte("PRIV"), []byte("PUB"), false); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"key.pem": "PRIV", "key.pub": "PUB"}
	if got := dirState(t, dir); !maps.Equal(got, want) {
		t.Fatalf("dir %v, want %v", got, want)
	}
	if m := mode(t, prefix+".pem"); m != 0o600 {
		t.Fatalf("private key mode %v, want 0600", m)
	}
	if m := mode(t, prefix+".pub"); m != 0o644 {
		t.Fatalf("public key mode %v, want 0644", m)
	}
}

func TestWritePairExisting(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, prefix string)
	}{
		{"private exists", func(t *testing.T, p string) { writeFile(t, p+".pem", "OLD", 0o644) }},
		{"public exists", func(t *testing.T, p string) { writeFile(t, p+".pub", "OLD", 0o644) }},
		{"both exist", func(t *testing.T, p string) {
			writeFile(t, p+".pem", "OLDPRIV", 0o600)
			writeFile(t, p+".pub", "OLDPUB", 0o644)
		}},
		{"dangling symlink", func(t *testing.T, p string) {
			if err := os.Symlink(p+".elsewhere", p+".pem"); err != nil {
				t.Fatal(err)
			}
		}},
		{"directory", func(t *testing.T, p string) {
			if err := os.Mkdir(p+".pub", 0o755); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			prefix := filepath.Join(dir, "key")
			tc.setup(t, prefix)
			before := dirState(t, dir)
			err := WritePair(prefix, []byte("NEW"), []byte("NEW"), false)
			if !errors.Is(err, ErrExists) {
				t.Fatalf("err = %v, want ErrExists", err)
			}
			if after := dirState(t, dir); !maps.Equal(after, before) {
				t.Fatalf("dir changed from %v to %v", before, after)
			}
		})
	}
}

func TestWritePairForce(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "key")
	writeFile(t, prefix+".pem", "OLDPRIV", 0o644)
	writeFile(t, prefix+".pub", "OLDPUB", 0o600)
	if err := WritePair(prefix, []byte("PRIV"), []byte("PUB"), true); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"key.pem": "PRIV", "key.pub": "PUB"}
	if got := dirState(t, dir); !maps.Equal(got, want) {
		t.Fatalf("dir %v, want %v", got, want)
	}
	if m := mode(t, prefix+".pem"); m != 0o600 {
		t.Fatalf("private key mode %v, want 0600", m)
	}
	if m := mode(t, prefix+".pub"); m != 0o644 {
		t.Fatalf("public key mode %v, want 0644", m)
	}
}

func TestWritePairFailureLeavesNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		prefix func(dir string) string
		setup  func(t *testing.T, dir string)
		force  bool
	}{
		{"missing directory", func(d string) string { return filepath.Join(d, "nope", "key") }, nil, false},
		{"public is a directory, force", func(d string) string { return filepath.Join(d, "key") },
			func(t *testing.T, d string) {
				writeFile(t, filepath.Join(d, "key.pem"), "OLD", 0o600)
				if err := os.Mkdir(filepath.Join(d, "key.pub"), 0o755); err != nil {
					t.Fatal(err)
				}
			}, true},
		{"empty prefix", func(string) string { return "" }, nil, false},
		{"directory prefix", func(d string) string { return d + "/" }, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			before := dirState(t, dir)
			err := WritePair(tc.prefix(dir), []byte("PRIV"), []byte("PUB"), tc.force)
			if err == nil || errors.Is(err, ErrExists) {
				t.Fatalf("err = %v, want a write error", err)
			}
			if after := dirState(t, dir); !maps.Equal(after, before) {
				t.Fatalf("dir changed from %v to %v", before, after)
			}
		})
	}
}

func writeFile(t *testing.T, p, content string, perm fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
}
