package keys

import (
	"bytes"
	"testing"
)

func addKeySeeds(f *testing.F) {
	for _, name := range []string{
		"ecdsa-p256.pem", "ecdsa-p256.pub", "ed25519.pem", "ed25519.pub", "sec1-p256.pem",
		"cosign-ecdsa.key", "rsa-2048.pub", "ecdsa-p384.pem",
	} {
		f.Add(testKey(f, name))
	}
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"))
}

// FuzzParsePublic: never panic; whatever parses re-encodes to a key that
// parses to the same id.
func FuzzParsePublic(f *testing.F) {
	addKeySeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePublic(data)
		if err != nil {
			if p != nil {
				t.Fatal("non-nil key with an error")
			}
			return
		}
		enc, err := EncodePublic(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := ParsePublic(enc)
		if err != nil || q.ID != p.ID {
			t.Fatalf("re-encoded key: %v, %v", q, err)
		}
		if !bytes.Contains(data, []byte("PUBLIC KEY")) {
			t.Fatal("parsed a file without a PUBLIC KEY block")
		}
	})
}

// FuzzParsePrivate: never panic; whatever parses signs, and its signature
// verifies. No password, so no scrypt runs.
func FuzzParsePrivate(f *testing.F) {
	addKeySeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParsePrivate(data, nil)
		if err != nil {
			if s != nil {
				t.Fatal("non-nil signer with an error")
			}
			return
		}
		sig, err := s.Sign(t.Context(), data)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Public().Verify(data, sig); err != nil {
			t.Fatal(err)
		}
	})
}
