package keys

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestVerifyRefusesMislabelledKeys: a Public whose algorithm label does not
// match its key (as only code can build one) never verifies, not even a
// good signature, and a nil key is refused without a panic.
func TestVerifyRefusesMislabelledKeys(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "keys", "ecdsa-p256.pem"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParsePrivate(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("message")
	sig, err := s.Sign(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	pub := s.Public()
	if err := pub.Verify(msg, sig); err != nil {
		t.Fatalf("control: %v", err)
	}
	p384, err := os.ReadFile(filepath.Join("..", "testdata", "keys", "ecdsa-p384.pub"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(p384)
	k384, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]*Public{
		"P-256 key labelled ed25519":    {ID: pub.ID, Algorithm: Ed25519, Key: pub.Key},
		"nil ECDSA key":                 {ID: pub.ID, Algorithm: ECDSAP256, Key: (*ecdsa.PublicKey)(nil)},
		"P-384 key labelled ecdsa-p256": {ID: pub.ID, Algorithm: ECDSAP256, Key: k384},
	} {
		if err := p.Verify(msg, sig); !errors.Is(err, ErrUnsupportedKey) {
			t.Errorf("%s: %v, want ErrUnsupportedKey", name, err)
		}
	}
}
