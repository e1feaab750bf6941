package verify

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/keys"
)

// Tests that kill the mutants gremlins left alive in verify at 2ddf39f:
// the exact bounds of the signature budget and of the ECDSA shape test, the
// order signatures are checked in, and the words of the threshold failure.

// TestIsHex64Exact: a subject digest is 64 lower-case hex digits, no other
// byte (statement.go: the loop bound and both ranges).
func TestIsHex64Exact(t *testing.T) {
	ok := strings.Repeat("0123456789abcdef", 4)
	if !isHex64(ok) {
		t.Fatalf("%q refused", ok)
	}
	for _, c := range []string{"g", "A", "F", "/", ":", "`", "z", " "} {
		for _, at := range []int{0, 63} {
			s := ok[:at] + c + ok[at+1:]
			if isHex64(s) {
				t.Errorf("%q accepted", s)
			}
		}
	}
}

// der is an ECDSA-shaped signature of n bytes: SEQUENCE of length n-2.
func der(n int) []byte {
	b := make([]byte, n)
	b[0] = 0x30
	if n > 1 {
		b[1] = byte(n - 2)
	}
	return b
}

// TestFitsECDSAExact: an ECDSA P-256 signature is a DER SEQUENCE of 8 to 72
// bytes; shorter input is refused before its length byte is read.
func TestFitsECDSAExact(t *testing.T) {
	for _, tc := range []struct {
		sig  []byte
		want bool
	}{
		{nil, false},
		{[]byte{0x30}, false}, // reading sig[1] would panic
		{der(7), false},
		{der(8), true},
		{der(72), true},
		{der(73), false},
		{der(100), false},
		{append([]byte{0x31}, der(70)[1:]...), false},
		{[]byte{0x30, 70, 0, 0, 0, 0, 0, 0, 0, 0}, false},
	} {
		if got := fits(keys.ECDSAP256, tc.sig); got != tc.want {
			t.Errorf("fits(ECDSA, %d bytes % x...) = %v, want %v", len(tc.sig), tc.sig[:min(2, len(tc.sig))], got, tc.want)
		}
	}
}

// TestSignatureBudgetFigure: every trusted key tried twice, plus four.
func TestSignatureBudgetFigure(t *testing.T) {
	for trusted, want := range map[int]int{1: 6, 2: 8, 3: 10, 10: 24} {
		if got := maxSignatureChecks(trusted); got != want {
			t.Errorf("maxSignatureChecks(%d) = %d, want %d", trusted, got, want)
		}
	}
}

// TestBudgetSkipNamesTheBound: with three trusted keys and hint-less junk,
// exactly ten verifications are made and the rest are skipped naming 10.
func TestBudgetSkipNamesTheBound(t *testing.T) {
	_, pubs := ecdsaKeys(t, 3)
	rep, _ := Bundle(context.Background(), junkLine(t, 8, ""), Options{Keys: pubs, UnsafeSkipArtifacts: true})
	if rep == nil {
		t.Fatal("no report")
	}
	if rep.sigChecks != 10 {
		t.Errorf("%d signature checks, want 10", rep.sigChecks)
	}
	n := 0
	for _, c := range rep.Checks {
		if c.ID == CheckSignature {
			n++
			if c.Status != Skip {
				t.Errorf("signature %d: %s", c.Signature, c.Status)
			}
			if c.Signature >= 5 && c.Reason != "not checked: more than 10 signature checks in one envelope" {
				t.Errorf("signature %d: %q", c.Signature, c.Reason)
			}
			if c.Signature <= 4 && !strings.HasPrefix(c.Reason, "not made by a trusted key") {
				t.Errorf("signature %d: %q", c.Signature, c.Reason)
			}
		}
	}
	if n != 8 {
		t.Fatalf("%d dsse.signature checks, want 8", n)
	}
}

// sign signs the junkLine payload with s.
func sign(t *testing.T, s *keys.Signer, hint string) attest.Signature {
	t.Helper()
	pe := &attest.ParsedEnvelope{Envelope: attest.Envelope{PayloadType: attest.PayloadType}, Body: []byte(`{"x":1}`)}
	sig, err := s.Sign(context.Background(), pe.PAE())
	if err != nil {
		t.Fatal(err)
	}
	return attest.Signature{KeyID: hint, Sig: base64.StdEncoding.EncodeToString(sig)}
}

// sigResults verifies line and returns its dsse.signature checks by index.
func sigResults(t *testing.T, line []byte, opts Options) (*Report, []Check) {
	t.Helper()
	opts.UnsafeSkipArtifacts = true
	rep, _ := Bundle(context.Background(), line, opts)
	if rep == nil {
		t.Fatal("no report")
	}
	var out []Check
	for _, c := range rep.Checks {
		if c.ID == CheckSignature {
			out = append(out, c)
		}
	}
	return rep, out
}

// thresholdMet reports whether dsse.threshold passed (the junk payload is
// no statement, so the checks after it fail).
func thresholdMet(rep *Report) bool {
	for _, c := range rep.Checks {
		if c.ID == CheckThreshold {
			return c.Status == Pass
		}
	}
	return false
}

// TestHintedSignaturesFirst: a signature whose keyid names a trusted key is
// checked before hint-less junk, so the junk cannot spend the budget first
// (signature.go: the pass order). One verification, the threshold met.
func TestHintedSignaturesFirst(t *testing.T) {
	ss, pubs := ecdsaKeys(t, 1)
	line := junkLine(t, 7, "", sign(t, ss[0], pubs[0].ID))
	rep, sigs := sigResults(t, line, Options{Keys: pubs})
	if !thresholdMet(rep) {
		t.Fatalf("threshold not met: %v", rep.Failed())
	}
	if rep.sigChecks != 1 {
		t.Errorf("%d signature checks, want 1", rep.sigChecks)
	}
	if sigs[0].Status != Pass || sigs[1].Reason != "not checked: the threshold of 1 was already met" {
		t.Errorf("signature 1 %s, signature 2 %q", sigs[0].Status, sigs[1].Reason)
	}
}

// TestVerifiedStopsTheSearch: a hint-less signature made by the first
// trusted key costs one verification, not one per key (the break after a
// key verified, and the counter's direction).
func TestVerifiedStopsTheSearch(t *testing.T) {
	ss, pubs := ecdsaKeys(t, 3)
	rep, sigs := sigResults(t, junkLine(t, 0, "", sign(t, ss[0], "")), Options{Keys: pubs})
	if !thresholdMet(rep) || sigs[0].Status != Pass || sigs[0].KeyID != pubs[0].ID {
		t.Fatalf("threshold met %v, signature %+v", thresholdMet(rep), sigs[0])
	}
	if rep.sigChecks != 1 {
		t.Errorf("%d signature checks, want 1", rep.sigChecks)
	}
}

// TestThresholdOutOfReach: with a threshold of 2 and two signatures, once
// the first fails the second cannot make the threshold and is not checked
// (signature.go: left counts this signature and those after it).
func TestThresholdOutOfReach(t *testing.T) {
	ss, pubs := ecdsaKeys(t, 2)
	bad := attest.Signature{KeyID: pubs[0].ID, Sig: base64.StdEncoding.EncodeToString(junkECDSA(t))}
	line := junkLine(t, 0, "", bad, sign(t, ss[1], pubs[1].ID))
	rep, sigs := sigResults(t, line, Options{Keys: pubs, Threshold: 2})
	if thresholdMet(rep) || len(sigs) != 2 {
		t.Fatalf("threshold met %v, %d signatures", thresholdMet(rep), len(sigs))
	}
	if sigs[0].Status != Fail || sigs[1].Status != Skip || sigs[1].Reason != "not checked: the threshold of 2 can no longer be met" {
		t.Errorf("signature 1 %s %q, signature 2 %s %q", sigs[0].Status, sigs[0].Reason, sigs[1].Status, sigs[1].Reason)
	}
	if rep.sigChecks != 1 {
		t.Errorf("%d signature checks, want 1", rep.sigChecks)
	}
}

// TestCountedKeyNotTriedAgain: a hint-less copy of a signature by a key
// already counted is tried only with the keys not yet counted, so it is
// ignored, not reported as a duplicate (candidates: !counted && fits).
func TestCountedKeyNotTriedAgain(t *testing.T) {
	ss, pubs := ecdsaKeys(t, 2)
	s := sign(t, ss[0], pubs[0].ID)
	copied := attest.Signature{Sig: s.Sig}
	rep, sigs := sigResults(t, junkLine(t, 0, "", s, copied), Options{Keys: pubs, Threshold: 2})
	if thresholdMet(rep) || len(sigs) != 2 {
		t.Fatalf("threshold met %v, %d signatures", thresholdMet(rep), len(sigs))
	}
	if sigs[0].Status != Pass || sigs[1].Status != Skip || !strings.HasPrefix(sigs[1].Reason, "not made by a trusted key") {
		t.Errorf("signature 1 %s, signature 2 %s %q", sigs[0].Status, sigs[1].Status, sigs[1].Reason)
	}
	if rep.sigChecks != 2 {
		t.Errorf("%d signature checks, want 2", rep.sigChecks)
	}
}

// TestWhoSignedWords: the threshold failure quotes the keyids of the
// signatures that did not pass, or says none named a trusted key.
func TestWhoSignedWords(t *testing.T) {
	v := &verifier{keys: []*keys.Public{{ID: "SHA256:a"}, {ID: "SHA256:b"}}}
	const tail = "; trusted: SHA256:a, SHA256:b (pass the signer's public key with --key)"
	for _, tc := range []struct {
		sigs []SignatureResult
		want string
	}{
		{nil, "the signatures name no trusted key" + tail},
		{[]SignatureResult{{Status: Pass, KeyID: "SHA256:a"}}, "the signatures name no trusted key" + tail},
		{[]SignatureResult{{Status: Pass, KeyID: "SHA256:a"}, {Status: Skip, KeyID: "x"}, {Status: Fail, KeyID: "SHA256:b"}},
			`signed by key id "x", "SHA256:b"` + tail},
	} {
		if got := v.whoSigned(tc.sigs); got != tc.want {
			t.Errorf("whoSigned = %q, want %q", got, tc.want)
		}
	}
}

// TestConfigDigestOnlyForMassGen: a command run's configDigest binds no
// file; only a MassGen run must attest massgen_config.yaml.
func TestConfigDigestOnlyForMassGen(t *testing.T) {
	const a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	p := &attest.Predicate{Run: attest.Run{Runner: "command", ConfigDigest: map[string]string{"sha256": a}}}
	if got := configProblem(p); got != "" {
		t.Errorf("command run: %q", got)
	}
	p.Artifacts.Files = []artifacts.File{{Name: massgenConfigName, SHA256: strings.Repeat("b", 64)}}
	if got := configProblem(p); got != "" {
		t.Errorf("command run with a config file: %q", got)
	}
	p.Run.Runner = "massgen"
	if got := configProblem(p); !strings.Contains(got, "is not the config MassGen was given") {
		t.Errorf("massgen run: %q", got)
	}
}
