package keys

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadPasswordFile(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
		err                 error
	}{
		{"newline", "pw one\n", "pw one", nil},
		{"crlf", "pw\r\n", "pw", nil},
		{"no newline", "pw", "pw", nil},
		{"only first line", "first\nsecond\n", "first", nil},
		{"spaces kept", " pw \n", " pw ", nil},
		{"empty", "", "", ErrPasswordRequired},
		{"empty first line", "\nsecond\n", "", ErrPasswordRequired},
		{"crlf only", "\r\n", "", ErrPasswordRequired},
		{"too long", strings.Repeat("x", maxPasswordFile+1), "", ErrPasswordRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "pw")
			if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := ReadPasswordFile(p)
			if !errors.Is(err, tc.err) || string(got) != tc.want {
				t.Fatalf("ReadPasswordFile = %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
		})
	}
	if _, err := ReadPasswordFile(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v, want fs.ErrNotExist", err)
	}
	got, err := ReadPasswordFile(filepath.Join("..", "testdata", "keys", "password.txt"))
	if err != nil || string(got) != testPassword {
		t.Fatalf("testdata password file: %q, %v", got, err)
	}
}
