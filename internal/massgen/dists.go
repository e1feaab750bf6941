package massgen

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// maxDists bounds how many distributions Distributions lists: a virtualenv
// with more is not one cohos made (MassGen's lock holds a few hundred).
const maxDists = 100_000

// ErrNoVirtualenv is returned (wrapped) by Distributions when the massgen
// executable does not live in a Python virtualenv's bin directory.
var ErrNoVirtualenv = errors.New("massgen is not in a virtualenv")

// Dists is the set of Python distributions installed beside a massgen
// executable: what actually ran, so that two runs can be compared by it.
type Dists struct {
	// MassGen is massgen's own version, "" when not installed there.
	MassGen string
	// Count is the number of distributions.
	Count int
	// SHA256 is the hex SHA-256 of List: one "name==version\n" line per
	// distribution, name normalised as PEP 503 says (lower case, runs of
	// "-", "_" and "." become "-"), lines sorted bytewise.
	SHA256 string
	// List is the listing SHA256 is computed over.
	List string
}

// Distributions lists the distributions of the virtualenv that holds bin
// (VENV/bin/massgen, VENV/pyvenv.cfg), read from the names of the
// *.dist-info directories in VENV/lib/python3*/site-packages, which pip
// names NAME-VERSION.dist-info. Nothing is imported or run.
func Distributions(bin string) (Dists, error) {
	if real, err := filepath.EvalSymlinks(bin); err == nil {
		bin = real
	}
	venv := filepath.Dir(filepath.Dir(bin))
	if fi, err := os.Lstat(filepath.Join(venv, "pyvenv.cfg")); err != nil || !fi.Mode().IsRegular() {
		return Dists{}, fmt.Errorf("%w: no pyvenv.cfg in %s", ErrNoVirtualenv, venv)
	}
	sites, err := filepath.Glob(filepath.Join(venv, "lib", "python3*", "site-packages"))
	if err != nil || len(sites) != 1 {
		return Dists{}, fmt.Errorf("%w: want one lib/python3*/site-packages in %s, found %d", ErrNoVirtualenv, venv, len(sites))
	}
	entries, err := os.ReadDir(sites[0])
	if err != nil {
		return Dists{}, fmt.Errorf("massgen: distributions: %w", err)
	}
	var d Dists
	lines := make([]string, 0, len(entries))
	for _, e := range entries {
		name, version, ok := distInfo(e.Name())
		if !ok || !e.IsDir() {
			continue
		}
		if len(lines) == maxDists {
			return Dists{}, fmt.Errorf("massgen: distributions: more than %d in %s", maxDists, sites[0])
		}
		lines = append(lines, name+"=="+version+"\n")
		if name == "massgen" {
			d.MassGen = version
		}
	}
	slices.Sort(lines)
	lines = slices.Compact(lines)
	d.Count = len(lines)
	d.List = strings.Join(lines, "")
	sum := sha256.Sum256([]byte(d.List))
	d.SHA256 = hex.EncodeToString(sum[:])
	return d, nil
}

// distInfo splits "NAME-VERSION.dist-info" into the normalised name and
// the version; ok is false for any other entry.
func distInfo(entry string) (name, version string, ok bool) {
	base, found := strings.CutSuffix(entry, ".dist-info")
	if !found {
		return "", "", false
	}
	i := strings.LastIndexByte(base, '-')
	if i <= 0 || i == len(base)-1 {
		return "", "", false
	}
	name, version = NormalizeName(base[:i]), base[i+1:]
	if !validVersion(version) || name == "" {
		return "", "", false
	}
	return name, version, true
}

// NormalizeName normalises a Python project name as PEP 503 says: lower
// case, each run of '-', '_' and '.' replaced by one '-'.
func NormalizeName(name string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(name) {
		if r == '-' || r == '_' || r == '.' {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('-')
		}
		sep = false
		b.WriteRune(r)
	}
	return b.String()
}

// validVersion reports whether v looks like a PEP 440 version: starting
// with a digit, then digits, letters, '.', '+', '-' or '_', at most 64 bytes.
func validVersion(v string) bool {
	if v == "" || len(v) > 64 || v[0] < '0' || v[0] > '9' {
		return false
	}
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '.', r == '+', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}
