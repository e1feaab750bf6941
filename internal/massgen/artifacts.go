package massgen

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"syscall"

	"cohos.dev/cohos/runner"
)

// Names in the artifacts directory of a MassGen run.
const (
	artifactsDir    = "artifacts"
	finalAnswerName = "final_answer.txt"
	indexName       = "index.txt"
)

// artifact is one file written to artifacts/.
type artifact struct {
	name string // base name in artifacts/
	size int64
	what string
}

// copyArtifacts copies each agent's final answer to
// artifacts/answer_<agent>.txt and the winner's to artifacts/final_answer.txt,
// all through root (the run directory), so that no path or symbolic link
// leads outside it; only regular files are copied. It then writes
// artifacts/index.txt. It returns the names written (relative to the run
// directory) and one message per answer that could not be copied; the
// error, wrapping runner.ErrWrite, is for index.txt only.
func copyArtifacts(root *os.Root, a *Analysis) (written, problems []string, err error) {
	var files []artifact
	var notes []string
	copyOne := func(src, name, what string) {
		n, err := copyInRoot(root, src, path.Join(artifactsDir, name))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: copy %s: %v", name, src, err))
			return
		}
		files = append(files, artifact{name: name, size: n, what: what})
	}
	if a == nil {
		notes = append(notes, "no answers: MassGen's logs were not found")
	} else {
		agents := slices.Sorted(maps.Keys(a.AgentAnswers))
		for _, agent := range agents {
			if !safeAgent(agent) {
				problems = append(problems, fmt.Sprintf("answer of agent %q: agent id unusable as a file name", agent))
				continue
			}
			copyOne(a.AgentAnswers[agent], "answer_"+agent+".txt", "final answer of agent "+agent)
		}
		switch {
		case a.Winner == "":
			notes = append(notes, "no final answer: MassGen selected no winner")
		case a.FinalAnswer == "":
			notes = append(notes, "no final answer: the winner "+a.Winner+" left no answer file")
		default:
			copyOne(a.FinalAnswer, finalAnswerName, "final answer of the run (winner "+a.Winner+")")
		}
	}
	written, err = writeIndex(root, files, notes)
	return written, problems, err
}

// writeIndex writes artifacts/index.txt (name, bytes and what each file
// is, then a "#" line per note) and returns the names of files and of the
// index, under artifacts/. Errors wrap runner.ErrWrite.
func writeIndex(root *os.Root, files []artifact, notes []string) ([]string, error) {
	written := make([]string, 0, len(files)+1)
	var b bytes.Buffer
	b.WriteString("# name\tbytes\twhat\n")
	for _, f := range files {
		fmt.Fprintf(&b, "%s\t%d\t%s\n", f.name, f.size, f.what)
		written = append(written, artifactsDir+"/"+f.name)
	}
	for _, n := range notes {
		fmt.Fprintf(&b, "# %s\n", n)
	}
	if _, err := writeInRoot(root, path.Join(artifactsDir, indexName), &b); err != nil {
		return written, fmt.Errorf("%w: %s: %w", runner.ErrWrite, indexName, err)
	}
	return append(written, artifactsDir+"/"+indexName), nil
}

// safeAgent reports whether an agent id can be part of a file name:
// 1 to 64 bytes of [A-Za-z0-9_.-], not starting with a dot.
func safeAgent(id string) bool {
	if id == "" || len(id) > 64 || id[0] == '.' {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
		default:
			return false
		}
	}
	return true
}

// Answers that are not regular files are not copied.
var (
	errNotRegularFile = errors.New("not a regular file")
	errLinkRefused    = errors.New("symbolic link refused")
)

// copyInRoot copies the regular file src to the new file dst, both
// slash-separated paths below root, streaming, and returns the bytes
// copied. A final symbolic link in src is refused, others may not leave
// root; FIFOs and devices are refused without being opened.
func copyInRoot(root *os.Root, src, dst string) (int64, error) {
	in, err := openInRoot(root, src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	return writeInRoot(root, dst, in)
}

// openInRoot opens the regular file src below root for reading without
// blocking. os.Root follows links that stay inside it; an answer that is
// a link is refused all the same. A link swapped in after this check
// still cannot lead outside the root, and the opened file is checked again.
func openInRoot(root *os.Root, src string) (*os.File, error) {
	lfi, err := root.Lstat(src)
	if err != nil {
		return nil, err
	}
	if lfi.Mode()&fs.ModeSymlink != 0 {
		return nil, errLinkRefused
	}
	if !lfi.Mode().IsRegular() {
		return nil, errNotRegularFile
	}
	in, err := root.OpenFile(src, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := in.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = errNotRegularFile
	}
	if err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

// writeInRoot writes r to the new file dst below root atomically: a
// temporary file beside it, synced, then renamed to dst. It fails if dst
// exists. It returns the bytes written.
func writeInRoot(root *os.Root, dst string, r io.Reader) (n int64, err error) {
	if _, err := root.Lstat(dst); err == nil {
		return 0, fmt.Errorf("%s already exists", dst)
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return 0, err
	}
	tmp := path.Join(path.Dir(dst), "."+path.Base(dst)+".tmp-"+hex.EncodeToString(rnd[:]))
	out, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			out.Close()
			_ = root.Remove(tmp)
		}
	}()
	if err = out.Chmod(0o644); err != nil {
		return 0, err
	}
	if n, err = io.Copy(out, r); err != nil {
		return n, err
	}
	if err = out.Sync(); err != nil {
		return n, err
	}
	if err = out.Close(); err != nil {
		return n, err
	}
	if err = root.Rename(tmp, dst); err != nil {
		return n, err
	}
	return n, nil
}
