package verify_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

// These tests kill mutants that gremlins (make mutation) found alive in
// verify: each pins an answer no other test looked at.

// stopAfter is a context whose Err starts reporting Canceled after its
// first n calls, so a verification stops at a known envelope.
type stopAfter struct {
	context.Context
	n, calls atomic.Int32
}

func (c *stopAfter) Err() error {
	if c.calls.Add(1) > c.n.Load() {
		return context.Canceled
	}
	return nil
}

// TestInterruptedIsNotVerified: a verification stopped after the first of
// two good envelopes is neither verified nor admissible, and says why.
func TestInterruptedIsNotVerified(t *testing.T) {
	f := newFixture(t, policy.Allow)
	bundle := append(slices.Clone(f.bundle), f.bundle...)
	ctx := &stopAfter{Context: context.Background()}
	ctx.n.Store(1)
	rep, _ := f.verifyCtx(t, ctx, bundle, verify.Options{})
	if len(rep.Envelopes) != 1 {
		t.Fatalf("%d envelopes checked, want 1 before the stop", len(rep.Envelopes))
	}
	if len(rep.IntegrityFailures()) != 0 {
		t.Fatalf("failures %v: the first envelope is good", failedIDs(rep))
	}
	if rep.Verified() || rep.Admissible() {
		t.Fatalf("interrupted: verified %v admissible %v, want false false", rep.Verified(), rep.Admissible())
	}
	if err := rep.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err() = %v, want context.Canceled", err)
	}
}

// TestDecisionIsTheWorstEnvelope: a bundle attesting ALLOW and REFUSE
// (in either order) reports REFUSE, and MARGINAL beside ALLOW reports MARGINAL.
func TestDecisionIsTheWorstEnvelope(t *testing.T) {
	line := func(d policy.Decision) []byte { return newFixture(t, d).bundle }
	for _, tt := range []struct {
		lines []policy.Decision
		want  policy.Decision
	}{
		{[]policy.Decision{policy.Allow, policy.Refuse}, policy.Refuse},
		{[]policy.Decision{policy.Refuse, policy.Allow}, policy.Refuse},
		{[]policy.Decision{policy.Allow, policy.Marginal, policy.Allow}, policy.Marginal},
		{[]policy.Decision{policy.Marginal, policy.Refuse, policy.Allow}, policy.Refuse},
	} {
		f := newFixture(t, tt.lines[0])
		var bundle []byte
		for _, d := range tt.lines {
			bundle = append(bundle, line(d)...)
		}
		rep := f.verify(t, bundle, verify.Options{})
		if len(rep.Envelopes) != len(tt.lines) {
			t.Fatalf("%v: %d envelopes", tt.lines, len(rep.Envelopes))
		}
		for i, e := range rep.Envelopes {
			if e.Decision != tt.lines[i] {
				t.Fatalf("%v: envelope %d attests %s", tt.lines, i+1, e.Decision)
			}
		}
		if got := rep.Decision(); got != tt.want {
			t.Errorf("%v: Decision() = %s, want %s", tt.lines, got, tt.want)
		}
	}
}

// TestExpectedRunID: Options.RunID binds the bundle to one run; a bundle of
// another run fails statement.subject, naming both runs.
func TestExpectedRunID(t *testing.T) {
	f := newFixture(t, policy.Allow)
	pred := parsePredicate(t, f.bundle)
	rep := f.verify(t, f.bundle, verify.Options{RunID: pred.Run.ID})
	if len(rep.IntegrityFailures()) != 0 {
		t.Fatalf("the expected run: failures %v", failedIDs(rep))
	}
	rep = f.verify(t, f.bundle, verify.Options{RunID: "other-run"})
	if got := failedIDs(rep); !slices.Equal(got, []string{verify.CheckSubject}) {
		t.Fatalf("another run: failed %v, want [%s]", got, verify.CheckSubject)
	}
	if r := rep.Failed()[0].Reason; !strings.Contains(r, `"`+pred.Run.ID+`"`) || !strings.Contains(r, `"other-run"`) {
		t.Fatalf("reason %q does not name both runs", r)
	}
}

// TestSignatureIndexes: each dsse.signature check names its signature's
// 1-based index and the key that made it.
func TestSignatureIndexes(t *testing.T) {
	f := newFixture(t, policy.Allow)
	envs, _ := attest.ParseBundle(f.bundle)
	line := resignTwice(t, envs[0])
	rep := f.verify(t, line, verify.Options{Keys: []*keys.Public{f.trusted, f.other.Public()}})
	var got []int
	for _, c := range rep.Checks {
		if c.ID == verify.CheckSignature {
			got = append(got, c.Signature)
			if c.KeyID != f.trusted.ID {
				t.Errorf("signature %d names key %q, want %s", c.Signature, c.KeyID, f.trusted.ID)
			}
		}
	}
	if !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("signature indexes %v, want [1 2]", got)
	}
}

// verifyCtx verifies bundle against the fixture's run directory (trusting
// its key unless opts names keys) under ctx; it fails t when there is no report.
func (f *fixture) verifyCtx(t *testing.T, ctx context.Context, bundle []byte, opts verify.Options) (*verify.Report, error) {
	t.Helper()
	if opts.Keys == nil {
		opts.Keys = []*keys.Public{f.trusted}
	}
	root, err := os.OpenRoot(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	opts.Artifacts = artifacts.RootFS(root)
	rep, err := verify.Bundle(ctx, bundle, opts)
	if rep == nil {
		t.Fatalf("no report: %v", err)
	}
	return rep, err
}

// TestKeyIDIsOnlyAHint: a signature whose keyid is empty or names no
// trusted key still verifies with the key that made it. (One naming another
// trusted key fails: SPEC.md, dsse.signature.)
func TestKeyIDIsOnlyAHint(t *testing.T) {
	f := newFixture(t, policy.Allow)
	envs, _ := attest.ParseBundle(f.bundle)
	other := f.other.Public()
	for _, hint := range []string{"", "SHA256:not-a-key"} {
		env := envs[0].Envelope
		env.Signatures = slices.Clone(env.Signatures)
		env.Signatures[0].KeyID = hint
		line, err := jsonLine(env)
		if err != nil {
			t.Fatal(err)
		}
		rep := f.verify(t, line, verify.Options{Keys: []*keys.Public{other, f.trusted}})
		if !rep.Verified() || len(rep.Envelopes) != 1 || !slices.Equal(rep.Envelopes[0].Signers, []string{f.trusted.ID}) {
			t.Errorf("keyid hint %q: verified %v, failed %v", hint, rep.Verified(), failedIDs(rep))
		}
	}
}
