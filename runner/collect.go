package runner

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Reasons a matched file is not collected; they appear in the messages of
// Invocation.CollectErrors.
var (
	errSymlink    = errors.New("symbolic link refused")
	errNotRegular = errors.New("not a regular file")
	errCollision  = errors.New("name already taken in artifacts")
	errNoMatch    = errors.New("matched no file (check the pattern; it is relative to the working directory)")
)

// collect copies the regular files matching patterns (filepath.Glob,
// relative to workDir unless absolute) into dst, each under its base name,
// streaming. A path with a symbolic link at or below workDir is refused. It
// returns the names written ("artifacts/<base>", relative to the run
// directory) and one message per problem; it never fails as a whole.
func collect(workDir, dst string, patterns []string) (collected, problems []string) {
	seen := make(map[string]bool)
	for _, pat := range patterns {
		full := pat
		if !filepath.IsAbs(pat) {
			full = filepath.Join(workDir, pat)
		}
		matches, err := filepath.Glob(full)
		if err == nil && len(matches) == 0 {
			err = errNoMatch
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("collect %q: %v", pat, err))
			continue
		}
		for _, m := range matches {
			if seen[m] {
				continue
			}
			seen[m] = true
			base := filepath.Base(m)
			if err := copyFile(workDir, m, filepath.Join(dst, base)); err != nil {
				problems = append(problems, fmt.Sprintf("collect %q: %s: %v", pat, display(workDir, m), err))
				continue
			}
			collected = append(collected, filepath.Base(dst)+"/"+base)
		}
	}
	return collected, problems
}

// display names m relative to workDir when it lies below it.
func display(workDir, m string) string {
	if rel, err := filepath.Rel(workDir, m); err == nil && inside(rel) {
		return filepath.ToSlash(rel)
	}
	return m
}

// inside reports whether the relative path rel stays below its base.
func inside(rel string) bool {
	return rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// copyFile copies the regular file src to the new file dst (mode 0644).
func copyFile(workDir, src, dst string) (err error) {
	if err := checkNoSymlink(workDir, src); err != nil {
		return err
	}
	// O_NOFOLLOW and O_NONBLOCK: a file swapped for a link or a FIFO since
	// the check neither leads elsewhere nor blocks the open.
	in, err := os.OpenFile(src, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ELOOP) {
		return errSymlink
	}
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return errNotRegular
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return errCollision
	}
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(dst)
		}
	}()
	if err := out.Chmod(0o644); err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	return out.Sync()
}

// checkNoSymlink refuses src when it, or a directory between workDir and
// it, is a symbolic link or not a regular file. For a path outside workDir
// only src itself is checked.
func checkNoSymlink(workDir, src string) error {
	rel, err := filepath.Rel(workDir, src)
	p, parts := workDir, strings.Split(rel, string(filepath.Separator))
	if err != nil || !inside(rel) {
		p, parts = filepath.Dir(src), []string{filepath.Base(src)}
	}
	for i, part := range parts {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return errSymlink
		}
		if i == len(parts)-1 && !fi.Mode().IsRegular() {
			return errNotRegular
		}
	}
	return nil
}
