package artifacts

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// ErrManifest is wrapped by every ParseManifest error.
var ErrManifest = errors.New("malformed manifest")

// maxManifestLines bounds ParseManifest's work: far more files than
// anyone attests (a million make a 95 MB manifest).
const maxManifestLines = 1 << 26

// appendLine appends the leaf line of f to b.
func appendLine(b []byte, f *File) []byte {
	b = append(b, f.SHA256...)
	b = append(b, ' ', ' ')
	b = append(b, f.Name...)
	return append(b, '\n')
}

// Manifest returns the SHA256SUMS file of the set: one line
// "hex  name\n" per file, in the order of s.Files (sorted by name). A nil set
// has an empty manifest.
func (s *Set) Manifest() []byte {
	if s == nil {
		return []byte{}
	}
	n := 0
	for i := range s.Files {
		n += len(s.Files[i].SHA256) + len(s.Files[i].Name) + 3
	}
	b := make([]byte, 0, n)
	for i := range s.Files {
		b = appendLine(b, &s.Files[i])
	}
	return b
}

// Leaves returns the Merkle leaves of the set: the manifest lines, each
// including its "\n", in manifest order.
func (s *Set) Leaves() [][]byte {
	if s == nil {
		return [][]byte{}
	}
	m := s.Manifest()
	leaves := make([][]byte, len(s.Files))
	for i := range s.Files {
		n := len(s.Files[i].SHA256) + len(s.Files[i].Name) + 3
		leaves[i], m = m[:n:n], m[n:]
	}
	return leaves
}

// Digest returns the lowercase hex SHA-256 of the manifest: in-toto's dirHash
// and the hex of Go's dirhash.Hash1 for the same tree.
func (s *Set) Digest() string {
	sum := sha256.Sum256(s.Manifest())
	return hex.EncodeToString(sum[:])
}

// Root returns the lowercase hex RFC 9162 Merkle Tree Hash over the manifest
// lines (see MerkleRoot). The root of an empty set is sha256("").
func (s *Set) Root() string {
	r := MerkleRoot(s.Leaves())
	return hex.EncodeToString(r[:])
}

// ParseManifest parses a SHA256SUMS file in exactly the form Manifest writes:
// each line is 64 lowercase hex digits, two spaces, a name and "\n"; names are
// valid member names, not top-level derived names, strictly increasing by
// bytes (so unique). Empty input is the empty manifest. The files returned
// have Size -1 (unknown).
//
// Errors wrap ErrManifest and name the line; a bad name also wraps
// ErrBadName.
func ParseManifest(b []byte) ([]File, error) {
	files := []File{}
	prev := ""
	for lineNo := 1; len(b) > 0; lineNo++ {
		if lineNo > maxManifestLines {
			return nil, fmt.Errorf("%w: more than %d lines", ErrManifest, maxManifestLines)
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil, fmt.Errorf("%w: line %d: no final newline", ErrManifest, lineNo)
		}
		line := b[:i]
		b = b[i+1:]
		if len(line) < 2*sha256.Size+3 || line[64] != ' ' || line[65] != ' ' {
			return nil, fmt.Errorf("%w: line %d: not \"<sha256>  <name>\"", ErrManifest, lineNo)
		}
		sum := string(line[:64])
		if !isLowerHex(sum) {
			return nil, fmt.Errorf("%w: line %d: sha256 is not lowercase hex", ErrManifest, lineNo)
		}
		name := string(line[66:])
		if err := checkName(name); err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrManifest, lineNo, err)
		}
		if IsDerived(name) {
			return nil, fmt.Errorf("%w: line %d: derived name %q cannot be a member", ErrManifest, lineNo, name)
		}
		if lineNo > 1 && name <= prev {
			return nil, fmt.Errorf("%w: line %d: %q is not after %q", ErrManifest, lineNo, name, prev)
		}
		prev = name
		files = append(files, File{Name: name, Size: -1, SHA256: sum})
	}
	return files, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Sums is the set's two digests and the size of its manifest, computed
// in one pass over the files without rendering the manifest (a million
// files make a manifest of about 95 MB).
type Sums struct {
	Digest string // hex SHA-256 of the manifest (SHA256SUMS)
	Root   string // hex RFC 9162 Merkle root over the manifest's lines
	Size   int64  // bytes of the manifest
	Count  int    // files
}

// Sums computes both digests in one streaming pass.
func (s *Set) Sums() Sums {
	var d Digester
	for i := range s.Files {
		d.Add(&s.Files[i])
	}
	return d.Sums()
}

// Digester computes Sums from files added one at a time in manifest
// order, in memory logarithmic in their number.
type Digester struct {
	h     hash.Hash
	tree  MerkleStack
	line  []byte
	size  int64
	count int
}

// Add adds f's manifest line.
func (d *Digester) Add(f *File) {
	if d.h == nil {
		d.h = sha256.New()
	}
	d.line = appendLine(d.line[:0], f)
	d.h.Write(d.line)
	d.tree.Add(leafHash(d.line))
	d.size += int64(len(d.line))
	d.count++
}

// Sums returns the digests of the files added so far.
func (d *Digester) Sums() Sums {
	h := d.h
	if h == nil {
		h = sha256.New()
	}
	root := d.tree.Root()
	return Sums{Digest: hex.EncodeToString(h.Sum(nil)), Root: hex.EncodeToString(root[:]), Size: d.size, Count: d.count}
}

// WriteManifest writes the manifest (the SHA256SUMS file) to w, one line
// at a time.
func (s *Set) WriteManifest(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var line []byte
	for i := range s.Files {
		line = appendLine(line[:0], &s.Files[i])
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}
