package attest_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	ita1 "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
)

func TestAttestWritesEvidenceAndAStandardStatement(t *testing.T) {
	dir := testkit.RunDir(t)
	s1, _ := testkit.Key(t, keys.ECDSAP256)
	s2, _ := testkit.Key(t, keys.Ed25519)
	res := testkit.Attest(t, dir, policy.Marginal, s1, s2)

	for _, name := range []string{attest.DecisionName, attest.PolicyName, attest.ManifestName, attest.HashesName, attest.SumsName, attest.BundleName} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
	b, err := os.ReadFile(res.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	envs, err := attest.ParseBundle(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(envs) != 1 || len(envs[0].Sigs) != 2 {
		t.Fatalf("got %d envelopes, want 1 with 2 signatures", len(envs))
	}
	for i, s := range []*keys.Signer{s1, s2} {
		id, _ := s.KeyID()
		if envs[0].Signatures[i].KeyID != id {
			t.Errorf("signature %d keyid %q, want %q", i, envs[0].Signatures[i].KeyID, id)
		}
		if err := s.Public().Verify(envs[0].PAE(), envs[0].Sigs[i]); err != nil {
			t.Errorf("signature %d does not verify: %v", i, err)
		}
	}
	// The in-toto reference types accept the statement as it is.
	var st ita1.Statement
	if err := protojson.Unmarshal(envs[0].Body, &st); err != nil {
		t.Fatalf("protojson: %v", err)
	}
	if err := st.Validate(); err != nil {
		t.Fatalf("in-toto Validate: %v", err)
	}
	if st.GetPredicateType() != attest.PredicateType || len(st.GetSubject()) != 1 {
		t.Fatalf("predicateType %q subjects %d", st.GetPredicateType(), len(st.GetSubject()))
	}
	pst, err := attest.ParseStatement(envs[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	pred, err := attest.ParsePredicate(pst.Predicate)
	if err != nil {
		t.Fatal(err)
	}
	if pred.Decision != policy.Marginal || pred.Run.ID != "run-1" || pred.Artifacts.Count != 6 {
		t.Fatalf("decision %s run %q count %d, want MARGINAL run-1 6", pred.Decision, pred.Run.ID, pred.Artifacts.Count)
	}
	sums, _ := os.ReadFile(filepath.Join(dir, attest.SumsName))
	if got := pst.Subject[0].Digest["sha256"]; got != sha256hex(sums) {
		t.Fatalf("subject sha256 %s is not sha256(SHA256SUMS) %s", got, sha256hex(sums))
	}
	var d attest.Decision
	db, _ := os.ReadFile(filepath.Join(dir, attest.DecisionName))
	if err := json.Unmarshal(db, &d); err != nil || d.Decision != policy.Marginal {
		t.Fatalf("decision.json: %v %s", err, d.Decision)
	}
}

func TestAttestRefusesToOverwriteABundle(t *testing.T) {
	dir := testkit.RunDir(t)
	s, _ := testkit.Key(t, keys.Ed25519)
	res := testkit.Attest(t, dir, policy.Allow, s)
	before, _ := os.ReadFile(res.Bundle)
	_, err := attest.Attest(context.Background(), dir, attest.Options{
		Policy: testkit.Policy(t), Metrics: testkit.Metrics(policy.Refuse), Signers: nil,
	})
	if err == nil {
		t.Fatal("attest without signers succeeded")
	}
	_, err = attest.Attest(context.Background(), dir, attest.Options{
		Policy: testkit.Policy(t), Metrics: testkit.Metrics(policy.Refuse), Signers: dsse1(s),
	})
	if !errors.Is(err, attest.ErrBundleExists) {
		t.Fatalf("err = %v, want ErrBundleExists", err)
	}
	after, _ := os.ReadFile(res.Bundle)
	if string(before) != string(after) {
		t.Fatal("existing bundle changed")
	}
}

func TestAttestRefusesBadNamesAndLeavesNoBundle(t *testing.T) {
	dir := testkit.RunDir(t)
	if err := os.WriteFile(filepath.Join(dir, "artifacts", "bad\nname"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _ := testkit.Key(t, keys.Ed25519)
	_, err := attest.Attest(context.Background(), dir, attest.Options{
		Policy: testkit.Policy(t), Metrics: testkit.Metrics(policy.Allow), Signers: dsse1(s),
	})
	if err == nil {
		t.Fatal("attest accepted a name with a newline")
	}
	if _, err := os.Stat(filepath.Join(dir, attest.BundleName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("bundle exists after a failed attest: %v", err)
	}
}

func TestAttestRejectsBadRunID(t *testing.T) {
	dir := testkit.RunDir(t)
	s, _ := testkit.Key(t, keys.Ed25519)
	_, err := attest.Attest(context.Background(), dir, attest.Options{
		Policy: testkit.Policy(t), Metrics: testkit.Metrics(policy.Allow), Signers: dsse1(s),
		Run: attest.Run{ID: "../escape"},
	})
	if !errors.Is(err, attest.ErrBadRunID) {
		t.Fatalf("err = %v, want ErrBadRunID", err)
	}
}
