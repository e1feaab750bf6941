package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"
	"unicode/utf8"

	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/massgen"
	"cohos.dev/cohos/internal/regfile"
)

// defaultMaxPreviews is Options.MaxPreviews's zero value.
const defaultMaxPreviews = 20

// readTimeline reads massgen_timeline.json from the run directory. A run
// without one is normal (a plain command); one that cannot be read or
// parsed is noted in TimelineError, not an error of Load.
func (ev *Evidence) readTimeline(root *os.Root) {
	b, err := readInRoot(root, massgen.TimelineName, maxTimeline)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		ev.TimelineError = err.Error()
		return
	}
	t, err := massgen.ParseTimeline(b)
	if err != nil {
		ev.TimelineError = err.Error()
		return
	}
	ev.Timeline = t
	if f, ok := ev.attested(massgen.TimelineName); ok {
		ev.TimelineAttested = f.SHA256 == sha256Hex(b)
	}
}

// readPreviews reads small text artifacts of the first envelope, those
// people read first (under artifacts/, then the logs), up to the limits.
func (ev *Evidence) readPreviews(root *os.Root, opts Options) {
	if opts.PreviewBytes <= 0 || len(ev.Envelopes) == 0 {
		return
	}
	limit := opts.MaxPreviews
	if limit <= 0 {
		limit = defaultMaxPreviews
	}
	for _, pass := range []func(string) bool{
		func(n string) bool { return strings.HasPrefix(n, "artifacts/") },
		func(n string) bool { return !strings.HasPrefix(n, "artifacts/") && textName(n) },
	} {
		for _, f := range ev.Envelopes[0].Artifacts {
			if len(ev.Previews) >= limit {
				return
			}
			if !pass(f.Name) || f.Size < 0 || f.Size > opts.PreviewBytes {
				continue
			}
			b, err := readInRoot(root, f.Name, opts.PreviewBytes)
			if err != nil || !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
				continue
			}
			ev.Previews[f.Name] = Preview{Text: string(b), Attested: f.SHA256 == sha256Hex(b)}
		}
	}
}

// textName reports whether a name looks like a text file people read.
func textName(name string) bool {
	switch path.Ext(name) {
	case ".txt", ".md", ".log", ".json", ".yaml", ".yml":
		return true
	}
	return false
}

// attested returns the first envelope's entry for name.
func (ev *Evidence) attested(name string) (artifacts.File, bool) {
	if len(ev.Envelopes) == 0 {
		return artifacts.File{}, false
	}
	for _, f := range ev.Envelopes[0].Artifacts {
		if f.Name == name {
			return f, true
		}
	}
	return artifacts.File{}, false
}

// readInRoot reads a regular file inside root (never leaving it) of at
// most limit bytes.
func readInRoot(root *os.Root, name string, limit int64) ([]byte, error) {
	return regfile.ReadFS(root.FS(), name, limit)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
