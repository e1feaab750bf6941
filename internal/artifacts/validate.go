package artifacts

import (
	"errors"
	"fmt"
)

// ErrInvalidSet is wrapped by Validate's errors.
var ErrInvalidSet = errors.New("invalid artifact set")

// Validate checks that s could have come from Hash: files and skipped
// entries sorted by name with no duplicates, valid member names, no
// top-level derived file, lowercase hex SHA-256 digests, sizes >= 0, known
// kinds, and no name both a file and a skipped entry. A verifier runs it on
// an attested list before comparing (maps would silently merge duplicates).
func (s *Set) Validate() error {
	names := make(map[string]bool, len(s.Files)+len(s.Skipped))
	for i, f := range s.Files {
		if err := checkName(f.Name); err != nil {
			return fmt.Errorf("%w: files[%d]: %w", ErrInvalidSet, i, err)
		}
		if i > 0 && f.Name <= s.Files[i-1].Name {
			return fmt.Errorf("%w: files[%d] %q is not after %q", ErrInvalidSet, i, f.Name, s.Files[i-1].Name)
		}
		if IsDerived(f.Name) {
			return fmt.Errorf("%w: files[%d]: derived name %q cannot be a member", ErrInvalidSet, i, f.Name)
		}
		if len(f.SHA256) != 64 || !isLowerHex(f.SHA256) {
			return fmt.Errorf("%w: files[%d] %q: sha256 is not 64 lowercase hex digits", ErrInvalidSet, i, f.Name)
		}
		if f.Size < 0 {
			return fmt.Errorf("%w: files[%d] %q: negative size", ErrInvalidSet, i, f.Name)
		}
		names[f.Name] = true
	}
	for i, k := range s.Skipped {
		if err := checkName(k.Name); err != nil {
			return fmt.Errorf("%w: skipped[%d]: %w", ErrInvalidSet, i, err)
		}
		if i > 0 && k.Name <= s.Skipped[i-1].Name {
			return fmt.Errorf("%w: skipped[%d] %q is not after %q", ErrInvalidSet, i, k.Name, s.Skipped[i-1].Name)
		}
		switch k.Kind {
		case KindSymlink, KindDevice, KindFIFO, KindSocket, KindOther:
		default:
			return fmt.Errorf("%w: skipped[%d] %q: unknown kind %q", ErrInvalidSet, i, k.Name, k.Kind)
		}
		switch {
		case k.Kind == KindSymlink:
			// No target (a bundle from before targets were attested)
			// is valid; it differs from any link on disk.
			if err := checkTarget(k.Target); k.Target != "" && err != nil {
				return fmt.Errorf("%w: skipped[%d] %q: %w", ErrInvalidSet, i, k.Name, err)
			}
		case k.Target != "":
			return fmt.Errorf("%w: skipped[%d] %q: a %s has no target", ErrInvalidSet, i, k.Name, k.Kind)
		}
		if names[k.Name] {
			return fmt.Errorf("%w: %q is both a file and a skipped entry", ErrInvalidSet, k.Name)
		}
	}
	return nil
}
