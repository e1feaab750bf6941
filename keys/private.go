package keys

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// PEM block types of private keys.
const (
	pkcs8PEMType       = "PRIVATE KEY"                    // PKCS#8
	sec1PEMType        = "EC PRIVATE KEY"                 // SEC 1
	pkcs1PEMType       = "RSA PRIVATE KEY"                // PKCS#1, never supported
	encSigstorePEMType = "ENCRYPTED SIGSTORE PRIVATE KEY" // scrypt + secretbox JSON
	encCosignPEMType   = "ENCRYPTED COSIGN PRIVATE KEY"   // the same, older cosign name
	encPKCS8PEMType    = "ENCRYPTED PRIVATE KEY"          // PKCS#8 PBES2, not supported
)

// Signer is a private key ready for DSSE signing. It implements the
// go-securesystemslib dsse.Signer interface. The zero Signer holds no key:
// its methods return errors wrapping ErrUnsupportedKey.
type Signer struct {
	sv  signature.SignerVerifier
	pub *Public
}

// Sign signs data (for DSSE, the PAE bytes): ECDSA P-256 gives an ASN.1
// DER signature over SHA-256(data), Ed25519 a pure Ed25519 signature. It
// returns ctx's error if ctx is already done.
func (s *Signer) Sign(ctx context.Context, data []byte) ([]byte, error) {
	if s == nil || s.sv == nil {
		return nil, fmt.Errorf("%w: signer holds no key", ErrUnsupportedKey)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sig, err := s.sv.SignMessage(bytes.NewReader(data), options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("sign with key %s: %w", s.pub.ID, err)
	}
	return sig, nil
}

// KeyID returns the key's "SHA256:<base64>" fingerprint (see ID).
func (s *Signer) KeyID() (string, error) {
	if s == nil || s.pub == nil {
		return "", fmt.Errorf("%w: signer holds no key", ErrUnsupportedKey)
	}
	return s.pub.ID, nil
}

// Public returns the public half of the key, or nil for the zero Signer.
func (s *Signer) Public() *Public {
	if s == nil || s.pub == nil {
		return nil
	}
	p := *s.pub
	return &p
}

// ParsePrivate loads a private key file holding exactly one PEM block:
// PKCS#8 "PRIVATE KEY", SEC 1 "EC PRIVATE KEY", or "ENCRYPTED SIGSTORE
// PRIVATE KEY" / "ENCRYPTED COSIGN PRIVATE KEY" decrypted with password.
//
// Errors wrap ErrPasswordRequired (an encrypted key and an empty
// password), ErrBadPassword (the password does not decrypt it),
// ErrUnsupportedKey (RSA and other algorithms or curves, PKCS#1, PKCS#8
// PBES2 and legacy encrypted PEM) or ErrMalformedKey (anything else that
// is not a well-formed private key file, including a public key). A
// password given for an unencrypted key is ignored.
func ParsePrivate(pemBytes, password []byte) (*Signer, error) {
	block, err := decodeOne(pemBytes)
	if err != nil {
		return nil, err
	}
	if _, ok := block.Headers["Proc-Type"]; ok {
		return nil, fmt.Errorf("%w: legacy encrypted PEM, use an unencrypted or sigstore-encrypted key", ErrUnsupportedKey)
	}
	if len(block.Headers) != 0 {
		return nil, fmt.Errorf("%w: unexpected PEM headers", ErrMalformedKey)
	}
	var priv crypto.PrivateKey
	switch block.Type {
	case pkcs8PEMType:
		priv, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case sec1PEMType:
		priv, err = x509.ParseECPrivateKey(block.Bytes)
	case encSigstorePEMType, encCosignPEMType:
		var der []byte
		if der, err = decrypt(block.Bytes, password); err != nil {
			return nil, err
		}
		priv, err = x509.ParsePKCS8PrivateKey(der)
	case pkcs1PEMType, encPKCS8PEMType:
		return nil, fmt.Errorf("%w: PEM type %q", ErrUnsupportedKey, block.Type)
	case publicKeyPEMType:
		return nil, fmt.Errorf("%w: %q is a public key, want a private key", ErrMalformedKey, block.Type)
	default:
		return nil, fmt.Errorf("%w: PEM type %q is not a private key", ErrMalformedKey, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrMalformedKey, block.Type, err)
	}
	return newSigner(priv)
}

// PublicOf returns the public key in a key file: ParsePublic for a
// "PUBLIC KEY" block, otherwise the public half of ParsePrivate(pemBytes,
// password). Errors are those of the function called.
func PublicOf(pemBytes, password []byte) (*Public, error) {
	block, err := decodeOne(pemBytes)
	if err != nil {
		return nil, err
	}
	if block.Type == publicKeyPEMType {
		return ParsePublic(pemBytes)
	}
	s, err := ParsePrivate(pemBytes, password)
	if err != nil {
		return nil, err
	}
	return s.Public(), nil
}

// newSigner wraps a parsed private key. Keys other than ECDSA P-256 and
// Ed25519 give an error wrapping ErrUnsupportedKey.
func newSigner(priv crypto.PrivateKey) (*Signer, error) {
	var pubKey crypto.PublicKey
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		pubKey = &k.PublicKey
	case ed25519.PrivateKey:
		pubKey = k.Public()
	default:
		return nil, fmt.Errorf("%w: private key type %T", ErrUnsupportedKey, priv)
	}
	pub, err := newPublic(pubKey)
	if err != nil {
		return nil, err
	}
	sv, err := signature.LoadSignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	return &Signer{sv: sv, pub: pub}, nil
}

// Generate makes a new key pair. priv is a PKCS#8 "PRIVATE KEY" PEM block,
// or an "ENCRYPTED SIGSTORE PRIVATE KEY" block (scrypt N=2^16 and NaCl
// secretbox, readable by cosign) when password is not empty; pub is a PKIX
// "PUBLIC KEY" PEM block. An unknown alg gives an error wrapping
// ErrUnsupportedKey.
func Generate(alg Algorithm, password []byte) (priv, pub []byte, err error) {
	var key crypto.Signer
	switch alg {
	case ECDSAP256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case Ed25519:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, nil, fmt.Errorf("%w: unknown algorithm %q (want %q or %q)", ErrUnsupportedKey, alg, ECDSAP256, Ed25519)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("generate %s key: %w", alg, err)
	}
	p, err := newPublic(key.Public())
	if err != nil {
		return nil, nil, err
	}
	if pub, err = EncodePublic(p); err != nil {
		return nil, nil, err
	}
	if len(password) == 0 {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, nil, fmt.Errorf("encode %s key: %w", alg, err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: pkcs8PEMType, Bytes: der}), pub, nil
	}
	enc, err := cryptoutils.MarshalPrivateKeyToEncryptedDER(key, cryptoutils.StaticPasswordFunc(password))
	if err != nil {
		return nil, nil, fmt.Errorf("encrypt %s key: %w", alg, err)
	}
	return cryptoutils.PEMEncode(encSigstorePEMType, enc), pub, nil
}
