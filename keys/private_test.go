package keys

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"
)

const testPassword = "cohos-test" // testdata/keys/password.txt

func TestGenerateRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		alg      Algorithm
		password string
		pemType  string
	}{
		{ECDSAP256, "", "PRIVATE KEY"},
		{Ed25519, "", "PRIVATE KEY"},
		{ECDSAP256, "s3cret", "ENCRYPTED SIGSTORE PRIVATE KEY"},
		{Ed25519, "s3cret", "ENCRYPTED SIGSTORE PRIVATE KEY"},
	} {
		t.Run(string(tc.alg)+"/"+tc.pemType, func(t *testing.T) {
			priv, pub, err := Generate(tc.alg, []byte(tc.password))
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := pem.Decode(priv); b == nil || b.Type != tc.pemType {
				t.Fatalf("private key PEM %q, want type %q", priv, tc.pemType)
			}
			p, err := ParsePublic(pub)
			if err != nil {
				t.Fatal(err)
			}
			if p.Algorithm != tc.alg {
				t.Fatalf("algorithm %s, want %s", p.Algorithm, tc.alg)
			}
			s, err := ParsePrivate(priv, []byte(tc.password))
			if err != nil {
				t.Fatal(err)
			}
			if id, _ := s.KeyID(); id != p.ID || s.Public().ID != p.ID {
				t.Fatalf("private key id %s, public key id %s", id, p.ID)
			}
			msg := []byte("round trip")
			sig, err := s.Sign(context.Background(), msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Verify(msg, sig); err != nil {
				t.Fatal(err)
			}
			if tc.password != "" {
				if _, err := ParsePrivate(priv, nil); !errors.Is(err, ErrPasswordRequired) {
					t.Fatalf("no password: %v, want ErrPasswordRequired", err)
				}
			}
		})
	}
	if _, _, err := Generate("rsa", nil); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatalf("Generate(rsa): %v, want ErrUnsupportedKey", err)
	}
}

func TestEd25519Deterministic(t *testing.T) {
	s, err := ParsePrivate(testKey(t, "ed25519.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Sign(context.Background(), []byte("m"))
	b, _ := s.Sign(context.Background(), []byte("m"))
	if !bytes.Equal(a, b) {
		t.Fatal("two Ed25519 signatures of the same message differ")
	}
}

func TestParsePrivateVectors(t *testing.T) {
	// A cosign key renamed to cosign's older PEM type, same JSON body.
	oldType := strings.ReplaceAll(string(testKey(t, "cosign-ecdsa.key")), "ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY")
	for _, tc := range []struct {
		name, key, pub, password string
	}{
		{"pkcs8 ecdsa", string(testKey(t, "ecdsa-p256.pem")), "ecdsa-p256.pub", ""},
		{"pkcs8 ed25519", string(testKey(t, "ed25519.pem")), "ed25519.pub", ""},
		{"password ignored when unencrypted", string(testKey(t, "ed25519.pem")), "ed25519.pub", "unused"},
		{"sec1", string(testKey(t, "sec1-p256.pem")), "", ""},
		{"cosign ecdsa", string(testKey(t, "cosign-ecdsa.key")), "cosign-ecdsa.pub", testPassword},
		{"cosign ed25519", string(testKey(t, "cosign-ed25519.key")), "ed25519.pub", testPassword},
		{"cosign old pem type", oldType, "cosign-ecdsa.pub", testPassword},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParsePrivate([]byte(tc.key), []byte(tc.password))
			if err != nil {
				t.Fatal(err)
			}
			if tc.pub == "" {
				return
			}
			p, err := ParsePublic(testKey(t, tc.pub))
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Public(); got.ID != p.ID || got.Algorithm != p.Algorithm {
				t.Fatalf("got %s %s, want %s %s", got.ID, got.Algorithm, p.ID, p.Algorithm)
			}
		})
	}
}

// reencrypted returns testdata's encrypted ECDSA key with its JSON body
// changed by edit.
func reencrypted(t *testing.T, edit func(map[string]any)) string {
	t.Helper()
	b, _ := pem.Decode(testKey(t, "ecdsa-p256-encrypted.pem"))
	var m map[string]any
	if err := json.Unmarshal(b.Bytes, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: b.Type, Bytes: body}))
}

func TestParsePrivateErrors(t *testing.T) {
	enc := string(testKey(t, "ecdsa-p256-encrypted.pem"))
	plain := string(testKey(t, "ecdsa-p256.pem"))
	relabel := func(s, typ string) string { return strings.ReplaceAll(s, "PRIVATE KEY", typ) }
	flipCiphertext := reencrypted(t, func(m map[string]any) {
		c, _ := base64.StdEncoding.DecodeString(m["ciphertext"].(string))
		c[len(c)/2] ^= 1
		m["ciphertext"] = base64.StdEncoding.EncodeToString(c)
	})
	b, _ := pem.Decode([]byte(enc))
	trailing := string(pem.EncodeToMemory(&pem.Block{Type: b.Type, Bytes: append(b.Bytes, " {}"...)}))
	for _, tc := range []struct {
		name, key, password string
		want                error
	}{
		{"encrypted without password", enc, "", ErrPasswordRequired},
		{"wrong password", enc, "Xq7-guess", ErrBadPassword},
		{"altered ciphertext", flipCiphertext, testPassword, ErrBadPassword},
		{"unknown json field", reencrypted(t, func(m map[string]any) { m["extra"] = 1 }), testPassword, ErrMalformedKey},
		{"json trailing data", trailing, testPassword, ErrMalformedKey},
		{"scrypt cost", reencrypted(t, func(m map[string]any) { m["kdf"].(map[string]any)["params"].(map[string]any)["N"] = 1 << 30 }), testPassword, ErrUnsupportedKey},
		{"kdf name", reencrypted(t, func(m map[string]any) { m["kdf"].(map[string]any)["name"] = "argon2" }), testPassword, ErrUnsupportedKey},
		{"short nonce", reencrypted(t, func(m map[string]any) { m["cipher"].(map[string]any)["nonce"] = "AAAA" }), testPassword, ErrMalformedKey},
		{"no ciphertext", reencrypted(t, func(m map[string]any) { delete(m, "ciphertext") }), testPassword, ErrMalformedKey},
		{"not json", relabel("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "ENCRYPTED SIGSTORE PRIVATE KEY"), testPassword, ErrMalformedKey},
		{"public key", string(testKey(t, "ecdsa-p256.pub")), "", ErrMalformedKey},
		{"empty", "", "", ErrMalformedKey},
		{"junk", "junk", "", ErrMalformedKey},
		{"trailing data", plain + "x", "", ErrMalformedKey},
		{"two keys", plain + plain, "", ErrMalformedKey},
		{"bad pkcs8", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "", ErrMalformedKey},
		{"sec1 label on pkcs8", relabel(plain, "EC PRIVATE KEY"), "", ErrMalformedKey},
		{"unknown type", relabel(plain, "SECRET"), "", ErrMalformedKey},
		{"rsa", string(testKey(t, "rsa-2048.pem")), "", ErrUnsupportedKey},
		{"p384", string(testKey(t, "ecdsa-p384.pem")), "", ErrUnsupportedKey},
		{"pkcs1", relabel(plain, "RSA PRIVATE KEY"), "", ErrUnsupportedKey},
		{"pkcs8 pbes2", relabel(plain, "ENCRYPTED PRIVATE KEY"), "pw", ErrUnsupportedKey},
		{"legacy encrypted pem", strings.Replace(plain, "KEY-----\n", "KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\n", 1), "pw", ErrUnsupportedKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParsePrivate([]byte(tc.key), []byte(tc.password))
			if !errors.Is(err, tc.want) || s != nil {
				t.Fatalf("ParsePrivate = %v, %v; want error %v", s, err, tc.want)
			}
			if tc.password != "" && strings.Contains(err.Error(), tc.password) {
				t.Fatalf("error %q contains the password", err)
			}
		})
	}
}

func TestPublicOf(t *testing.T) {
	want := "SHA256:ZIeNAqo7vMPKl5imkFMt4urxtbJlgZjxqoIRY9zDOV4"
	for _, f := range []string{"ecdsa-p256.pub", "ecdsa-p256.pem"} {
		p, err := PublicOf(testKey(t, f), nil)
		if err != nil || p.ID != want {
			t.Errorf("PublicOf(%s) = %v, %v; want %s", f, p, err, want)
		}
	}
	if _, err := PublicOf(testKey(t, "ecdsa-p256-encrypted.pem"), nil); !errors.Is(err, ErrPasswordRequired) {
		t.Errorf("encrypted without password: %v, want ErrPasswordRequired", err)
	}
	if _, err := PublicOf([]byte("junk"), nil); !errors.Is(err, ErrMalformedKey) {
		t.Errorf("junk: %v, want ErrMalformedKey", err)
	}
}

// sigstoreVerifier is a dsse.Verifier built on sigstore's verifiers, an
// implementation independent of Public.Verify. Its empty KeyID makes
// go-securesystemslib derive dsse.SHA256KeyID(Public()) and match it
// against the envelope's keyid.
type sigstoreVerifier struct {
	v   signature.Verifier
	pub crypto.PublicKey
}

func (s sigstoreVerifier) Verify(_ context.Context, data, sig []byte) error {
	return s.v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(data))
}
func (s sigstoreVerifier) KeyID() (string, error)   { return "", nil }
func (s sigstoreVerifier) Public() crypto.PublicKey { return s.pub }

func TestSignerDSSE(t *testing.T) {
	for _, name := range []string{"ecdsa-p256", "ed25519"} {
		t.Run(name, func(t *testing.T) {
			s, err := ParsePrivate(testKey(t, name+".pem"), nil)
			if err != nil {
				t.Fatal(err)
			}
			var _ dsse.Signer = s
			es, err := dsse.NewEnvelopeSigner(s)
			if err != nil {
				t.Fatal(err)
			}
			env, err := es.SignPayload(context.Background(), "application/vnd.in-toto+json", []byte(`{"x":1}`))
			if err != nil {
				t.Fatal(err)
			}
			pub := s.Public()
			if len(env.Signatures) != 1 || env.Signatures[0].KeyID != pub.ID {
				t.Fatalf("signatures %+v, want one with keyid %s", env.Signatures, pub.ID)
			}
			v, err := signature.LoadVerifier(pub.Key, crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := dsse.NewEnvelopeVerifier(sigstoreVerifier{v, pub.Key})
			if err != nil {
				t.Fatal(err)
			}
			accepted, err := ev.Verify(context.Background(), env)
			if err != nil || len(accepted) != 1 || accepted[0].KeyID != pub.ID {
				t.Fatalf("go-securesystemslib verify: %+v, %v", accepted, err)
			}
		})
	}
}

func TestCosignEnvelopes(t *testing.T) {
	for _, name := range []string{"ecdsa", "ed25519"} {
		t.Run(name, func(t *testing.T) {
			var env dsse.Envelope
			if err := json.Unmarshal(testKey(t, "blob.cosign-"+name+".dsse.json"), &env); err != nil {
				t.Fatal(err)
			}
			payload, err := env.DecodeB64Payload()
			if err != nil {
				t.Fatal(err)
			}
			sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
			if err != nil {
				t.Fatal(err)
			}
			pae := dsse.PAE(env.PayloadType, payload)
			p, err := ParsePublic(testKey(t, "cosign-"+name+".pub"))
			if err != nil {
				t.Fatal(err)
			}
			if name == "ed25519" {
				// cosign signs with Ed25519ph; SPEC.md accepts pure Ed25519 only.
				if ed25519.Verify(p.Key.(ed25519.PublicKey), pae, sig) {
					t.Fatal("cosign Ed25519 signature verifies as pure Ed25519; the ph case is untested")
				}
				if err := p.Verify(pae, sig); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("cosign Ed25519ph signature: %v, want ErrBadSignature", err)
				}
				return
			}
			if err := p.Verify(pae, sig); err != nil {
				t.Fatalf("cosign signature: %v", err)
			}
			if err := p.Verify(append(pae, ' '), sig); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("altered PAE: %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestSignerMisuse(t *testing.T) {
	var zero Signer
	if _, err := zero.Sign(context.Background(), nil); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("zero Sign: %v", err)
	}
	if _, err := zero.KeyID(); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("zero KeyID: %v", err)
	}
	if zero.Public() != nil {
		t.Error("zero Public is not nil")
	}
	s, err := ParsePrivate(testKey(t, "ed25519.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Sign(ctx, []byte("m")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Sign: %v, want context.Canceled", err)
	}
	// Public returns a copy: changing it does not change the signer.
	s.Public().ID = "changed"
	if id, _ := s.KeyID(); id == "changed" {
		t.Error("Public exposes the signer's state")
	}
}
