package verify_test

import (
	"slices"
	"strings"
	"testing"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

// TestGradeSkippedOnlyWhenAsked: when the checks after dsse.threshold or
// policy.conformance cannot run, policy.grade is reported (as skipped) if
// and only if a grading policy was given. Kills the negations of
// `GradePolicy == nil` in skipRest (verify.go) and of `GradePolicy != nil`
// after a failed conformance (policy.go).
func TestGradeSkippedOnlyWhenAsked(t *testing.T) {
	f := newFixture(t, policy.Allow)
	edited := f.resign(t, func(p *attest.Predicate) {
		p.Reasons[1].Message = "restarts were not counted"
	}, nil)
	for _, tc := range []struct {
		name   string
		bundle []byte
		keys   []*keys.Public
		failed string
	}{
		{"threshold not met", f.bundle, []*keys.Public{f.other.Public()}, verify.CheckThreshold},
		{"conformance failed", edited, nil, verify.CheckPolicyConformance},
	} {
		for _, grade := range []bool{false, true} {
			opts := verify.Options{Keys: tc.keys}
			want := verify.Status("")
			if grade {
				opts.GradePolicy, want = looserPolicy(t), verify.Skip
			}
			rep := f.verify(t, tc.bundle, opts)
			if got := failedIDs(rep); len(got) != 1 || got[0] != tc.failed {
				t.Fatalf("%s: failed %v, want [%s]", tc.name, got, tc.failed)
			}
			if got := status(rep, verify.CheckPolicyGrade); got != want {
				t.Errorf("%s, grade policy given %v: policy.grade %q, want %q", tc.name, grade, got, want)
			}
			if got := status(rep, verify.CheckDecisionAdmissible); got != verify.Skip {
				t.Errorf("%s: decision.admissible %q, want skip", tc.name, got)
			}
		}
	}
}

// unlisted re-signs the fixture's statement without its per-file list (as
// for a set too large to list), with the subject's Merkle root set to root
// ("" keeps it).
func unlisted(t *testing.T, f *fixture, root string) []byte {
	t.Helper()
	return f.restatement(t, f.signer, attest.PayloadType, func(st map[string]any) {
		delete(predicate(st)["artifacts"].(map[string]any), "files")
		if root != "" {
			subj := st["subject"].([]any)[0].(map[string]any)
			subj["digest"].(map[string]any)[attest.DigestMerkle] = root
		}
	})
}

// TestUnlistedWrongMerkleRoot: an unlisted set is bound by both subject
// digests and its derived files are checked only against the attested set. A trusted signer's wrong Merkle root beside the right sha256
// fails artifacts.digest (unlisted.go: both digests must match the disk),
// and hashes.json is then not vouched for from the disk (evidence.go: the
// disk's files stand in for the list only once artifacts.digest passed).
func TestUnlistedWrongMerkleRoot(t *testing.T) {
	f := newFixture(t, policy.Allow)
	listed := parsePredicate(t, f.bundle)
	sums := listed.Set().Sums()
	line := unlisted(t, f, "")
	// manifest.json and hashes.json as Attest writes them for an unlisted set.
	derived, err := attest.DerivedJSON(parsePredicate(t, line), sums.Digest, sums.Root, listed.Artifacts.Files)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range derived {
		write(t, f.dir, d.Name, string(d.Data))
	}
	rep := f.verify(t, line, verify.Options{})
	if !rep.Verified() {
		for _, c := range rep.Failed() {
			t.Logf("%s: %s", c.ID, c.Reason)
		}
		t.Fatal("the unlisted bundle does not verify")
	}
	// A changed top-level file fails artifacts.digest alone: hashes.json,
	// which agrees with the attested set, is not judged against the disk's
	// unattested list (that would blame it for the change).
	write(t, f.dir, "command_stdout.log", "changed\n")
	rep = f.verify(t, line, verify.Options{})
	if got := failedIDs(rep); !slices.Equal(got, []string{verify.CheckArtifacts}) {
		for _, c := range rep.Failed() {
			t.Logf("%s: %s", c.ID, c.Reason)
		}
		t.Fatalf("changed file: failed %v, want [%s]", got, verify.CheckArtifacts)
	}
	if c := rep.Failed()[0]; !slices.Equal(c.Changed, []string{"command_stdout.log"}) {
		t.Errorf("changed %v, want [command_stdout.log]", c.Changed)
	}
	write(t, f.dir, "command_stdout.log", "hello\n")

	rep = f.verify(t, unlisted(t, f, strings.Repeat("0", 64)), verify.Options{})
	if got := failedIDs(rep); !slices.Equal(got, []string{verify.CheckArtifacts, verify.CheckEvidence}) {
		t.Fatalf("failed %v, want [%s %s]", got, verify.CheckArtifacts, verify.CheckEvidence)
	}
	for _, c := range rep.Failed() {
		switch {
		case c.ID == verify.CheckArtifacts && !strings.HasPrefix(c.Reason, "artifact set differs from the attested digests (6 file(s) on disk, 6 attested)"):
			t.Errorf("%s: %s", c.ID, c.Reason)
		case c.ID == verify.CheckEvidence && c.Reason != "manifest.json does not match the attested artifact set":
			t.Errorf("%s: %s", c.ID, c.Reason)
		}
	}
}

func parsePredicate(t *testing.T, line []byte) *attest.Predicate {
	t.Helper()
	envs, err := attest.ParseBundle(line)
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.ParseStatement(envs[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	pred, err := attest.ParsePredicate(st.Predicate)
	if err != nil {
		t.Fatal(err)
	}
	return pred
}
