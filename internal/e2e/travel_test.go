package e2e

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cohos.dev/cohos/internal/ocipack"
	"cohos.dev/cohos/internal/substrate"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/policy"
)

// TestMassGenRunTravels: a real MassGen run, most of whose attested files
// sit under the hidden .massgen/ folder, travels as one archive and
// through a registry with the referrers API, and verifies at the other end
// without its directory.
func TestMassGenRunTravels(t *testing.T) {
	w := needMassGen(t)
	_, olareg, err := testkit.RegistryBinaries(testkit.RepoRoot())
	if err != nil {
		t.Fatal(err)
	}
	// Any decision will do (a loaded machine can make the stable profile
	// MARGINAL): the evidence must travel and verify to the same answer.
	g := govern(t, w, scenario{profile: substrate.Stable, flags: []string{"--timeout", "4m"}, code: -1})
	want := map[policy.Decision]int{policy.Allow: 0, policy.Marginal: 3, policy.Refuse: 1}[g.pred.Decision]
	hidden := 0
	for _, f := range g.pred.Artifacts.Files {
		if strings.HasPrefix(f.Name, ".massgen/") {
			hidden++
		}
	}
	if hidden == 0 {
		t.Fatal("the MassGen run attests no file under .massgen/")
	}
	work := t.TempDir()
	archive := filepath.Join(work, "run.oci.tar")
	if res := w.run(t, work, time.Minute, "pack", g.dir, "-o", archive); res.code != 0 {
		t.Fatalf("pack exit %d: %s", res.code, res.stderr)
	}
	run, err := ocipack.OpenFile(context.Background(), archive)
	if err != nil {
		t.Fatal(err)
	}
	inLayer := 0
	err = fs.WalkDir(run.Files, ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && strings.HasPrefix(name, ".massgen/") {
			inLayer++
		}
		return err
	})
	run.Close()
	if err != nil || inLayer != hidden {
		t.Fatalf("the layer holds %d files under .massgen/, the run attests %d (%v)", inLayer, hidden, err)
	}
	if err := os.RemoveAll(g.dir); err != nil {
		t.Fatal(err)
	}
	if res := w.run(t, work, time.Minute, "verify", archive, "--key", w.pub, "--policy", w.policy, "--run-id", g.pred.Run.ID); res.code != want {
		t.Fatalf("verify of the archive exit %d, want %d:\n%s%s", res.code, want, res.stdout, res.stderr)
	}
	reg, err := testkit.StartRegistry(testkit.Olareg, olareg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Stop()
	res := w.run(t, work, time.Minute, "push", archive, "oci://"+reg.Addr+"/massgen/runs:"+g.pred.Run.ID, "--plain-http")
	if res.code != 0 {
		t.Fatalf("push exit %d: %s", res.code, res.stderr)
	}
	ref := "oci://" + strings.TrimSpace(res.stdout)
	if res := w.run(t, work, time.Minute, "verify", ref, "--plain-http", "--key", w.pub, "--policy", w.policy, "--run-id", g.pred.Run.ID); res.code != want {
		t.Fatalf("verify %s exit %d:\n%s%s", ref, res.code, res.stdout, res.stderr)
	}
	pulled := filepath.Join(work, "pulled")
	if res := w.run(t, work, time.Minute, "pull", ref, "--plain-http", "-o", pulled); res.code != 0 {
		t.Fatalf("pull exit %d: %s", res.code, res.stderr)
	}
	verifyBundle(t, w, pulled, want)
}
