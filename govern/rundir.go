package govern

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// newRunID returns a unique, time-sortable run id: UTC time then 48 random bits.
func newRunID(now time.Time) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("run id: %w", err)
	}
	return now.UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b[:]), nil
}

// createRunDir makes a new, empty run directory; an existing one is never reused.
func createRunDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("run directory %s already exists: runs are never reused (choose another --out)", dir)
		}
		return err
	}
	return nil
}

// jobEnv is env without the variables cohos reads for itself: the
// signing key's password stays with the governor.
func jobEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if name, _, _ := strings.Cut(kv, "="); name != PasswordEnv && name != CosignPasswordEnv {
			out = append(out, kv)
		}
	}
	return out
}
