package keys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"golang.org/x/crypto/nacl/secretbox"
)

// encryptedKey mirrors the JSON body of a sigstore/cosign encrypted key
// (go-securesystemslib encrypted.Encrypt). It is checked strictly before
// any key derivation runs.
type encryptedKey struct {
	KDF struct {
		Name   string `json:"name"`
		Params struct {
			N int `json:"N"`
			R int `json:"r"`
			P int `json:"p"`
		} `json:"params"`
		Salt []byte `json:"salt"`
	} `json:"kdf"`
	Cipher struct {
		Name  string `json:"name"`
		Nonce []byte `json:"nonce"`
	} `json:"cipher"`
	Ciphertext []byte `json:"ciphertext"`
}

// scryptNs are the scrypt costs go-securesystemslib accepts (legacy,
// standard, OWASP), all with r=8 and p=1. Any other value is refused
// before deriving a key, so a crafted file cannot make us spin.
var scryptNs = [...]int{1 << 15, 1 << 16, 1 << 17}

// decrypt checks the structure of an encrypted key body and decrypts it
// with password. Errors wrap ErrMalformedKey (bad structure),
// ErrUnsupportedKey (unknown KDF, cipher or cost), ErrPasswordRequired
// (empty password) or ErrBadPassword (decryption fails).
func decrypt(body, password []byte) ([]byte, error) {
	var k encryptedKey
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&k); err != nil {
		return nil, fmt.Errorf("%w: encrypted key: %v", ErrMalformedKey, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: encrypted key: trailing data", ErrMalformedKey)
	}
	if k.KDF.Name != "scrypt" || k.Cipher.Name != "nacl/secretbox" {
		return nil, fmt.Errorf("%w: encrypted key: kdf %q, cipher %q (want scrypt, nacl/secretbox)",
			ErrUnsupportedKey, k.KDF.Name, k.Cipher.Name)
	}
	costOK := false
	for _, n := range scryptNs {
		costOK = costOK || (k.KDF.Params.N == n && k.KDF.Params.R == 8 && k.KDF.Params.P == 1)
	}
	if !costOK {
		return nil, fmt.Errorf("%w: encrypted key: scrypt parameters N=%d r=%d p=%d",
			ErrUnsupportedKey, k.KDF.Params.N, k.KDF.Params.R, k.KDF.Params.P)
	}
	switch {
	case len(k.KDF.Salt) == 0:
		return nil, fmt.Errorf("%w: encrypted key: empty salt", ErrMalformedKey)
	case len(k.Cipher.Nonce) != 24:
		return nil, fmt.Errorf("%w: encrypted key: nonce of %d bytes, want 24", ErrMalformedKey, len(k.Cipher.Nonce))
	case len(k.Ciphertext) <= secretbox.Overhead:
		return nil, fmt.Errorf("%w: encrypted key: ciphertext too short", ErrMalformedKey)
	}
	if len(password) == 0 {
		// cosign writes a key "encrypted" with the empty password when
		// COSIGN_PASSWORD is empty: it loads as it is.
		if der, err := encrypted.Decrypt(body, []byte{}); err == nil {
			return der, nil
		}
		return nil, fmt.Errorf("encrypted private key: %w", ErrPasswordRequired)
	}
	// The structure is valid, so the only way left to fail is a wrong
	// password or altered ciphertext (secretbox authenticates both).
	der, err := encrypted.Decrypt(body, password)
	if err != nil {
		return nil, fmt.Errorf("encrypted private key: %w", ErrBadPassword)
	}
	return der, nil
}
