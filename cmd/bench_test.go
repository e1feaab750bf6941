package cmd

import (
	"fmt"
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

// BenchmarkVerify1000Bundles is one `cohos verify` of 1,000 small run
// directories: the unit is one call; bundles/s = 1000 / (ns/op / 1e9).
func BenchmarkVerify1000Bundles(b *testing.B) {
	dir := b.TempDir()
	priv, pub, err := keys.Generate(keys.Ed25519, nil)
	if err != nil {
		b.Fatal(err)
	}
	key, pubPath := filepath.Join(dir, "key.pem"), filepath.Join(dir, "key.pub")
	if err := os.WriteFile(key, priv, 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(pubPath, pub, 0o644); err != nil {
		b.Fatal(err)
	}
	pol := filepath.Join(dir, "policy.yaml")
	met := filepath.Join(dir, "metrics.json")
	os.WriteFile(pol, []byte("apiVersion: cohos/v1\nkind: Policy\nname: bench\nrules:\n  - {metric: completed, require: true}\n"), 0o644)
	os.WriteFile(met, []byte(`{"completed": true}`), 0o644)
	args := []string{"verify", "--key", pubPath}
	for i := range 1000 {
		run := filepath.Join(dir, "runs", fmt.Sprintf("r%04d", i))
		if err := os.MkdirAll(run, 0o755); err != nil {
			b.Fatal(err)
		}
		os.WriteFile(filepath.Join(run, "out.txt"), []byte(fmt.Sprintln(i)), 0o644)
		if code := Main([]string{"attest", run, "--sign", key, "--policy", pol, "--metrics", met}, nil, io.Discard, io.Discard); code != ExitOK {
			b.Fatalf("attest exit %d", code)
		}
		args = append(args, run)
	}
	b.ResetTimer()
	for b.Loop() {
		if code := Main(args, nil, io.Discard, io.Discard); code != ExitOK {
			b.Fatalf("verify exit %d", code)
		}
	}
	b.ReportMetric(1000/(b.Elapsed().Seconds()/float64(b.N)), "bundles/s")
}
