package ocipack

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

func attested(t *testing.T) (string, *keys.Public) {
	t.Helper()
	s, pub := testkit.Key(t, keys.Ed25519)
	dir := testkit.RunDir(t)
	if err := os.MkdirAll(filepath.Join(dir, ".massgen", "log"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".massgen", "log", "events.jsonl"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("artifacts/answer.txt", filepath.Join(dir, "latest")); err != nil {
		t.Fatal(err)
	}
	testkit.Attest(t, dir, policy.Allow, s)
	return dir, pub
}

func verifyRun(t *testing.T, run *Run, pub *keys.Public) *verify.Report {
	t.Helper()
	rep, _ := verify.Bundle(context.Background(), run.Bundle, verify.Options{Keys: []*keys.Public{pub}, Artifacts: run.Files})
	if rep == nil {
		t.Fatal("no report")
	}
	return rep
}

func failed(checks []verify.Check) []string {
	var ids []string
	for _, c := range checks {
		if c.Status == verify.Fail {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// TestPackDeterministic: times, permissions (same execute bits) and the
// order files were written in do not change a byte.
func TestPackDeterministic(t *testing.T) {
	dir, pub := attested(t)
	out := t.TempDir()
	a, err := Pack(dir, filepath.Join(out, "a.oci.tar"))
	if err != nil {
		t.Fatal(err)
	}
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, name := range []string{"command_stdout.log", "artifacts/answer.txt", ".massgen/log/events.jsonl"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b, err := Pack(dir, filepath.Join(out, "b.oci.tar"))
	if err != nil {
		t.Fatal(err)
	}
	ab, _ := os.ReadFile(filepath.Join(out, "a.oci.tar"))
	bb, _ := os.ReadFile(filepath.Join(out, "b.oci.tar"))
	if !bytes.Equal(ab, bb) || a.Run.Digest != b.Run.Digest {
		t.Fatalf("two packs differ: %x, %x", sha256.Sum256(ab), sha256.Sum256(bb))
	}
	if _, err := Pack(dir, filepath.Join(out, "a.oci.tar")); !errors.Is(err, os.ErrExist) {
		t.Fatalf("pack over an existing file: %v, want ErrExist", err)
	}
	run, err := OpenFile(context.Background(), filepath.Join(out, "a.oci.tar"))
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	if ids := failed(append(run.Checks, verifyRun(t, run, pub).Checks...)); ids != nil {
		t.Fatalf("failed checks %v", ids)
	}
}

func TestPackRefuses(t *testing.T) {
	dir, _ := attested(t)
	out := t.TempDir()
	if _, err := Pack(t.TempDir(), filepath.Join(out, "x.tar")); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("no bundle: %v, want ErrIncomplete", err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := Pack(dir, filepath.Join(out, "y.tar")); !errors.Is(err, ErrUnpackable) {
		t.Fatalf("socket: %v, want ErrUnpackable", err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Fatalf("a failed pack left %v", ents)
	}
}

// craft writes a layout whose layer is the given tar, with the bundle of dir.
func craft(t *testing.T, dir string, layer []byte, withAttestation bool) string {
	t.Helper()
	bundle, err := os.ReadFile(filepath.Join(dir, artifacts.BundleFile))
	if err != nil {
		t.Fatal(err)
	}
	ld := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.FromBytes(layer), Size: int64(len(layer))}
	m := buildManifests("r", ld, bundle)
	lf := filepath.Join(t.TempDir(), "layer")
	if err := os.WriteFile(lf, layer, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(lf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if err := m.writeLayout(&buf, f); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	if !withAttestation {
		out = bytes.Replace(out, []byte(`"digest":"`+m.attDesc.Digest.String()), []byte(`"digest":"`+digest.FromString("gone").String()), 1)
	}
	p := filepath.Join(t.TempDir(), "crafted.oci.tar")
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLayerEntryLeavingRoot: a layer entry outside the run directory fails
// artifacts.digest with the reason, as a bad directory on disk would.
func TestLayerEntryLeavingRoot(t *testing.T) {
	dir, pub := attested(t)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "../escape", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644})
	tw.Write([]byte("x"))
	tw.Close()
	run, err := OpenFile(context.Background(), craft(t, dir, buf.Bytes(), true))
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	if ids := failed(run.Checks); ids != nil {
		t.Fatalf("transport checks failed: %v (the digests are right)", ids)
	}
	rep := verifyRun(t, run, pub)
	if ids := failed(rep.Checks); !reflect.DeepEqual(ids, []string{verify.CheckArtifacts, verify.CheckEvidence}) {
		t.Fatalf("failed %v, want artifacts.digest and evidence.consistency", ids)
	}
	for _, c := range rep.Checks {
		if c.ID == verify.CheckArtifacts && !strings.Contains(c.Reason, `"../escape": leaves the run directory`) {
			t.Fatalf("reason %q does not name the entry", c.Reason)
		}
	}
	if err := Extract(run, filepath.Join(t.TempDir(), "out")); !errors.Is(err, ErrCannotExtract) {
		t.Fatalf("extract: %v, want ErrCannotExtract", err)
	}
}

func TestMissingReferrer(t *testing.T) {
	dir, _ := attested(t)
	run, err := OpenFile(context.Background(), craft(t, dir, []byte{}, false))
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	if ids := failed(run.Checks); !reflect.DeepEqual(ids, []string{CheckReferrer}) {
		t.Fatalf("failed %v, want oci.referrer", ids)
	}
	if run.Bundle != nil {
		t.Fatal("a bundle without its referrer was returned")
	}
}

// TestExtractRoundTrip: a pulled run hashes exactly like the original,
// symlink included, and verifies.
func TestExtractRoundTrip(t *testing.T) {
	dir, pub := attested(t)
	p := filepath.Join(t.TempDir(), "run.oci.tar")
	if _, err := Pack(dir, p); err != nil {
		t.Fatal(err)
	}
	run, err := OpenFile(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	out := filepath.Join(t.TempDir(), "pulled")
	if err := Extract(run, out); err != nil {
		t.Fatal(err)
	}
	hash := func(d string) *artifacts.Set {
		root, err := os.OpenRoot(d)
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		s, err := artifacts.Hash(context.Background(), artifacts.RootFS(root), artifacts.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if a, b := hash(dir), hash(out); !reflect.DeepEqual(a, b) {
		t.Fatalf("pulled set %+v\noriginal %+v", b, a)
	}
	if target, err := os.Readlink(filepath.Join(out, "latest")); err != nil || target != "artifacts/answer.txt" {
		t.Fatalf("symlink %q, %v", target, err)
	}
	if err := Extract(run, out); !errors.Is(err, os.ErrExist) {
		t.Fatalf("extract over an existing dir: %v", err)
	}
	_ = pub
}

// TestLayoutWithoutArtifactTypes: an index.json without artifactType
// entries (as another tool may write it) still finds the run by reading
// the manifests.
func TestLayoutWithoutArtifactTypes(t *testing.T) {
	dir, pub := attested(t)
	p := filepath.Join(t.TempDir(), "run.oci.tar")
	if _, err := Pack(dir, p); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.LastIndex(b, []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"`))
	if at < 0 {
		t.Fatal("no index.json in the archive")
	}
	// Same length, so the tar stays valid: an unknown field instead.
	idx := bytes.ReplaceAll(b[at:], []byte(`"artifactType"`), []byte(`"artifactTyp_"`))
	b = append(b[:at:at], idx...)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	run, err := OpenFile(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	if ids := failed(append(run.Checks, verifyRun(t, run, pub).Checks...)); ids != nil {
		t.Fatalf("failed checks %v", ids)
	}
}
