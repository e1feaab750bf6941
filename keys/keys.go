// Package keys creates, stores and loads the keys cohos signs and verifies
// attestations with.
//
// Two algorithms are supported: ECDSA over P-256 with SHA-256 (ASN.1 DER
// signatures; the default, verified by every peer without flags) and
// Ed25519 (deterministic signatures).
//
// Key files are PEM. A public key is one PKIX "PUBLIC KEY" block. A private
// key is one PKCS#8 "PRIVATE KEY" or SEC 1 "EC PRIVATE KEY" block, or a
// password-protected "ENCRYPTED SIGSTORE PRIVATE KEY" block (scrypt and NaCl
// secretbox over PKCS#8 DER, as written by sigstore and cosign; cosign's
// older "ENCRYPTED COSIGN PRIVATE KEY" type is read too). A file holds
// exactly one PEM block and nothing but whitespace around it.
//
// A key's ID is the SSH-style "SHA256:<base64>" fingerprint of its public
// key, the value `ssh-keygen -lf` prints and the DSSE keyid that
// go-securesystemslib, sigstore and cosign accept.
//
// Errors wrap one of the sentinel errors below, so callers use errors.Is.
package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"errors"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// Algorithm names a signature algorithm.
type Algorithm string

// The supported algorithms.
const (
	ECDSAP256 Algorithm = "ecdsa-p256" // ECDSA on NIST P-256, SHA-256, ASN.1 DER signatures
	Ed25519   Algorithm = "ed25519"    // Ed25519 (RFC 8032)
)

// Sentinel errors. Returned errors wrap them with the file, type or key
// that caused them.
var (
	// ErrExists: WritePair refused to replace an existing file.
	ErrExists = errors.New("already exists")
	// ErrPasswordRequired: an encrypted private key was loaded without a
	// password, or a password file gave an empty password.
	ErrPasswordRequired = errors.New("password required")
	// ErrBadPassword: the password does not decrypt the key (or the
	// encrypted key was altered).
	ErrBadPassword = errors.New("wrong password")
	// ErrUnsupportedKey: the key is well-formed but not ECDSA P-256 or
	// Ed25519, or is stored in a format cohos does not read.
	ErrUnsupportedKey = errors.New("unsupported key")
	// ErrMalformedKey: the input is not a well-formed key file.
	ErrMalformedKey = errors.New("malformed key")
	// ErrBadSignature: a signature does not verify under the key.
	ErrBadSignature = errors.New("signature does not verify")
)

// Public is a trusted verification key.
type Public struct {
	ID        string           // "SHA256:<base64>" fingerprint, see ID
	Algorithm Algorithm        // ECDSAP256 or Ed25519
	Key       crypto.PublicKey // *ecdsa.PublicKey or ed25519.PublicKey
}

// ID returns the SSH-style "SHA256:<base64>" fingerprint of pub, equal to
// go-securesystemslib's dsse.SHA256KeyID and to `ssh-keygen -lf`. It
// returns an error wrapping ErrUnsupportedKey for keys other than ECDSA
// P-256 and Ed25519.
func ID(pub crypto.PublicKey) (string, error) {
	p, err := newPublic(pub)
	if err != nil {
		return "", err
	}
	return p.ID, nil
}

// newPublic classifies key and computes its ID. It returns an error
// wrapping ErrUnsupportedKey for any key but ECDSA P-256 and Ed25519.
func newPublic(key crypto.PublicKey) (*Public, error) {
	var alg Algorithm
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		if k == nil || k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: ecdsa key not on curve P-256", ErrUnsupportedKey)
		}
		alg = ECDSAP256
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: ed25519 public key of %d bytes", ErrMalformedKey, len(k))
		}
		alg = Ed25519
	case *ed25519.PublicKey:
		if k == nil {
			return nil, fmt.Errorf("%w: nil ed25519 key", ErrUnsupportedKey)
		}
		return newPublic(*k)
	default:
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, key)
	}
	id, err := dsse.SHA256KeyID(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	return &Public{ID: id, Algorithm: alg, Key: key}, nil
}
