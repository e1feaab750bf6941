package verify_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

// TestReportAnswers pins Verified, Admissible and Decision: integrity and
// admissibility are separate answers a consumer reads without matching
// check ids.
func TestReportAnswers(t *testing.T) {
	for _, tt := range []struct {
		decision             policy.Decision
		allowMarginal        bool
		verified, admissible bool
	}{
		{policy.Allow, false, true, true},
		{policy.Marginal, false, true, false},
		{policy.Marginal, true, true, true},
		{policy.Refuse, false, true, false},
	} {
		f := newFixture(t, tt.decision)
		rep := f.verify(t, f.bundle, verify.Options{AllowMarginal: tt.allowMarginal})
		if rep.Verified() != tt.verified || rep.Admissible() != tt.admissible || rep.Decision() != tt.decision {
			t.Errorf("%s (allow marginal %v): verified %v admissible %v decision %s, want %v %v %s", tt.decision, tt.allowMarginal,
				rep.Verified(), rep.Admissible(), rep.Decision(), tt.verified, tt.admissible, tt.decision)
		}
		if len(rep.IntegrityFailures()) != 0 {
			t.Errorf("%s: failures %v on an untouched bundle", tt.decision, failedIDs(rep))
		}
	}

	f := newFixture(t, policy.Allow)
	if err := os.WriteFile(f.dir+"/planted.txt", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := f.verify(t, f.bundle, verify.Options{})
	if rep.Verified() || rep.Admissible() {
		t.Errorf("added artifact: verified %v admissible %v, want false false", rep.Verified(), rep.Admissible())
	}
	if fs := rep.IntegrityFailures(); len(fs) != 1 || fs[0].ID != verify.CheckArtifacts {
		t.Errorf("failures %v, want [%s]", failedIDs(rep), verify.CheckArtifacts)
	}
	var zero verify.Report
	if zero.Verified() || zero.Admissible() {
		t.Error("the zero Report is verified or admissible")
	}
}

// TestEnvelopeTrust pins the typed per-envelope trust: which keys
// verified, and each signature's outcome by index.
func TestEnvelopeTrust(t *testing.T) {
	f := newFixture(t, policy.Allow)
	rep := f.verify(t, f.bundle, verify.Options{})
	e := rep.Envelopes[0]
	if !e.Trusted || len(e.Signers) != 1 || e.Signers[0] != f.trusted.ID {
		t.Errorf("trusted %v signers %v, want true [%s]", e.Trusted, e.Signers, f.trusted.ID)
	}
	if len(e.Signatures) != 1 || e.Signatures[0] != (verify.SignatureResult{Index: 1, KeyID: f.trusted.ID, Status: verify.Pass, Reason: "verified by trusted key " + f.trusted.ID}) {
		t.Errorf("signatures %+v", e.Signatures)
	}

	_, other := fixedKey(t, "ecdsa-p256.pem")
	rep = f.verify(t, f.bundle, verify.Options{Keys: []*keys.Public{other}})
	e = rep.Envelopes[0]
	if e.Trusted || len(e.Signers) != 0 || rep.Verified() {
		t.Errorf("untrusted key: trusted %v signers %v verified %v, want false [] false", e.Trusted, e.Signers, rep.Verified())
	}
	if len(e.Signatures) != 1 || e.Signatures[0].Status != verify.Skip || e.Signatures[0].KeyID != f.trusted.ID {
		t.Errorf("untrusted key: signatures %+v, want one skipped with the hint %s", e.Signatures, f.trusted.ID)
	}
}

// TestBundleCancelled: a cancelled verification returns the report it
// has, which answers neither verified nor admissible.
func TestBundleCancelled(t *testing.T) {
	f := newFixture(t, policy.Allow)
	root, err := os.OpenRoot(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := verify.Bundle(ctx, f.bundle, verify.Options{Keys: []*keys.Public{f.trusted}, Artifacts: artifacts.RootFS(root)})
	if rep == nil {
		t.Fatal("nil report on a cancelled context")
	}
	if !errors.Is(err, context.Canceled) || !errors.Is(rep.Err(), context.Canceled) {
		t.Errorf("error %v, report error %v, want context.Canceled", err, rep.Err())
	}
	if rep.Verified() || rep.Admissible() {
		t.Error("a cancelled verification is verified or admissible")
	}
}
