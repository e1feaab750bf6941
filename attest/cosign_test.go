package attest_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
)

// TestCosignVerifiesOurBundle checks that a standard tool accepts our
// envelope and statement: cosign verify-blob-attestation, offline, with
// the blob being SHA256SUMS (the subject's sha256 is its digest).
func TestCosignVerifiesOurBundle(t *testing.T) {
	cosign := testkit.Cosign(t)
	s, pub := testkit.Key(t, keys.ECDSAP256)
	dir := testkit.RunDir(t)
	res := testkit.Attest(t, dir, policy.Allow, s)
	pubPEM, err := keys.EncodePublic(pub)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	pubPath := filepath.Join(work, "key.pub")
	if err := os.WriteFile(pubPath, pubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(work, "other")
	if err := os.WriteFile(other, []byte("not the manifest\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(blob string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, cosign, "verify-blob-attestation",
			"--key", pubPath, "--insecure-ignore-tlog",
			"--signature", res.Bundle, "--type", attest.PredicateType, blob)
		cmd.Env = append(os.Environ(), "HOME="+work, "TUF_ROOT="+filepath.Join(work, "tuf"))
		out, err := cmd.CombinedOutput()
		t.Logf("cosign %s:\n%s", filepath.Base(blob), out)
		return err
	}
	if err := run(filepath.Join(dir, attest.SumsName)); err != nil {
		t.Fatalf("cosign rejected our bundle: %v", err)
	}
	if err := run(other); err == nil {
		t.Fatal("cosign accepted a blob that is not the subject")
	}
}
