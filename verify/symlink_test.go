package verify_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

// TestRetargetedSymlink: a symlink is attested with its target, so
// retargeting it after signing (even to a file outside the run) fails
// artifacts.digest naming the link (issue 11, case 6).
func TestRetargetedSymlink(t *testing.T) {
	s, pub := fixedKey(t, "ed25519.pem")
	dir := testkit.RunDir(t)
	outside := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(outside, []byte("not the model\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "artifacts", "model.txt")
	if err := os.Symlink("answer.txt", link); err != nil {
		t.Fatal(err)
	}
	res := testkit.Attest(t, dir, policy.Allow, s)
	bundle, err := os.ReadFile(res.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: dir, bundle: bundle, trusted: pub}
	if failed := failedOnce(f.verify(t, bundle, verify.Options{})); len(failed) != 0 {
		t.Fatalf("untouched run: failed %v", failed)
	}
	for _, target := range []string{outside, "sub/deep.md", "answer.txt/"} {
		if err := os.Remove(link); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		rep := f.verify(t, bundle, verify.Options{})
		if failed := failedOnce(rep); !slices.Equal(failed, []string{verify.CheckArtifacts}) {
			t.Fatalf("retargeted to %s: failed %v, want [artifacts.digest]", target, failed)
		}
		for _, c := range rep.Failed() {
			if !slices.Equal(c.Changed, []string{"artifacts/model.txt"}) || len(c.Added)+len(c.Missing) != 0 {
				t.Fatalf("retargeted to %s: %+v, want artifacts/model.txt changed", target, c)
			}
		}
	}
}
