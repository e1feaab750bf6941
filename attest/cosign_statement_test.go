package attest_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

// TestCosignAttestBlobStatementVerifies: cosign v2.6.5 signs our statement
// with `attest-blob --statement` and writes the envelope without a final
// newline; cohos verifies it as the run's bundle (issue 11, case 11).
func TestCosignAttestBlobStatementVerifies(t *testing.T) {
	cosign := testkit.Cosign(t)
	work := t.TempDir()
	priv, _, err := keys.Generate(keys.ECDSAP256, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(work, "key.pem")
	if err := os.WriteFile(keyPath, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := keys.ParsePrivate(priv, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	dir := testkit.RunDir(t)
	res := testkit.Attest(t, dir, policy.Allow, s)
	stmt := filepath.Join(work, "statement.json")
	if err := os.WriteFile(stmt, res.Statement, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "cosign.dsse")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cosign, "attest-blob", "--key", keyPath, "--statement", stmt,
		"--output-signature", out, "--tlog-upload=false", "--yes")
	cmd.Env = append(os.Environ(), "HOME="+work, "TUF_ROOT="+filepath.Join(work, "tuf"), "COSIGN_PASSWORD=pw")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cosign attest-blob: %v\n%s", err, b)
	}
	env, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasSuffix(env, []byte("\n")) {
		t.Log("cosign now ends its envelope with a newline; the no-newline case is covered elsewhere")
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	rep, err := verify.Bundle(context.Background(), env, verify.Options{Keys: []*keys.Public{s.Public()}, Artifacts: artifacts.RootFS(root)})
	if rep == nil || !rep.Verified() {
		if rep != nil {
			for _, c := range rep.Failed() {
				t.Logf("%s: %s", c.ID, c.Reason)
			}
		}
		t.Fatalf("cosign's envelope of our statement does not verify: %v", err)
	}
	// As the run's bundle file, through the same parser the CLI uses.
	if err := os.WriteFile(filepath.Join(dir, attest.BundleName), env, 0o644); err != nil {
		t.Fatal(err)
	}
	if envs, err := attest.ParseBundle(env); err != nil || len(envs) != 1 {
		t.Fatalf("ParseBundle: %d envelopes, %v", len(envs), err)
	}
}
