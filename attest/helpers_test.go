package attest_test

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"cohos.dev/cohos/keys"
)

func sha256hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func dsse1(s *keys.Signer) []dsse.Signer { return []dsse.Signer{s} }
