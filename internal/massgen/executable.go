package massgen

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrNotFound is returned (wrapped) by FindExecutable when no usable
// massgen executable is found.
var ErrNotFound = errors.New("massgen not found")

// venvMassGen is the project virtualenv's massgen, relative to the
// repository root (made by scripts/setup-massgen.sh), slash-separated.
const venvMassGen = ".venv/bin/massgen"

// Search says where FindExecutable looks. Each field is one source, in
// the order they are tried; empty fields are skipped.
type Search struct {
	// Bin is an explicit executable (--massgen-bin).
	Bin string
	// EnvBin is the value of $COHOS_MASSGEN.
	EnvBin string
	// WorkDir is the current directory: WorkDir/.venv/bin/massgen.
	WorkDir string
	// Executable is the path of the running cohos binary:
	// <dir of Executable>/../.venv/bin/massgen.
	Executable string
	// Path is the search path ($PATH); "" skips the PATH search.
	Path string
}

// FindExecutable returns the absolute path of the massgen executable to run:
// s.Bin, then s.EnvBin, then the project virtualenv relative to s.WorkDir,
// then relative to the parent of s.Executable's directory, then the first
// "massgen" in s.Path. An explicit Bin or EnvBin that is not an executable
// regular file is an error, never skipped. Every error wraps
// ErrNotFound.
func FindExecutable(s Search) (string, error) {
	for _, explicit := range []struct{ src, path string }{{"--massgen-bin", s.Bin}, {"COHOS_MASSGEN", s.EnvBin}} {
		if explicit.path == "" {
			continue
		}
		p, err := executable(explicit.path)
		if err != nil {
			return "", fmt.Errorf("%w: %s %s: %w", ErrNotFound, explicit.src, explicit.path, err)
		}
		return p, nil
	}
	var candidates []string
	if s.WorkDir != "" {
		candidates = append(candidates, filepath.Join(s.WorkDir, filepath.FromSlash(venvMassGen)))
	}
	if s.Executable != "" {
		candidates = append(candidates, filepath.Join(filepath.Dir(filepath.Dir(s.Executable)), filepath.FromSlash(venvMassGen)))
	}
	for _, c := range candidates {
		if p, err := executable(c); err == nil {
			return p, nil
		}
	}
	for _, dir := range filepath.SplitList(s.Path) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue // like exec.LookPath: never run from the current directory by accident
		}
		if p, err := executable(filepath.Join(dir, "massgen")); err == nil {
			return p, nil
		}
	}
	return "", ErrNotFound
}

// executable returns path made absolute when it names an executable
// regular file (after following symbolic links).
func executable(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", errNotRegularFile
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return "", fs.ErrPermission
	}
	return abs, nil
}

// installedVersion returns the version of the massgen distribution
// installed beside bin in a virtualenv or prefix
// (<bin>/../lib/python*/site-packages/massgen-<version>.dist-info), or ""
// when there is none or more than one.
func installedVersion(bin string) string {
	if real, err := filepath.EvalSymlinks(bin); err == nil {
		bin = real
	}
	prefix := filepath.Dir(filepath.Dir(bin))
	matches, err := filepath.Glob(filepath.Join(prefix, "lib", "python3*", "site-packages", "massgen-*.dist-info"))
	if err != nil || len(matches) != 1 {
		return ""
	}
	name := filepath.Base(matches[0])
	v := name[len("massgen-") : len(name)-len(".dist-info")]
	if !validVersion(v) {
		return ""
	}
	return v
}
