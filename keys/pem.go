package keys

import (
	"bytes"
	"encoding/pem"
	"fmt"
)

// maxKeyFile bounds the size of a key file: real ones are well under 1 KiB.
const maxKeyFile = 64 << 10

// decodeOne decodes a PEM file that must hold exactly one block with only
// whitespace before and after it. Errors wrap ErrMalformedKey.
func decodeOne(data []byte) (*pem.Block, error) {
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformedKey, len(data), maxKeyFile)
	}
	trimmed := bytes.TrimSpace(data)
	if !bytes.HasPrefix(trimmed, []byte("-----BEGIN ")) {
		return nil, fmt.Errorf("%w: not a PEM file", ErrMalformedKey)
	}
	// pem.Decode skips a malformed block and tries the next one; with a
	// single BEGIN line there is nothing it could skip to.
	if n := bytes.Count(trimmed, []byte("-----BEGIN ")); n != 1 {
		return nil, fmt.Errorf("%w: %d PEM blocks, want exactly 1", ErrMalformedKey, n)
	}
	block, rest := pem.Decode(trimmed)
	if block == nil {
		return nil, fmt.Errorf("%w: bad PEM encoding", ErrMalformedKey)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: trailing data after the PEM block", ErrMalformedKey)
	}
	return block, nil
}

// isPrivateType reports whether a PEM type names a private key.
func isPrivateType(t string) bool {
	switch t {
	case pkcs8PEMType, sec1PEMType, pkcs1PEMType, encSigstorePEMType, encCosignPEMType, encPKCS8PEMType:
		return true
	}
	return false
}

// Encrypted reports whether a key file holds a password-encrypted private
// key (sigstore's, cosign's or PKCS#8's encrypted PEM types, or legacy
// encrypted PEM). It only looks at the PEM type: anything unreadable is
// not encrypted.
func Encrypted(pemBytes []byte) bool {
	block, err := decodeOne(pemBytes)
	if err != nil {
		return false
	}
	if _, ok := block.Headers["Proc-Type"]; ok {
		return true
	}
	switch block.Type {
	case encSigstorePEMType, encCosignPEMType, encPKCS8PEMType:
		return true
	}
	return false
}
