package registry_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"oras.land/oras-go/v2/registry/remote"

	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/ocipack"
	"cohos.dev/cohos/internal/registry"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

// BenchmarkTransport measures a 10,000-file run (1 KiB each, 100
// directories, hidden ones among them) verified from disk (the baseline),
// packed, verified from the archive, pushed to olareg on loopback, and
// verified from the registry, all in one benchmark run:
//
//	go test ./internal/registry -run '^$' -bench Transport -benchtime 5x
func BenchmarkTransport(b *testing.B) {
	_, olareg, err := testkit.RegistryBinaries(testkit.RepoRoot())
	if err != nil {
		b.Fatal(err)
	}
	reg, err := testkit.StartRegistry(testkit.Olareg, olareg, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer reg.Stop()
	signer, pub := testkit.Key(b, keys.Ed25519)
	dir := filepath.Join(b.TempDir(), "run")
	content := make([]byte, 1024)
	for i := range 10000 {
		d := filepath.Join(dir, fmt.Sprintf("d%02d", i%100))
		if i%100 < 10 {
			d = filepath.Join(dir, ".massgen", fmt.Sprintf("d%02d", i%100))
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
		content[0] = byte(i)
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%05d.log", i)), content, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	testkit.Attest(b, dir, policy.Allow, signer)
	bundle, err := os.ReadFile(filepath.Join(dir, artifacts.BundleFile))
	if err != nil {
		b.Fatal(err)
	}
	opts := verify.Options{Keys: []*keys.Public{pub}}
	ctx := context.Background()
	mustVerify := func(b *testing.B, rep *verify.Report, err error) {
		if rep == nil || err != nil {
			b.Fatalf("verify: %v", err)
		}
	}
	archive := filepath.Join(b.TempDir(), "run.oci.tar")
	if _, err := ocipack.Pack(dir, archive); err != nil {
		b.Fatal(err)
	}

	b.Run("verify-disk", func(b *testing.B) {
		for b.Loop() {
			root, err := os.OpenRoot(dir)
			if err != nil {
				b.Fatal(err)
			}
			o := opts
			o.Artifacts = artifacts.RootFS(root)
			rep, err := verify.Bundle(ctx, bundle, o)
			mustVerify(b, rep, err)
			root.Close()
		}
	})
	b.Run("pack", func(b *testing.B) {
		out := b.TempDir()
		i := 0
		for b.Loop() {
			i++
			if _, err := ocipack.Pack(dir, filepath.Join(out, fmt.Sprintf("%d.oci.tar", i))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify-file", func(b *testing.B) {
		for b.Loop() {
			run, err := ocipack.OpenFile(ctx, archive)
			if err != nil || run.Err() != nil {
				b.Fatal(err, run.Err())
			}
			o := opts
			o.Artifacts = run.Files
			rep, err := verify.Bundle(ctx, run.Bundle, o)
			mustVerify(b, rep, err)
			run.Close()
		}
	})
	repoOf := func(name string) *remote.Repository {
		ref, err := registry.ParseRef("oci://" + reg.Addr + "/bench/" + name)
		if err != nil {
			b.Fatal(err)
		}
		repo, err := registry.Repository(ref, registry.Options{PlainHTTP: true})
		if err != nil {
			b.Fatal(err)
		}
		return repo
	}
	b.Run("push", func(b *testing.B) {
		l, err := ocipack.OpenLayout(archive)
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		i := 0
		for b.Loop() {
			i++ // a new repository each time: every blob is uploaded
			if _, err := registry.Push(ctx, l, repoOf(fmt.Sprintf("r%d", i)), "run"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify-registry", func(b *testing.B) {
		ref, _ := registry.ParseRef("oci://" + reg.Addr + "/bench/r1:run")
		for b.Loop() {
			repo := repoOf("r1")
			desc, err := registry.Resolve(ctx, repo, ref)
			if err != nil {
				b.Fatal(err)
			}
			run, err := ocipack.Open(ctx, registry.Source{Repo: repo}, desc)
			if err != nil || run.Err() != nil {
				b.Fatal(err, run.Err())
			}
			o := opts
			o.Artifacts = run.Files
			rep, err := verify.Bundle(ctx, run.Bundle, o)
			mustVerify(b, rep, err)
			run.Close()
		}
	})
}
