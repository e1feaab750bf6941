package cmd

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"cohos.dev/cohos/keys"
)

// BenchmarkRunTrue governs `true` end to end (run, observe, evaluate the
// default policy, hash, sign, fsync-safe writes); BenchmarkBareTrue runs it
// bare. The difference is cohos's overhead per run.
func BenchmarkRunTrue(b *testing.B) {
	dir := b.TempDir()
	priv, _, err := keys.Generate(keys.ECDSAP256, nil)
	if err != nil {
		b.Fatal(err)
	}
	key := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(key, priv, 0o600); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		out := filepath.Join(dir, "runs", strconv.Itoa(i))
		if code := Main([]string{"run", "-q", "--sign", key, "--out", out, "--", "true"}, nil, io.Discard, io.Discard); code != ExitOK {
			b.Fatalf("exit %d", code)
		}
	}
}

func BenchmarkBareTrue(b *testing.B) {
	for b.Loop() {
		if err := exec.Command("true").Run(); err != nil {
			b.Fatal(err)
		}
	}
}
