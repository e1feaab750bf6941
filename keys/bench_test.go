package keys

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"
)

// BenchmarkSign and BenchmarkVerify measure the DSSE hot path over a 4 KiB
// PAE message for each algorithm; the stdlib-* cases are the baseline of
// calling crypto/ecdsa and crypto/ed25519 directly.
func BenchmarkSign(b *testing.B) {
	msg := make([]byte, 4096)
	rand.Read(msg)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b.Run("stdlib-ecdsa-p256", func(b *testing.B) {
		for b.Loop() {
			d := sha256.Sum256(msg)
			if _, err := ecdsa.SignASN1(rand.Reader, ec, d[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	b.Run("stdlib-ed25519", func(b *testing.B) {
		for b.Loop() {
			ed25519.Sign(ed, msg)
		}
	})
	for _, name := range []string{"ecdsa-p256", "ed25519"} {
		s, err := ParsePrivate(testKey(b, name+".pem"), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Sign(context.Background(), msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	msg := make([]byte, 4096)
	rand.Read(msg)
	for _, name := range []string{"ecdsa-p256", "ed25519"} {
		s, err := ParsePrivate(testKey(b, name+".pem"), nil)
		if err != nil {
			b.Fatal(err)
		}
		sig, err := s.Sign(context.Background(), msg)
		if err != nil {
			b.Fatal(err)
		}
		p := s.Public()
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := p.Verify(msg, sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecrypt measures loading an encrypted key (scrypt N=2^16).
func BenchmarkDecrypt(b *testing.B) {
	key := testKey(b, "ecdsa-p256-encrypted.pem")
	for b.Loop() {
		if _, err := ParsePrivate(key, []byte(testPassword)); err != nil {
			b.Fatal(err)
		}
	}
}
