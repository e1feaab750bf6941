package cmd

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cohos.dev/cohos/keys"
)

func testKeyPath(name string) string { return filepath.Join("..", "testdata", "keys", name) }

func TestLoadSigners(t *testing.T) {
	t.Setenv(passwordEnv, "")
	dup := filepath.Join(t.TempDir(), "copy.pem")
	data, err := os.ReadFile(testKeyPath("ed25519.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dup, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		paths    []string
		pwFile   string
		wantIDs  []string
		wantErr  error  // errors.Is target, nil for success
		wantText string // the error names this file
	}{
		{"none", nil, "", nil, nil, ""},
		{"two keys", []string{testKeyPath("ecdsa-p256.pem"), testKeyPath("ed25519.pem")}, "",
			[]string{"SHA256:ZIeNAqo7vMPKl5imkFMt4urxtbJlgZjxqoIRY9zDOV4", "SHA256:RwnRMtgC2AeGNQkplCr9cHOJNkkD49I0S2L2f1RfFKo"}, nil, ""},
		{"encrypted with password file", []string{testKeyPath("ed25519-encrypted.pem")}, testKeyPath("password.txt"),
			[]string{"SHA256:chs7sHCA/hgW6eqB1YxdlSiLnK4pb+p4uwldjXVcCGc"}, nil, ""},
		{"same key twice", []string{testKeyPath("ed25519.pem"), dup}, "", nil, nil, "copy.pem"},
		{"missing", []string{testKeyPath("ecdsa-p256.pem"), "nope.pem"}, "", nil, fs.ErrNotExist, "nope.pem"},
		{"no password", []string{testKeyPath("ecdsa-p256-encrypted.pem")}, "", nil, keys.ErrPasswordRequired, "ecdsa-p256-encrypted.pem"},
		{"public key", []string{testKeyPath("ecdsa-p256.pub")}, "", nil, keys.ErrMalformedKey, "ecdsa-p256.pub"},
		{"missing password file", []string{testKeyPath("ecdsa-p256.pem")}, "nope.txt", nil, fs.ErrNotExist, "nope.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			signers, err := loadSigners(tc.paths, tc.pwFile)
			if tc.wantText != "" {
				if err == nil || signers != nil {
					t.Fatalf("loadSigners = %v, %v; want an error", signers, err)
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantText) {
					t.Fatalf("err = %v, does not name %s", err, tc.wantText)
				}
				if code, _ := codeOf(err); code != ExitError {
					t.Fatalf("exit code %d, want %d", code, ExitError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(signers) != len(tc.wantIDs) {
				t.Fatalf("%d signers, want %d", len(signers), len(tc.wantIDs))
			}
			for i, s := range signers {
				if id, _ := s.KeyID(); id != tc.wantIDs[i] {
					t.Fatalf("signer %d id %s, want %s", i, id, tc.wantIDs[i])
				}
			}
		})
	}
}

func TestLoadPublicKeys(t *testing.T) {
	pubs, err := loadPublicKeys([]string{testKeyPath("ecdsa-p256.pub"), testKeyPath("cosign-ecdsa.pub")})
	if err != nil || len(pubs) != 2 || pubs[1].ID != "SHA256:psYuhPadWiPRPINcZqjkwDwXxLsfGCcEu3Aa1jVBNuY" {
		t.Fatalf("loadPublicKeys = %v, %v", pubs, err)
	}
	for _, tc := range []struct {
		name    string
		paths   []string
		wantErr error
		names   string
	}{
		// cosign-ed25519.pub is the key of ed25519.pub.
		{"same key twice", []string{testKeyPath("ed25519.pub"), testKeyPath("cosign-ed25519.pub")}, nil, "cosign-ed25519.pub"},
		{"private key", []string{testKeyPath("ed25519.pem")}, keys.ErrMalformedKey, "ed25519.pem"},
		{"unsupported", []string{testKeyPath("rsa-2048.pub")}, keys.ErrUnsupportedKey, "rsa-2048.pub"},
		{"missing", []string{"nope.pub"}, fs.ErrNotExist, "nope.pub"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pubs, err := loadPublicKeys(tc.paths)
			if err == nil || pubs != nil || !strings.Contains(err.Error(), tc.names) {
				t.Fatalf("loadPublicKeys = %v, %v; want an error naming %s", pubs, err, tc.names)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if code, _ := codeOf(err); code != ExitError {
				t.Fatalf("exit code %d, want %d", code, ExitError)
			}
		})
	}
}
