package artifacts

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func line(content, name string) string { return sha(content) + "  " + name + "\n" }

func TestParseManifestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, nestedTree)
	set, err := hashDir(t, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := set.Manifest()
	files, err := ParseManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(set.Files) {
		t.Fatalf("parsed %d files, want %d", len(files), len(set.Files))
	}
	for i, f := range files {
		want := set.Files[i]
		want.Size = -1
		if f != want {
			t.Errorf("file %d = %+v, want %+v", i, f, want)
		}
	}
	again := (&Set{Files: files}).Manifest()
	if !bytes.Equal(again, m) {
		t.Errorf("re-serialised manifest differs:\n%s\nwant:\n%s", again, m)
	}
	if got := Compare(set, &Set{Files: files}); !got.Empty() {
		t.Errorf("Compare(hashed, parsed) = %+v, want empty", got)
	}
	if got, err := ParseManifest(nil); err != nil || len(got) != 0 {
		t.Errorf("ParseManifest(empty) = %v, %v; want no files", got, err)
	}
}

func TestParseManifestRejects(t *testing.T) {
	h := sha("x")
	tests := []struct {
		name, in string
		badName  bool
	}{
		{"no final newline", strings.TrimSuffix(line("x", "a"), "\n"), false},
		{"blank line", line("x", "a") + "\n", false},
		{"uppercase hex", strings.ToUpper(h) + "  a\n", false},
		{"short hex", h[:63] + "  a\n", false},
		{"long hex", h + "0  a\n", false},
		{"non-hex", "g" + h[1:] + "  a\n", false},
		{"one space", h + " a\n", false},
		{"binary marker", h + " *a\n", false},
		{"tab", h + "\t\ta\n", false},
		{"empty name", h + "  \n", false},
		{"escaped line", `\` + h + "  a\\\\b\n", false},
		{"unsorted", line("x", "b") + line("x", "a"), false},
		{"duplicate", line("x", "a") + line("y", "a"), false},
		{"dir sorts by bytes", line("x", "a/b") + line("x", "a-c"), false},
		{"CRLF", h + "  a\r\n", true},
		{"NUL", h + "  a\x00b\n", true},
		{"invalid UTF-8", h + "  \xff\n", true},
		{"leading slash", h + "  /a\n", true},
		{"dot segment", h + "  ./a\n", true},
		{"dotdot segment", h + "  a/../b\n", true},
		{"empty segment", h + "  a//b\n", true},
		{"trailing slash", h + "  a/\n", true},
		{"dot", h + "  .\n", true},
		{"derived", h + "  SHA256SUMS\n", false},
		{"derived bundle", h + "  bundle.intoto.jsonl\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, err := ParseManifest([]byte(tc.in))
			if !errors.Is(err, ErrManifest) || files != nil {
				t.Fatalf("ParseManifest = %v, %v; want nil, ErrManifest", files, err)
			}
			if got := errors.Is(err, ErrBadName); got != tc.badName {
				t.Errorf("errors.Is(err, ErrBadName) = %v, want %v (err %v)", got, tc.badName, err)
			}
		})
	}
}

func TestParseManifestAccepts(t *testing.T) {
	in := line("1", "a b") + line("2", "a-c") + line("3", "a/SHA256SUMS") + line("4", `b\c`) + line("5", "ü")
	files, err := ParseManifest([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []File{{"a b", -1, sha("1")}, {"a-c", -1, sha("2")}, {"a/SHA256SUMS", -1, sha("3")},
		{`b\c`, -1, sha("4")}, {"ü", -1, sha("5")}}
	if !reflect.DeepEqual(files, want) {
		t.Errorf("files = %+v, want %+v", files, want)
	}
}

func TestLeaves(t *testing.T) {
	set := &Set{Files: []File{{"a", 1, sha("a")}, {"b/c", 2, sha("bc")}}}
	leaves := set.Leaves()
	want := []string{line("a", "a"), line("bc", "b/c")}
	if len(leaves) != 2 || string(leaves[0]) != want[0] || string(leaves[1]) != want[1] {
		t.Fatalf("Leaves = %q, want %q", leaves, want)
	}
	if got := string(set.Manifest()); got != want[0]+want[1] {
		t.Errorf("Manifest = %q", got)
	}
	root := MerkleRoot(leaves)
	for i := range leaves {
		proof, err := InclusionProof(leaves, i)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyInclusion([]byte(want[i]), i, 2, proof, root); err != nil {
			t.Errorf("leaf %d: %v", i, err)
		}
	}
	// The name is bound in the leaf: the same digest under another name fails.
	proof, _ := InclusionProof(leaves, 0)
	if err := VerifyInclusion([]byte(line("a", "z")), 0, 2, proof, root); !errors.Is(err, ErrBadProof) {
		t.Errorf("renamed leaf: err = %v, want ErrBadProof", err)
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte(line("x", "a") + line("y", "b/c")))
	f.Add([]byte(line("x", "a") + line("y", "a")))
	f.Add([]byte(line("x", "SHA256SUMS")))
	f.Add([]byte(strings.ToUpper(sha("x")) + "  a\n"))
	f.Add([]byte(sha("x") + "  a\r\n"))
	f.Add([]byte(sha("x") + "  a/../b\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		files, err := ParseManifest(b)
		if err != nil {
			if !errors.Is(err, ErrManifest) || files != nil {
				t.Fatalf("ParseManifest = %v, %v", files, err)
			}
			return
		}
		if got := (&Set{Files: files}).Manifest(); !bytes.Equal(got, b) {
			t.Fatalf("accepted %q but re-serialised as %q", b, got)
		}
	})
}

func TestSumsAgreesWithDigestAndRoot(t *testing.T) {
	for _, s := range []*Set{
		{},
		{Files: []File{{Name: "a", Size: 1, SHA256: strings.Repeat("1", 64)}}},
		{Files: []File{{Name: "a", SHA256: strings.Repeat("1", 64)}, {Name: "b/c", SHA256: strings.Repeat("2", 64)}, {Name: "d", SHA256: strings.Repeat("3", 64)}}},
	} {
		got := s.Sums()
		var buf bytes.Buffer
		if err := s.WriteManifest(&buf); err != nil {
			t.Fatal(err)
		}
		if buf.String() != string(s.Manifest()) || got.Digest != s.Digest() || got.Root != s.Root() || got.Size != int64(buf.Len()) || got.Count != len(s.Files) {
			t.Fatalf("Sums %+v disagrees with Manifest/Digest/Root for %d files", got, len(s.Files))
		}
	}
}
