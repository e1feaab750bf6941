package verify_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

// TestLargeSetVerifies: a run of 60,000 files (issue 11, case 1: from
// 57,000 files on, verify rejected what attest wrote) is attested without
// the per-file list in the predicate, verifies, and a changed file is
// still named, from SHA256SUMS; without SHA256SUMS the check says it cannot
// name the files.
func TestLargeSetVerifies(t *testing.T) {
	if testing.Short() {
		t.Skip("60,000 files")
	}
	s, pub := fixedKey(t, "ed25519.pem")
	dir := testkit.RunDir(t)
	const n = 60000
	for i := range n {
		p := filepath.Join(dir, "many", fmt.Sprintf("%02d", i%100), fmt.Sprintf("file-%05d.txt", i))
		if i < 100 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintln(i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := testkit.Attest(t, dir, policy.Allow, s)
	if res.Predicate.Listed() || res.Predicate.Artifacts.Count < n {
		t.Fatalf("listed %v, count %d", res.Predicate.Listed(), res.Predicate.Artifacts.Count)
	}
	bundle, err := os.ReadFile(res.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	if len(bundle) > 64<<10 {
		t.Fatalf("bundle of %d bytes: the file list went into the predicate", len(bundle))
	}
	f := &fixture{dir: dir, bundle: bundle, trusted: pub}
	want := func(ids ...string) *verify.Report {
		t.Helper()
		rep := f.verify(t, bundle, verify.Options{})
		if got := failedOnce(rep); !slices.Equal(got, ids) {
			for _, c := range rep.Failed() {
				t.Logf("%s: %s", c.ID, c.Reason)
			}
			t.Fatalf("failed %v, want %v", got, ids)
		}
		return rep
	}
	want()

	changed := filepath.Join(dir, "many", "42", "file-04242.txt")
	if err := os.WriteFile(changed, []byte("4243\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := want(verify.CheckArtifacts)
	for _, c := range rep.Failed() {
		if !slices.Equal(c.Changed, []string{"many/42/file-04242.txt"}) {
			t.Fatalf("changed %v", c.Changed)
		}
	}
	sums := filepath.Join(dir, attest.SumsName)
	saved, err := os.ReadFile(sums)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(sums); err != nil {
		t.Fatal(err)
	}
	rep = want(verify.CheckArtifacts)
	if c := rep.Failed()[0]; !strings.Contains(c.Reason, "cannot be named") {
		t.Fatalf("reason %q", c.Reason)
	}
	if err := os.WriteFile(changed, []byte("4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want()
	forged := bytes.Replace(saved, []byte("  many/00/file-00000.txt"), []byte("  many/00/file-00000.TXT"), 1)
	if err := os.WriteFile(sums, forged, 0o644); err != nil {
		t.Fatal(err)
	}
	want(verify.CheckEvidence)
}
