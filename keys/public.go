package keys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

const publicKeyPEMType = "PUBLIC KEY"

// ParsePublic parses a PKIX "PUBLIC KEY" PEM file holding exactly one
// block. Anything but whitespace around the block, PEM headers, a second
// block, a private key or a malformed key give an error wrapping
// ErrMalformedKey; a well-formed key of another algorithm or curve gives
// one wrapping ErrUnsupportedKey.
func ParsePublic(pemBytes []byte) (*Public, error) {
	block, err := decodeOne(pemBytes)
	if err != nil {
		return nil, err
	}
	if block.Type != publicKeyPEMType {
		if isPrivateType(block.Type) {
			return nil, fmt.Errorf("%w: %q is a private key, want a public key", ErrMalformedKey, block.Type)
		}
		return nil, fmt.Errorf("%w: PEM type %q, want %q", ErrMalformedKey, block.Type, publicKeyPEMType)
	}
	if len(block.Headers) != 0 {
		return nil, fmt.Errorf("%w: unexpected PEM headers", ErrMalformedKey)
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		// x509 reports unknown algorithms and bad encodings alike.
		return nil, fmt.Errorf("%w: %v", ErrMalformedKey, err)
	}
	return newPublic(key)
}

// EncodePublic returns p's key as a PKIX "PUBLIC KEY" PEM block. It
// returns an error wrapping ErrUnsupportedKey if p holds no supported key.
func EncodePublic(p *Public) ([]byte, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: no key", ErrUnsupportedKey)
	}
	if _, err := newPublic(p.Key); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(p.Key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: publicKeyPEMType, Bytes: der}), nil
}

// Verify checks sig over message (for DSSE, the PAE bytes). ECDSA P-256
// signatures are ASN.1 DER over SHA-256(message). Ed25519 signatures are
// pure Ed25519 (RFC 8032), as SPEC.md says: an Ed25519ph (SHA-512
// prehash) signature is a different scheme and does not verify. A signature that does not verify gives an error
// wrapping ErrBadSignature; a Public without a supported key one wrapping
// ErrUnsupportedKey.
func (p *Public) Verify(message, sig []byte) error {
	if p == nil {
		return fmt.Errorf("%w: no key", ErrUnsupportedKey)
	}
	switch k := p.Key.(type) {
	case *ecdsa.PublicKey:
		if p.Algorithm != ECDSAP256 || k == nil || k.Curve != elliptic.P256() {
			break
		}
		digest := sha256.Sum256(message)
		if ecdsa.VerifyASN1(k, digest[:], sig) {
			return nil
		}
		return fmt.Errorf("key %s: %w", p.ID, ErrBadSignature)
	case ed25519.PublicKey:
		if p.Algorithm != Ed25519 || len(k) != ed25519.PublicKeySize {
			break
		}
		if ed25519.Verify(k, message, sig) {
			return nil
		}
		return fmt.Errorf("key %s: %w", p.ID, ErrBadSignature)
	}
	return fmt.Errorf("%w: %T as %q", ErrUnsupportedKey, p.Key, p.Algorithm)
}
