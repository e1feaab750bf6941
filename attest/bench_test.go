package attest_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

var (
	treeOnce sync.Once
	treeDir  string
	treeErr  error
)

// tree10k is 10,000 files of 4 KiB in 100 directories, made once per run.
func tree10k(b *testing.B) string {
	treeOnce.Do(func() {
		treeDir, treeErr = os.MkdirTemp("", "cohos-bench-")
		buf := make([]byte, 4096)
		for d := 0; d < 100 && treeErr == nil; d++ {
			sub := filepath.Join(treeDir, fmt.Sprintf("d%02d", d))
			if treeErr = os.Mkdir(sub, 0o755); treeErr != nil {
				break
			}
			for f := 0; f < 100; f++ {
				rand.Read(buf)
				if treeErr = os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%03d", f)), buf, 0o644); treeErr != nil {
					break
				}
			}
		}
	})
	if treeErr != nil {
		b.Fatal(treeErr)
	}
	return treeDir
}

// BenchmarkAttest10kFiles attests the whole tree: evaluate, hash 10,000
// files, write the evidence files, sign, write the bundle.
func BenchmarkAttest10kFiles(b *testing.B) {
	dir := tree10k(b)
	s, _ := testkit.Key(b, keys.ECDSAP256)
	pol := testkit.Policy(b)
	b.SetBytes(10000 * 4096)
	b.ResetTimer()
	for b.Loop() {
		_, err := attest.Attest(context.Background(), dir, attest.Options{
			Policy: pol, Metrics: testkit.Metrics(policy.Allow), Signers: []dsse.Signer{s}, Force: true,
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSha256sumP2 is the reference: coreutils sha256sum on two
// processes over the same files, in the same run.
func BenchmarkSha256sumP2(b *testing.B) {
	dir := tree10k(b)
	b.SetBytes(10000 * 4096)
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command("sh", "-c", "find . -type f -name 'f*' -print0 | xargs -0 -P2 -n 5000 sha256sum > /dev/null")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
}

// BenchmarkVerify10kFiles verifies the attested tree offline: signature,
// statement, re-hashing all 10,000 files, policy re-evaluation.
func BenchmarkVerify10kFiles(b *testing.B) {
	dir := tree10k(b)
	s, pub := testkit.Key(b, keys.ECDSAP256)
	res, err := attest.Attest(context.Background(), dir, attest.Options{
		Policy: testkit.Policy(b), Metrics: testkit.Metrics(policy.Allow), Signers: []dsse.Signer{s}, Force: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	bundle, err := os.ReadFile(res.Bundle)
	if err != nil {
		b.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer root.Close()
	opts := verify.Options{Keys: []*keys.Public{pub}, Artifacts: artifacts.RootFS(root)}
	b.SetBytes(10000 * 4096)
	b.ResetTimer()
	for b.Loop() {
		if _, err := verify.Bundle(context.Background(), bundle, opts); err != nil {
			b.Fatal(err)
		}
	}
}
