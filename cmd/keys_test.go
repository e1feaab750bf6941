package cmd

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"cohos.dev/cohos/govern"
	"cohos.dev/cohos/internal/regfile"
	"cohos.dev/cohos/keys"
)

func testKeyPath(name string) string { return filepath.Join("..", "testdata", "keys", name) }

// privateKeyCopies copies the checked-in test keys (git keeps them 0644)
// into a directory, each mode 0600 as private keys must be.
func privateKeyCopies(t *testing.T) func(string) string {
	t.Helper()
	dir := t.TempDir()
	ents, err := os.ReadDir(testKeyPath("."))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(testKeyPath(e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return func(name string) string { return filepath.Join(dir, name) }
}

func TestLoadSigners(t *testing.T) {
	t.Setenv(passwordEnv, "")
	testKeyPath := privateKeyCopies(t)
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
			signers, err := loadSigners(tc.paths, passwordSource{file: tc.pwFile, fd: -1}, io.Discard)
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
		// ed25519-rewrapped.pub is the key of ed25519.pub as a re-wrapped CRLF PEM.
		{"same key in two encodings", []string{testKeyPath("ed25519.pub"), testKeyPath("ed25519-rewrapped.pub")}, nil, "are the same key"},
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

// TestPrivateKeyModes: an unencrypted key readable by group or others is
// refused with a chmod hint (exit 2); an encrypted one is used with a
// warning (issue 11, case 8).
func TestPrivateKeyModes(t *testing.T) {
	t.Setenv(passwordEnv, "")
	dir := t.TempDir()
	copyAs := func(name string, mode os.FileMode) string {
		b, err := os.ReadFile(testKeyPath(name))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604} {
		p := copyAs("ed25519.pem", mode)
		var warn strings.Builder
		_, err := loadSigners([]string{p}, passwordSource{fd: -1}, &warn)
		var exposed *govern.KeyExposedError
		if !errors.As(err, &exposed) || exposed.Path != p || exposed.Mode != mode {
			t.Fatalf("mode %04o: err = %v, want a KeyExposedError", mode, err)
		}
		if code, _ := codeOf(err); code != ExitError {
			t.Fatalf("mode %04o: exit code %d, want %d", mode, code, ExitError)
		}
		if h := hintOf(err); h != "chmod 600 "+p {
			t.Fatalf("mode %04o: hint %q", mode, h)
		}
	}
	p := copyAs("ed25519-encrypted.pem", 0o644)
	var warn strings.Builder
	signers, err := loadSigners([]string{p}, passwordSource{file: testKeyPath("password.txt"), fd: -1}, &warn)
	if err != nil || len(signers) != 1 {
		t.Fatalf("encrypted 0644 key: %v", err)
	}
	if !strings.Contains(warn.String(), "cohos: warning: "+p+": encrypted private key is readable by group or others (mode 0644); chmod 600") {
		t.Fatalf("warning %q", warn.String())
	}
	p = copyAs("ecdsa-p256.pem", 0o600)
	warn.Reset()
	if _, err := loadSigners([]string{p}, passwordSource{fd: -1}, &warn); err != nil || warn.Len() != 0 {
		t.Fatalf("0600 key: %v, warning %q", err, warn.String())
	}
}

// TestKeyInputsNeverBlock: a FIFO given as --key, --sign, --password-file,
// --metrics or --policy is refused at once, never waited on (issue 11,
// case 5).
func TestKeyInputsNeverBlock(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := loadSigners([]string{fifo}, passwordSource{fd: -1}, io.Discard); !errors.Is(err, regfile.ErrNotRegular) {
			t.Errorf("--sign FIFO: %v", err)
		}
		if _, err := loadPublicKeys([]string{fifo}); !errors.Is(err, regfile.ErrNotRegular) {
			t.Errorf("--key FIFO: %v", err)
		}
		if _, err := loadSigners([]string{testKeyPath("ed25519.pem")}, passwordSource{file: fifo, fd: -1}, io.Discard); !errors.Is(err, regfile.ErrNotRegular) {
			t.Errorf("--password-file FIFO: %v", err)
		}
		if _, err := loadPolicy(fifo); !errors.Is(err, regfile.ErrNotRegular) {
			t.Errorf("--policy FIFO: %v", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a FIFO input blocked cohos")
	}
}

// TestPasswordFromDescriptor: --password-fd reads the first line of an
// open descriptor and closes it; a closed one is named in the error.
func TestPasswordFromDescriptor(t *testing.T) {
	t.Setenv(passwordEnv, "")
	pwData, err := os.ReadFile(testKeyPath("password.txt"))
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(pwData); err != nil {
		t.Fatal(err)
	}
	w.Close()
	fd := int(r.Fd())
	signers, err := loadSigners([]string{testKeyPath("ed25519-encrypted.pem")}, passwordSource{fd: fd}, io.Discard)
	if err != nil || len(signers) != 1 {
		t.Fatalf("loadSigners(--password-fd %d) = %v, %v", fd, signers, err)
	}
	if _, err := r.Stat(); err == nil {
		t.Errorf("descriptor %d still open after reading the password", fd)
	}
	_, err = loadSigners([]string{testKeyPath("ed25519-encrypted.pem")}, passwordSource{fd: 987}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "password descriptor 987 is not open") {
		t.Fatalf("closed descriptor: err = %v", err)
	}
	_, err = loadSigners([]string{testKeyPath("ed25519-encrypted.pem")}, passwordSource{file: "x", fd: 3}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("file and fd: err = %v", err)
	}
}
