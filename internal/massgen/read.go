package massgen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// Read limits. MassGen's largest file in a real run is under 100 KB; these
// bound what a corrupt or hostile log directory can make Analyze read.
const (
	maxFileSize = 64 << 20  // any one file
	maxYAMLSize = 1 << 20   // execution_metadata.yaml (YAML decoding is costly)
	maxLineSize = 4 << 20   // one events.jsonl line
	maxLines    = 1_000_000 // events.jsonl lines
)

// Reasons a file could not be read. They become Problems ("<file>: <reason>").
var (
	errMissing   = errors.New("missing")
	errSymlink   = errors.New("symbolic link not followed")
	errIrregular = errors.New("not a regular file")
	errNotDir    = errors.New("a path element is not a directory")
	errTooLarge  = errors.New("too large")
	errTruncated = errors.New("truncated")
	errChanged   = errors.New("changed while being opened")
)

// checkPath Lstats every element of name, so that no symbolic link is ever
// followed (os.Root follows links that stay inside the root), and requires
// every element but the last to be a directory. It returns the last
// element's FileInfo. If fsys does not implement fs.ReadLinkFS, Lstat is
// Stat and links cannot be told apart.
func checkPath(fsys fs.FS, name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, fmt.Errorf("invalid path %q: %w", name, fs.ErrInvalid)
	}
	elems := []string{name}
	if name != "." {
		elems = strings.Split(name, "/")
	}
	var fi fs.FileInfo
	for i := range elems {
		p := strings.Join(elems[:i+1], "/")
		var err error
		fi, err = fs.Lstat(fsys, p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errMissing
		}
		if err != nil {
			return nil, err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return nil, errSymlink
		}
		if i < len(elems)-1 && !fi.IsDir() {
			return nil, errNotDir
		}
	}
	return fi, nil
}

// checkDir is checkPath for a directory.
func checkDir(fsys fs.FS, name string) error {
	fi, err := checkPath(fsys, name)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return errNotDir
	}
	return nil
}

// openRegular opens name after checkPath, requiring a regular file of at
// most limit bytes both before and after opening.
func openRegular(fsys fs.FS, name string, limit int64) (fs.File, error) {
	li, err := checkPath(fsys, name)
	if err != nil {
		return nil, err
	}
	if !li.Mode().IsRegular() {
		return nil, errIrregular
	}
	if li.Size() > limit {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", errTooLarge, li.Size(), limit)
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	// os.SameFile(x, x) holds only for the os package's own FileInfo.
	osInfos := os.SameFile(li, li) && os.SameFile(fi, fi)
	if !fi.Mode().IsRegular() || osInfos && !os.SameFile(li, fi) {
		f.Close()
		return nil, errChanged
	}
	return f, nil
}

// readBounded reads all of name (see openRegular), failing with errTooLarge
// past limit bytes even if the file grew after it was opened.
func readBounded(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := openRegular(fsys, name, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", errTooLarge, limit)
	}
	return b, nil
}

// decodeJSON decodes one JSON value from b into v. Unknown fields are
// allowed (the files are MassGen's, and it adds fields between versions);
// data after the value is an error and a cut-off value is errTruncated.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return errTruncated
		}
		return fmt.Errorf("malformed: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("malformed: data after the JSON value")
	}
	return nil
}

// lineReader yields the lines of a bounded stream. A line longer than
// maxLen is skipped (reported as long) and reading goes on after it.
type lineReader struct {
	r      *bufio.Reader
	maxLen int
	total  int64 // bytes consumed
	limit  int64 // bytes allowed in all
	no     int   // current line number (1-based)
	buf    []byte
}

func newLineReader(r io.Reader, maxLen int, limit int64) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), maxLen: maxLen, limit: limit}
}

// next returns the next line without its newline, whether it was too long
// (then the line is nil), or io.EOF, errTooLarge or a read error.
func (lr *lineReader) next() (line []byte, long bool, err error) {
	lr.buf = lr.buf[:0]
	got := false
	for {
		chunk, err := lr.r.ReadSlice('\n')
		lr.total += int64(len(chunk))
		if lr.total > lr.limit {
			return nil, false, fmt.Errorf("%w: over %d bytes", errTooLarge, lr.limit)
		}
		got = got || len(chunk) > 0
		if !long {
			n := len(chunk)
			if err == nil {
				n-- // the newline
			}
			if len(lr.buf)+n > lr.maxLen {
				long = true
				lr.buf = lr.buf[:0]
			} else {
				lr.buf = append(lr.buf, chunk...)
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if !got {
				return nil, false, io.EOF
			}
		default:
			return nil, false, err
		}
		lr.no++
		if long {
			return nil, true, nil
		}
		return bytes.TrimSuffix(lr.buf, []byte("\n")), false, nil
	}
}
