package keys

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSizeBounds pins the size limits at their edge: exactly the limit is
// accepted, one byte more is refused.
func TestSizeBounds(t *testing.T) {
	pub, err := os.ReadFile(filepath.Join("..", "testdata", "keys", "ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	pad := func(n int) []byte { return append(bytes.Clone(pub), bytes.Repeat([]byte("\n"), n-len(pub))...) }
	if _, err := ParsePublic(pad(maxKeyFile)); err != nil {
		t.Errorf("a %d-byte key file (the limit): %v", maxKeyFile, err)
	}
	if _, err := ParsePublic(pad(maxKeyFile + 1)); !errors.Is(err, ErrMalformedKey) {
		t.Errorf("a %d-byte key file: %v, want ErrMalformedKey", maxKeyFile+1, err)
	}

	dir := t.TempDir()
	for _, tt := range []struct {
		n    int
		want error
	}{{maxPasswordFile, nil}, {maxPasswordFile + 1, ErrPasswordRequired}} {
		p := filepath.Join(dir, "pw")
		if err := os.WriteFile(p, []byte(strings.Repeat("x", tt.n)), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ReadPasswordFile(p)
		if !errors.Is(err, tt.want) || (tt.want == nil && len(got) != tt.n) {
			t.Errorf("a %d-byte password without a newline: %d bytes, %v; want %v", tt.n, len(got), err, tt.want)
		}
	}
}
