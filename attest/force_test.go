package attest_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

// When the test binary runs with these set, it is a child that re-attests
// the directory with --force (the policy decides from the metrics given).
const (
	forceChildDir = "COHOS_TEST_FORCE_DIR"
	forceChildKey = "COHOS_TEST_FORCE_KEY"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(forceChildDir); dir != "" {
		os.Exit(forceChild(dir, os.Getenv(forceChildKey)))
	}
	os.Exit(m.Run())
}

func forceChild(dir, keyPath string) int {
	b, err := os.ReadFile(keyPath)
	if err != nil {
		return 3
	}
	s, err := keys.ParsePrivate(b, nil)
	if err != nil {
		return 3
	}
	pol, err := policy.Parse([]byte(testkit.PolicyYAML))
	if err != nil {
		return 3
	}
	_, err = attest.Attest(context.Background(), dir, attest.Options{
		Policy: pol, Metrics: testkit.Metrics(policy.Refuse), Run: attest.Run{Runner: "command"},
		Signers: []dsse.Signer{s}, Force: true,
	})
	if err != nil {
		return 4
	}
	return 0
}

// TestForceCrash kills `attest --force` (SIGKILL) at random moments: the
// directory is always either a run that verifies or an incomplete one (no
// bundle), never the old bundle beside the new decision.json (issue 11,
// case 7: 48 of 50 kills lost the last good attestation).
func TestForceCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("kills children")
	}
	kdir := t.TempDir()
	keyPath := filepath.Join(kdir, "key.pem")
	priv, _, err := keys.Generate(keys.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := keys.ParsePrivate(priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := signer.Public()
	verified, incomplete, killedMidway := 0, 0, 0
	for try := range 20 {
		dir := testkit.RunDir(t)
		for i := range 3000 { // enough files that the hashing takes a while
			p := filepath.Join(dir, "artifacts", "many", fmt.Sprintf("%04d.txt", i))
			if i == 0 {
				os.MkdirAll(filepath.Dir(p), 0o755)
			}
			if err := os.WriteFile(p, []byte(fmt.Sprint(i)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		testkit.Attest(t, dir, policy.Allow, signer)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), forceChildDir+"="+dir, forceChildKey+"="+keyPath)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rand.IntN(150)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		werr := cmd.Wait()
		if werr != nil {
			killedMidway++
		}
		bundle, err := os.ReadFile(filepath.Join(dir, attest.BundleName))
		if errors.Is(err, os.ErrNotExist) {
			incomplete++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		root, err := os.OpenRoot(dir)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := verify.Bundle(context.Background(), bundle, verify.Options{Keys: []*keys.Public{pub}, Artifacts: artifacts.RootFS(root)})
		root.Close()
		if rep == nil {
			t.Fatal(err)
		}
		for _, c := range rep.Failed() {
			if c.ID != verify.CheckDecisionAdmissible { // the new run is a REFUSE
				t.Fatalf("try %d: a bundle that does not verify was left: %s %s", try, c.ID, c.Reason)
			}
		}
		verified++
	}
	t.Logf("%d verified, %d incomplete; %d children killed before they finished", verified, incomplete, killedMidway)
}
