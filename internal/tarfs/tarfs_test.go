package tarfs

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"

	"cohos.dev/cohos/internal/artifacts"
)

type ent struct {
	name string
	typ  byte
	body string
	link string
}

func mkTar(t *testing.T, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body)), Linkname: e.link}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestIndexReadsInPlaceAndHashesAll(t *testing.T) {
	b := mkTar(t,
		ent{name: "a-c", typ: tar.TypeReg, body: "first"},
		ent{name: "a/b", typ: tar.TypeReg, body: "second, longer than one line\n"},
		ent{name: ".hidden/x", typ: tar.TypeReg, body: ""},
		ent{name: "link", typ: tar.TypeSymlink, link: "../outside"},
		ent{name: "pipe", typ: tar.TypeFifo},
		ent{name: "d/", typ: tar.TypeDir},
	)
	b = append(b, make([]byte, 1024)...) // trailing padding counts in the digest
	f, sum, err := Index(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(b)
	if sum != hex.EncodeToString(want[:]) {
		t.Fatalf("digest %s, want sha256 of all %d bytes", sum, len(b))
	}
	var names []string
	if err := fs.WalkDir(f, ".", func(name string, _ fs.DirEntry, err error) error {
		names = append(names, name)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{".", ".hidden", ".hidden/x", "a", "a/b", "a-c", "d", "link", "pipe"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("walk %q, want %q", names, want)
	}
	plain := mkTar(t, ent{name: "a-c", typ: tar.TypeReg, body: "first"}, ent{name: "a/b", typ: tar.TypeReg, body: "2"}, ent{name: "d/", typ: tar.TypeDir})
	pf, _, err := Index(bytes.NewReader(plain), int64(len(plain)))
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(pf, "a-c", "a/b", "d"); err != nil {
		t.Fatal(err)
	}
	got, err := fs.ReadFile(f, "a/b")
	if err != nil || string(got) != "second, longer than one line\n" {
		t.Fatalf("a/b = %q, %v", got, err)
	}
	if _, err := f.Open("link"); err == nil {
		t.Fatal("a symlink was opened: it must never be followed")
	}
	fi, err := fs.Lstat(f, "link")
	if err != nil || fi.Mode().Type() != fs.ModeSymlink {
		t.Fatalf("lstat link = %v, %v", fi, err)
	}
	if target, err := f.ReadLink("link"); err != nil || target != "../outside" {
		t.Fatalf("readlink = %q, %v", target, err)
	}
}

// TestIndexRefuses: entries a run directory cannot hold are errors.
func TestIndexRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		ents []ent
	}{
		{"parent", []ent{{name: "../x", typ: tar.TypeReg}}},
		{"absolute", []ent{{name: "/etc/passwd", typ: tar.TypeReg}}},
		{"inner dotdot", []ent{{name: "a/../../x", typ: tar.TypeReg}}},
		{"dot segment", []ent{{name: "./a", typ: tar.TypeReg}}},
		{"empty segment", []ent{{name: "a//b", typ: tar.TypeReg}}},
		{"hard link", []ent{{name: "a", typ: tar.TypeReg}, {name: "b", typ: tar.TypeLink, link: "a"}}},
		{"duplicate", []ent{{name: "a", typ: tar.TypeReg, body: "1"}, {name: "a", typ: tar.TypeReg, body: "2"}}},
		{"below a file", []ent{{name: "a", typ: tar.TypeReg}, {name: "a/b", typ: tar.TypeReg}}},
		{"below a symlink", []ent{{name: "a", typ: tar.TypeSymlink, link: "/etc"}, {name: "a/passwd", typ: tar.TypeReg}}},
		{"file over dir", []ent{{name: "a/b", typ: tar.TypeReg}, {name: "a", typ: tar.TypeReg}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := mkTar(t, tc.ents...)
			_, sum, err := Index(bytes.NewReader(b), int64(len(b)))
			if !errors.Is(err, ErrEntry) {
				t.Fatalf("err = %v, want ErrEntry", err)
			}
			if want := sha256.Sum256(b); sum != hex.EncodeToString(want[:]) {
				t.Fatal("the digest must cover the whole archive even when it is refused")
			}
		})
	}
}

// TestHashLikeDisk: the artifact set hashed through FS equals the one hashed
// from the same tree on disk, symlinks and FIFOs listed as skipped.
func TestHashLikeDisk(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"x.txt": "x\n", ".massgen/a/log": "log\n", "artifacts/answer.txt": "42\n", "empty": ""}
	var ents []ent
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		ents = append(ents, ent{name: name, typ: tar.TypeReg, body: body})
	}
	if err := os.Symlink("x.txt", filepath.Join(dir, "ln")); err != nil {
		t.Fatal(err)
	}
	ents = append(ents, ent{name: "ln", typ: tar.TypeSymlink, link: "x.txt"})
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	disk, err := artifacts.Hash(context.Background(), artifacts.RootFS(root), artifacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := mkTar(t, ents...)
	f, _, err := Index(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	inTar, err := artifacts.Hash(context.Background(), f, artifacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(disk, inTar) {
		t.Fatalf("tar set %+v\ndisk set %+v", inTar, disk)
	}
}
