package verify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"testing"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/keys"
)

// junkECDSA is a well-formed ASN.1 DER ECDSA P-256 signature that no key
// made: it passes every shape test and costs a full verification.
func junkECDSA(t testing.TB) []byte {
	t.Helper()
	r, s := make([]byte, 32), make([]byte, 32)
	rand.Read(r)
	rand.Read(s)
	r[0], s[0] = r[0]&0x7f|0x01, s[0]&0x7f|0x01
	b := []byte{0x30, 68, 0x02, 32}
	b = append(b, r...)
	b = append(b, 0x02, 32)
	return append(b, s...)
}

func ecdsaKeys(t testing.TB, n int) ([]*keys.Signer, []*keys.Public) {
	t.Helper()
	var ss []*keys.Signer
	var ps []*keys.Public
	for range n {
		priv, _, err := keys.Generate(keys.ECDSAP256, nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := keys.ParsePrivate(priv, nil)
		if err != nil {
			t.Fatal(err)
		}
		ss, ps = append(ss, s), append(ps, s.Public())
	}
	return ss, ps
}

// junkLine is one envelope with n junk signatures, each with the given
// keyid hint, after the signatures in first (base64, keyid pairs).
func junkLine(t testing.TB, n int, hint string, first ...attest.Signature) []byte {
	t.Helper()
	env := attest.Envelope{PayloadType: attest.PayloadType, Payload: base64.StdEncoding.EncodeToString([]byte(`{"x":1}`))}
	env.Signatures = append(env.Signatures, first...)
	for range n {
		env.Signatures = append(env.Signatures, attest.Signature{KeyID: hint, Sig: base64.StdEncoding.EncodeToString(junkECDSA(t))})
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// TestSignatureChecksBounded: a bundle of envelopes full of well-formed
// junk ECDSA signatures costs at most maxSignatureChecks verifications per
// envelope, whatever the number of trusted keys it is checked against
// (issue 11, case 4: 3.5 minutes of CPU per trusted key before).
func TestSignatureChecksBounded(t *testing.T) {
	_, pubs := ecdsaKeys(t, 3)
	for _, tc := range []struct {
		name string
		hint string
	}{
		{"no keyid", ""},
		{"keyid of a trusted key", pubs[1].ID},
		{"unknown keyid", "SHA256:nobody"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const envelopes = 50
			var bundle bytes.Buffer
			for range envelopes {
				bundle.Write(junkLine(t, attest.MaxSignatures, tc.hint))
			}
			rep, _ := Bundle(context.Background(), bundle.Bytes(), Options{Keys: pubs, UnsafeSkipArtifacts: true})
			if rep == nil || rep.Verified() {
				t.Fatal("junk verified")
			}
			if limit := envelopes * maxSignatureChecks(len(pubs)); rep.sigChecks > limit {
				t.Fatalf("%d signature checks, want at most %d", rep.sigChecks, limit)
			}
			for _, c := range rep.Failed() {
				if c.ID != CheckThreshold && c.ID != CheckSignature {
					t.Fatalf("failed %s: %s", c.ID, c.Reason)
				}
			}
		})
	}
}

// TestSignatureVerdictEarly: checking stops once the threshold is met; an
// Ed25519 key is never tried on an ECDSA-shaped signature.
func TestSignatureVerdictEarly(t *testing.T) {
	ss, pubs := ecdsaKeys(t, 2)
	edPriv, err := os.ReadFile("../testdata/keys/ed25519.pem")
	if err != nil {
		t.Fatal(err)
	}
	ed, err := keys.ParsePrivate(edPriv, nil)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"x":1}`)
	pe := &attest.ParsedEnvelope{Envelope: attest.Envelope{PayloadType: attest.PayloadType}, Body: body}
	good, err := ss[0].Sign(context.Background(), pe.PAE())
	if err != nil {
		t.Fatal(err)
	}
	line := junkLine(t, 63, "", attest.Signature{Sig: base64.StdEncoding.EncodeToString(good)})
	trusted := append(pubs, ed.Public())
	rep, _ := Bundle(context.Background(), line, Options{Keys: trusted, UnsafeSkipArtifacts: true})
	if rep == nil {
		t.Fatal("no report")
	}
	// The good signature is first and has no hint: at most the two ECDSA
	// keys are tried, then the threshold of 1 is met and the rest skipped.
	if rep.sigChecks > 2 {
		t.Fatalf("%d signature checks, want at most 2", rep.sigChecks)
	}
	thr := false
	for _, c := range rep.Checks {
		thr = thr || c.ID == CheckThreshold && c.Status == Pass
	}
	if !thr {
		t.Fatal("threshold not met by the good signature")
	}
}

// BenchmarkJunkSignatures is the cost of a bundle of junk signatures per
// envelope of 64, with three trusted keys.
func BenchmarkJunkSignatures(b *testing.B) {
	_, pubs := ecdsaKeys(b, 3)
	line := junkLine(b, attest.MaxSignatures, "")
	for b.Loop() {
		Bundle(context.Background(), line, Options{Keys: pubs, UnsafeSkipArtifacts: true})
	}
}
