package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// testKey reads a file from the repository's testdata/keys.
func testKey(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sshWireID computes the OpenSSH SHA256 fingerprint from the SSH wire
// encoding (RFC 4253 6.6, RFC 5656 3.1, RFC 8709 4), independently of
// golang.org/x/crypto/ssh.
func sshWireID(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	str := func(b []byte) []byte { return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...) }
	var blob []byte
	switch k := pub.(type) {
	case ed25519.PublicKey:
		blob = append(str([]byte("ssh-ed25519")), str(k)...)
	case *ecdsa.PublicKey:
		e, err := k.ECDH()
		if err != nil {
			t.Fatal(err)
		}
		blob = append(append(str([]byte("ecdsa-sha2-nistp256")), str([]byte("nistp256"))...), str(e.Bytes())...)
	default:
		t.Fatalf("sshWireID: %T", pub)
	}
	sum := sha256.Sum256(blob)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

func TestParsePublicVectors(t *testing.T) {
	// ids printed by ssh-keygen -lf (testdata/keys/README.md).
	for _, tc := range []struct {
		file string
		alg  Algorithm
		id   string
	}{
		{"ecdsa-p256.pub", ECDSAP256, "SHA256:ZIeNAqo7vMPKl5imkFMt4urxtbJlgZjxqoIRY9zDOV4"},
		{"ed25519.pub", Ed25519, "SHA256:RwnRMtgC2AeGNQkplCr9cHOJNkkD49I0S2L2f1RfFKo"},
		{"ecdsa-p256-encrypted.pub", ECDSAP256, "SHA256:owoIpRwGzT1HY5p916b3lZfOci/ROdPfjdJKDtog7pI"},
		{"ed25519-encrypted.pub", Ed25519, "SHA256:chs7sHCA/hgW6eqB1YxdlSiLnK4pb+p4uwldjXVcCGc"},
		{"cosign-ecdsa.pub", ECDSAP256, "SHA256:psYuhPadWiPRPINcZqjkwDwXxLsfGCcEu3Aa1jVBNuY"},
		{"cosign-ed25519.pub", Ed25519, "SHA256:RwnRMtgC2AeGNQkplCr9cHOJNkkD49I0S2L2f1RfFKo"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := testKey(t, tc.file)
			p, err := ParsePublic(data)
			if err != nil {
				t.Fatal(err)
			}
			if p.ID != tc.id || p.Algorithm != tc.alg {
				t.Fatalf("got %s %s, want %s %s", p.ID, p.Algorithm, tc.id, tc.alg)
			}
			if w := sshWireID(t, p.Key); w != tc.id {
				t.Fatalf("wire-format fingerprint %s, want %s", w, tc.id)
			}
			if d, err := dsse.SHA256KeyID(p.Key); err != nil || d != tc.id {
				t.Fatalf("dsse.SHA256KeyID = %s, %v; want %s", d, err, tc.id)
			}
			if id, err := ID(p.Key); err != nil || id != tc.id {
				t.Fatalf("ID = %s, %v; want %s", id, err, tc.id)
			}
			enc, err := EncodePublic(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, data) {
				t.Fatalf("EncodePublic changed the file:\n%s\nwant\n%s", enc, data)
			}
		})
	}
}

func TestParsePublicRejects(t *testing.T) {
	pub := string(testKey(t, "ecdsa-p256.pub"))
	body := strings.TrimPrefix(strings.TrimSuffix(pub, "-----END PUBLIC KEY-----\n"), "-----BEGIN PUBLIC KEY-----\n")
	for _, tc := range []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrMalformedKey},
		{"junk", "not a key\n", ErrMalformedKey},
		{"leading junk", "junk\n" + pub, ErrMalformedKey},
		{"trailing junk", pub + "junk\n", ErrMalformedKey},
		{"two blocks", pub + pub, ErrMalformedKey},
		{"truncated", pub[:len(pub)-10], ErrMalformedKey},
		{"headers", "-----BEGIN PUBLIC KEY-----\nComment: x\n\n" + body + "-----END PUBLIC KEY-----\n", ErrMalformedKey},
		{"bad DER", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", ErrMalformedKey},
		{"wrong type", strings.ReplaceAll(pub, "PUBLIC KEY", "CERTIFICATE"), ErrMalformedKey},
		{"private key", string(testKey(t, "ecdsa-p256.pem")), ErrMalformedKey},
		{"encrypted private key", string(testKey(t, "cosign-ecdsa.key")), ErrMalformedKey},
		{"rsa", string(testKey(t, "rsa-2048.pub")), ErrUnsupportedKey},
		{"p384", string(testKey(t, "ecdsa-p384.pub")), ErrUnsupportedKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePublic([]byte(tc.in))
			if !errors.Is(err, tc.want) || p != nil {
				t.Fatalf("ParsePublic = %v, %v; want error %v", p, err, tc.want)
			}
		})
	}
	// Surrounding whitespace is fine.
	if _, err := ParsePublic([]byte("\n\n" + pub + "\n\t \n")); err != nil {
		t.Fatalf("whitespace around the block: %v", err)
	}
}

func TestVerify(t *testing.T) {
	msg := dsse.PAE("application/vnd.in-toto+json", []byte(`{"a":1}`))
	for _, name := range []string{"ecdsa-p256", "ed25519"} {
		t.Run(name, func(t *testing.T) {
			s, err := ParsePrivate(testKey(t, name+".pem"), nil)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := s.Sign(t.Context(), msg)
			if err != nil {
				t.Fatal(err)
			}
			p := s.Public()
			if err := p.Verify(msg, sig); err != nil {
				t.Fatalf("good signature: %v", err)
			}
			other, err := ParsePublic(testKey(t, name+"-encrypted.pub"))
			if err != nil {
				t.Fatal(err)
			}
			flipped := func(b []byte, i int) []byte {
				c := bytes.Clone(b)
				c[i] ^= 1
				return c
			}
			for _, bad := range []struct {
				name     string
				key      *Public
				msg, sig []byte
			}{
				{"sig first bit", p, msg, flipped(sig, 0)},
				{"sig last bit", p, msg, flipped(sig, len(sig)-1)},
				{"message bit", p, flipped(msg, len(msg)/2), sig},
				{"truncated sig", p, msg, sig[:len(sig)-1]},
				{"empty sig", p, msg, nil},
				{"other key", other, msg, sig},
			} {
				if err := bad.key.Verify(bad.msg, bad.sig); !errors.Is(err, ErrBadSignature) {
					t.Errorf("%s: err = %v, want ErrBadSignature", bad.name, err)
				}
			}
		})
	}
}

func TestVerifyEd25519ph(t *testing.T) {
	block, _ := pem.Decode(testKey(t, "ed25519.pem"))
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key := k.(ed25519.PrivateKey)
	pub, err := ParsePublic(testKey(t, "ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("prehashed")
	digest := sha512.Sum512(msg)
	sig, err := key.Sign(nil, digest[:], &ed25519.Options{Hash: crypto.SHA512})
	if err != nil {
		t.Fatal(err)
	}
	// SPEC.md: Ed25519 is pure Ed25519; the prehashed variant is refused.
	if err := pub.Verify(msg, sig); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Ed25519ph signature: %v, want ErrBadSignature", err)
	}
	if err := pub.Verify(msg, ed25519.Sign(key, msg)); err != nil {
		t.Fatalf("pure Ed25519 signature: %v", err)
	}
}

func TestVerifyMisuse(t *testing.T) {
	for _, p := range []*Public{nil, {}, {Algorithm: Ed25519, Key: []byte{1, 2}}, {Algorithm: ECDSAP256, Key: ed25519.PublicKey(make([]byte, 32))}} {
		if err := p.Verify([]byte("m"), []byte("s")); !errors.Is(err, ErrUnsupportedKey) {
			t.Errorf("Verify with %+v: %v, want ErrUnsupportedKey", p, err)
		}
	}
	if _, err := ID(nil); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("ID(nil): %v, want ErrUnsupportedKey", err)
	}
	if _, err := EncodePublic(&Public{}); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("EncodePublic(empty): %v, want ErrUnsupportedKey", err)
	}
}
