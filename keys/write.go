package keys

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"cohos.dev/cohos/internal/atomicfile"
)

// WritePair writes priv to prefix+".pem" (mode 0600) and pub to
// prefix+".pub" (mode 0644). Each file is written to a temporary file in
// the same directory, synced, then moved into place, so no partial file
// ever appears under either name.
//
// Without force, an existing file (of any kind) under either name gives an
// error wrapping ErrExists and both names are left untouched; the check
// uses hard links, so a file created concurrently is never replaced. With
// force, existing files are replaced. On any error nothing new is left
// behind: no temporary file, and no half-written pair (a replaced private
// key is restored if the public key cannot be moved into place).
func WritePair(prefix string, priv, pub []byte, force bool) (err error) {
	if prefix == "" || strings.HasSuffix(prefix, string(filepath.Separator)) || strings.HasSuffix(prefix, "/") {
		return fmt.Errorf("key file prefix %q: want a file name prefix such as \"key\"", prefix)
	}
	privPath, pubPath := prefix+".pem", prefix+".pub"
	dir := filepath.Dir(prefix)
	for _, p := range []string{privPath, pubPath} {
		fi, err := os.Lstat(p)
		switch {
		case err == nil && !force:
			return fmt.Errorf("%s: %w", p, ErrExists)
		case err == nil && fi.IsDir():
			return fmt.Errorf("%s: is a directory", p)
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return err
		}
	}
	var temps []string
	defer func() {
		for _, t := range temps {
			os.Remove(t) // already gone after a rename; the link's source otherwise
		}
	}()
	tmpPriv, err := atomicfile.Temp(privPath, priv, 0o600)
	if err != nil {
		return err
	}
	temps = append(temps, tmpPriv)
	tmpPub, err := atomicfile.Temp(pubPath, pub, 0o644)
	if err != nil {
		return err
	}
	temps = append(temps, tmpPub)

	if !force {
		if err := link(tmpPriv, privPath); err != nil {
			return err
		}
		if err := link(tmpPub, pubPath); err != nil {
			os.Remove(privPath) // created by us just above
			return err
		}
	} else {
		// Keep the old private key reachable until the pair is complete.
		backup := ""
		if _, err := os.Lstat(privPath); err == nil {
			backup = tmpPriv + ".old"
			if err := os.Link(privPath, backup); err != nil {
				return fmt.Errorf("back up %s: %w", privPath, err)
			}
			temps = append(temps, backup)
		}
		if err := os.Rename(tmpPriv, privPath); err != nil {
			return fmt.Errorf("replace %s: %w", privPath, err)
		}
		if err := os.Rename(tmpPub, pubPath); err != nil {
			if backup != "" {
				os.Rename(backup, privPath)
			} else {
				os.Remove(privPath)
			}
			return fmt.Errorf("replace %s: %w", pubPath, err)
		}
	}
	// Best effort: the files are complete under their final names, and some
	// systems cannot sync a directory.
	_ = atomicfile.SyncDir(dir)
	return nil
}

// link creates dst as a hard link to src, failing with ErrExists if dst
// exists.
func link(src, dst string) error {
	if err := os.Link(src, dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", dst, ErrExists)
		}
		return fmt.Errorf("create %s: %w", dst, err)
	}
	return nil
}
