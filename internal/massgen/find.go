package massgen

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

var (
	// ErrNoLogs means the base directory does not exist or holds no log_*
	// directory.
	ErrNoLogs = errors.New("massgen: no log directory")
	// ErrAmbiguous means the base directory holds more than one log_*
	// directory, so which run is meant cannot be told.
	ErrAmbiguous = errors.New("massgen: more than one log directory")
)

// FindLogDir returns the one log_* directory under base (both relative to
// fsys's root, '/'-separated), e.g. base ".massgen/massgen_logs" gives
// ".massgen/massgen_logs/log_20261124_053109_253439". Symbolic links are
// never followed: a linked base is an error and a linked log_* entry is
// ignored. Errors: ErrNoLogs when base is missing or holds no log_*
// directory, ErrAmbiguous when it holds several, fs.ErrInvalid for an
// invalid base path, and otherwise the underlying I/O error, wrapped.
func FindLogDir(fsys fs.FS, base string) (string, error) {
	if !fs.ValidPath(base) {
		return "", fmt.Errorf("massgen: base path %q: %w", base, fs.ErrInvalid)
	}
	if err := checkDir(fsys, base); err != nil {
		if errors.Is(err, errMissing) {
			return "", fmt.Errorf("%w: %s is missing", ErrNoLogs, base)
		}
		return "", fmt.Errorf("massgen: %s: %w", base, err)
	}
	entries, err := fs.ReadDir(fsys, base)
	if err != nil {
		return "", fmt.Errorf("massgen: %w", err)
	}
	var found []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "log_") && e.Type().IsDir() {
			found = append(found, e.Name())
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%w under %s", ErrNoLogs, base)
	case 1:
		return path.Join(base, found[0]), nil
	default:
		return "", fmt.Errorf("%w: %s holds %d (%s, %s, ...)", ErrAmbiguous, base, len(found), found[0], found[1])
	}
}

// lastNumbered returns the name of the real (not linked) directory
// "<prefix><N>" under dir with the highest N, or "" if there is none.
func lastNumbered(fsys fs.FS, dir, prefix string) (string, error) {
	if err := checkDir(fsys, dir); err != nil {
		return "", err
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return "", err
	}
	best, bestN := "", -1
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsDir() || len(rest) == 0 || len(rest) > 9 {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 || strconv.Itoa(n) != rest {
			continue
		}
		if n > bestN {
			best, bestN = e.Name(), n
		}
	}
	return best, nil
}

// validAgentID reports whether id can name an agent: it becomes a path
// element (final/<id>/answer.txt), so it must be one safe element.
func validAgentID(id string) bool {
	if id == "" || len(id) > 128 || id == "." || id == ".." {
		return false
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || r == 0xfffd {
			return false
		}
	}
	return true
}
