package runner

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"cohos.dev/cohos/internal/atomicfile"
	"cohos.dev/cohos/internal/quarantine"
)

// cleanup says what cohos expects in the run directory after the job.
type cleanup struct {
	runDir string
	// dir is the run directory as cohos made it: the job may have moved,
	// removed or replaced it.
	dir fs.FileInfo
	// logs are the log files cohos created: anything else at their names
	// is quarantined (finishLog then restores them).
	logs []*os.File
	// reserved are names cohos writes after the job, a path.Match
	// pattern allowed in the last element: anything there is quarantined.
	reserved []string
	// inputs are the files cohos wrote before the job: a changed,
	// removed or replaced one is quarantined and written again.
	inputs []Input
}

// sweep clears the run directory once every process of the job is gone:
// it is made writable again, whatever the job left at c's names or under
// names the evidence cannot represent is moved into quarantine, files and
// directories it made unreadable are made readable again, and the inputs
// are restored. It returns one problem per thing found; any problem makes
// the run not completed. A log the job replaced is not among the
// problems: kept maps its name to where the job's entry was moved, and
// finishLog restores and reports it. Errors wrap ErrWrite.
func (c cleanup) sweep() (problems []string, kept map[string]string, err error) {
	reclaimed, err := c.reclaim()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrWrite, err)
	}
	q, err := quarantine.Open(c.runDir)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrWrite, err)
	}
	defer q.Close()
	problems, err = c.clear(q)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrWrite, err)
	}
	problems = appendProblem(problems, reclaimed)
	kept = map[string]string{}
	var moved []string
	for _, it := range q.Items() {
		if it.Why == logWhy {
			kept[it.Name] = it.To
		} else {
			moved = append(moved, it.Problem())
		}
	}
	return append(append(q.Opened(), moved...), problems...), kept, nil
}

// clear does the sweep's work through q and returns the problems that are
// not quarantined items.
func (c cleanup) clear(q *quarantine.Dir) (problems []string, err error) {
	moved, err := q.Keep(artifactsDir, "artifacts directory replaced", func(fi fs.FileInfo) bool { return fi.IsDir() })
	if err != nil {
		return nil, err
	}
	if moved || !exists(filepath.Join(c.runDir, artifactsDir)) {
		if err := os.Mkdir(filepath.Join(c.runDir, artifactsDir), 0o755); err != nil {
			return nil, err
		}
	}
	for _, f := range c.logs {
		ours, err := f.Stat()
		if err != nil {
			return nil, err
		}
		name := filepath.Base(f.Name())
		if _, err := q.Keep(name, logWhy, func(fi fs.FileInfo) bool { return os.SameFile(fi, ours) }); err != nil {
			return nil, err
		}
	}
	// Names the evidence cannot represent go first: a reserved name is
	// then matched against names that are all representable.
	if err := q.Unrepresentable(); err != nil {
		return nil, err
	}
	for _, in := range c.inputs {
		moved, err := q.Keep(in.Name, "input changed", func(fi fs.FileInfo) bool {
			return fi.Mode().IsRegular() && fi.Size() == int64(len(in.Data)) && sameContent(c.runDir, in.Name, in.Data)
		})
		if err != nil {
			return nil, err
		}
		if moved || !exists(filepath.Join(c.runDir, filepath.FromSlash(in.Name))) {
			if err := atomicfile.Write(filepath.Join(c.runDir, filepath.FromSlash(in.Name)), in.Data, 0o644); err != nil {
				return nil, err
			}
			problems = append(problems, in.Name+" was changed by the job; restored cohos's copy (the one the job was given)")
		}
	}
	for _, name := range c.reservedNames() {
		if _, err := q.Clear(name, "evidence name"); err != nil {
			return nil, err
		}
	}
	return problems, nil
}

// reclaim makes sure a directory is at the run directory's path again
// when the job moved, removed or replaced the one cohos made (it may, when
// it can write the parent): a missing one is made anew, anything else at
// the path is moved aside (never followed) beside it. It returns the
// problem, "" when the directory is cohos's.
func (c cleanup) reclaim() (string, error) {
	fi, err := os.Lstat(c.runDir)
	switch {
	case err == nil && fi.IsDir() && (c.dir == nil || os.SameFile(fi, c.dir)):
		return "", nil
	case err == nil && fi.IsDir():
		return "the job replaced the run directory with another directory; its content is judged like the job's", nil
	case err == nil:
		var rnd [6]byte
		if _, err := rand.Read(rnd[:]); err != nil {
			return "", err
		}
		aside := c.runDir + ".job-" + hex.EncodeToString(rnd[:])
		if err := os.Rename(c.runDir, aside); err != nil {
			return "", err
		}
		if err := os.Mkdir(c.runDir, 0o755); err != nil {
			return "", err
		}
		return fmt.Sprintf("the job replaced the run directory with a %s; moved to %s (not attested) and made the run directory anew", kindOf(fi), filepath.Base(aside)), nil
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Mkdir(c.runDir, 0o755); err != nil {
			return "", err
		}
		return "the job moved or removed the run directory; cohos made it anew (what the job had in it is not attested)", nil
	}
	return "", err
}

// kindOf names a file type for a problem.
func kindOf(fi fs.FileInfo) string {
	switch t := fi.Mode().Type(); {
	case t&fs.ModeSymlink != 0:
		return "symlink"
	case t.IsRegular():
		return "file"
	}
	return "special file"
}

// logWhy marks a replaced log among the quarantined items.
const logWhy = "log replaced"

// reservedNames expands c.reserved: a last element that is a pattern
// becomes the entries of its directory that match it.
func (c cleanup) reservedNames() []string {
	var out []string
	for _, name := range c.reserved {
		dir, elem := path.Split(name)
		if !strings.ContainsAny(elem, `*?[\`) {
			out = append(out, name)
			continue
		}
		entries, _ := os.ReadDir(filepath.Join(c.runDir, filepath.FromSlash(dir)))
		for _, e := range entries {
			if ok, _ := path.Match(elem, e.Name()); ok {
				out = append(out, dir+e.Name())
			}
		}
	}
	return out
}

// keptNote completes finishLog's problem for a log whose replacement was
// quarantined.
func keptNote(problem string, kept map[string]string, name string) string {
	if to, ok := kept[name]; ok && problem != "" {
		return problem + "; what the job left there is kept in " + to
	}
	return problem
}

// writeInputs writes the inputs into runDir. They must not exist yet.
func writeInputs(runDir string, inputs []Input) error {
	for _, in := range inputs {
		if !fs.ValidPath(in.Name) || in.Name == "." {
			return fmt.Errorf("%w: input name %q is not a path below the run directory", ErrWrite, in.Name)
		}
		if err := atomicfile.Create(filepath.Join(runDir, filepath.FromSlash(in.Name)), in.Data, 0o644); err != nil {
			return fmt.Errorf("%w: %w", ErrWrite, err)
		}
	}
	return nil
}

// sameContent reports whether the regular file name in dir holds exactly want.
func sameContent(dir, name string, want []byte) bool {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return false
	}
	defer root.Close()
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	got, err := io.ReadAll(io.LimitReader(f, int64(len(want))+1))
	return err == nil && bytes.Equal(got, want)
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
