package artifacts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/mod/sumdb/dirhash"
)

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// writeTree creates the files named by the keys of files below dir.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// hashDir hashes dir through an os.Root, as attest and verify do.
func hashDir(t testing.TB, dir string, opts Options) (*Set, error) {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	return Hash(context.Background(), root.FS(), opts)
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func names(s *Set) []string {
	var out []string
	for _, f := range s.Files {
		out = append(out, f.Name)
	}
	return out
}

var nestedTree = map[string]string{
	"a+":               "alpha\n",
	"a-c":              "sorts before a/ by bytes",
	"a/b":              "",
	"a/b2/deep/x.txt":  strings.Repeat("x", 300000),
	"with space.log":   "spaces",
	"z/ü-unicode.json": `{"k":1}`,
	"Z-upper":          "upper",
}

func TestHashNested(t *testing.T) {
	forEachPath(t, func(t *testing.T, p hashPath) {
		dir := t.TempDir()
		writeTree(t, dir, nestedTree)
		set, err := p.hash(t, dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"Z-upper", "a+", "a-c", "a/b", "a/b2/deep/x.txt", "with space.log", "z/ü-unicode.json"}
		if got := names(set); !slices.Equal(got, want) {
			t.Fatalf("names = %q, want %q", got, want)
		}
		for _, f := range set.Files {
			c := nestedTree[f.Name]
			if f.SHA256 != sha(c) || f.Size != int64(len(c)) {
				t.Errorf("%s: got %s/%d, want %s/%d", f.Name, f.SHA256, f.Size, sha(c), len(c))
			}
		}
		if len(set.Skipped) != 0 {
			t.Errorf("Skipped = %v, want none", set.Skipped)
		}
		for _, w := range []int{1, 3, 64} {
			other, err := p.hash(t, dir, Options{Workers: w})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(other, set) {
				t.Errorf("Workers %d: set differs", w)
			}
		}
	})
}

// TestDigestInterop checks Digest against Go's dirhash.Hash1 and sha256sum,
// and Manifest against the output of the real sha256sum.
func TestDigestInterop(t *testing.T) {
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum not installed")
	}
	forEachPath(t, func(t *testing.T, p hashPath) {
		dir := t.TempDir()
		writeTree(t, dir, nestedTree)
		set, err := p.hash(t, dir, Options{})
		if err != nil {
			t.Fatal(err)
		}

		h1, err := dirhash.HashDir(dir, "", dirhash.Hash1)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h1, "h1:"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := set.Digest(), hex.EncodeToString(raw); got != want {
			t.Errorf("Digest = %s, dirhash.Hash1 = %s", got, want)
		}

		cmd := exec.Command("sha256sum")
		cmd.Stdin = bytes.NewReader(set.Manifest())
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := set.Digest()+"  -\n", string(out); got != want {
			t.Errorf("Digest line = %q, sha256sum = %q", got, want)
		}

		cmd = exec.Command("sha256sum", append([]string{"--"}, names(set)...)...)
		cmd.Dir = dir
		out, err = cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if got := set.Manifest(); !bytes.Equal(got, out) {
			t.Errorf("Manifest:\n%s\nsha256sum:\n%s", got, out)
		}
	})
}

// TestManifestCheck runs `sha256sum -c` on a manifest, including a name with
// a backslash, which sha256sum would print escaped but accepts raw.
func TestManifestCheck(t *testing.T) {
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum not installed")
	}
	forEachPath(t, func(t *testing.T, p hashPath) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{`back\slash`: "b", "sub/f": "f"})
		set, err := p.hash(t, dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		writeTree(t, dir, map[string]string{SumsFile: string(set.Manifest())})
		cmd := exec.Command("sha256sum", "--strict", "-c", SumsFile)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sha256sum -c: %v\n%s", err, out)
		}
		again, err := p.hash(t, dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again, set) {
			t.Errorf("writing %s changed the set", SumsFile)
		}
	})
}

func TestDerivedTopLevelOnly(t *testing.T) {
	forEachPath(t, func(t *testing.T, p hashPath) {
		dir := t.TempDir()
		files := map[string]string{"data": "d", "sub/manifest.json": "nested", "sub/SHA256SUMS": "nested",
			"hashes.json/inside": "a directory with a derived name is walked"}
		for _, d := range Derived() {
			files[d] = "derived"
		}
		delete(files, HashesFile)
		writeTree(t, dir, files)
		set, err := p.hash(t, dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"data", "hashes.json/inside", "sub/SHA256SUMS", "sub/manifest.json"}
		if got := names(set); !slices.Equal(got, want) {
			t.Errorf("names = %q, want %q", got, want)
		}
		for _, n := range []string{"manifest.json", "SHA256SUMS", "hashes.json", "bundle.intoto.jsonl"} {
			if !IsDerived(n) {
				t.Errorf("IsDerived(%q) = false", n)
			}
		}
		for _, n := range []string{"sub/manifest.json", "manifest.json/", "MANIFEST.JSON", "bundle.intoto.json"} {
			if IsDerived(n) {
				t.Errorf("IsDerived(%q) = true", n)
			}
		}
	})
}

func TestSkipped(t *testing.T) {
	forEachPath(t, func(t *testing.T, p hashPath) {
		dir := t.TempDir()
		outside := t.TempDir()
		writeTree(t, outside, map[string]string{"secret": "outside"})
		writeTree(t, dir, map[string]string{"real/f": "f", "top": "t"})
		links := map[string]string{
			"link-file":        "top",
			"link-dir":         "real",
			"real/link-up":     "../top",
			"link-outside":     filepath.Join(outside, "secret"),
			"link-outside-dir": outside,
			"dangling":         "nowhere",
			SumsFile:           "top", // a derived name that is not a regular file
		}
		for name, target := range links {
			if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
				t.Fatal(err)
			}
		}
		if err := syscall.Mkfifo(filepath.Join(dir, "real", "pipe"), 0o644); err != nil {
			t.Fatal(err)
		}
		// Symlinks are listed with their target, read and never followed.
		want := []Skipped{
			{SumsFile, KindSymlink, "top"}, {"dangling", KindSymlink, "nowhere"}, {"link-dir", KindSymlink, "real"},
			{"link-file", KindSymlink, "top"}, {"link-outside", KindSymlink, links["link-outside"]},
			{"link-outside-dir", KindSymlink, outside},
			{"real/link-up", KindSymlink, "../top"}, {"real/pipe", KindFIFO, ""},
		}
		// A character device, when this process may create one.
		if err := syscall.Mknod(filepath.Join(dir, "null"), syscall.S_IFCHR|0o644, 1<<8|3); err == nil {
			want = append(want, Skipped{"null", KindDevice, ""})
		} else {
			t.Logf("no device case: %v", err)
		}
		slices.SortFunc(want, func(a, b Skipped) int { return strings.Compare(a.Name, b.Name) })

		set, err := p.hash(t, dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := names(set); !slices.Equal(got, []string{"real/f", "top"}) {
			t.Errorf("names = %q", got)
		}
		if !reflect.DeepEqual(set.Skipped, want) {
			t.Errorf("Skipped = %v, want %v", set.Skipped, want)
		}
	})
}

func TestEmptyDir(t *testing.T) {
	forEachPath(t, func(t *testing.T, p hashPath) {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "empty-subdir"), 0o755); err != nil {
			t.Fatal(err)
		}
		set, err := p.hash(t, dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Files) != 0 || len(set.Skipped) != 0 || len(set.Manifest()) != 0 {
			t.Errorf("set = %+v, want empty", set)
		}
		if set.Root() != emptySHA256 || set.Digest() != emptySHA256 {
			t.Errorf("Root, Digest = %s, %s; want %s", set.Root(), set.Digest(), emptySHA256)
		}
	})
}
