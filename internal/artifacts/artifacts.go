// Package artifacts computes the cohos artifact-set digest, method
// "cohos-artifacts/v1".
//
// The artifact set of a run directory is every regular file below it except
// the top-level bundle and derived files (see [Derived]) when they are regular
// files; a directory of such a name is walked like any other. Each file is named by
// its path relative to the directory: '/'-separated, valid UTF-8, with no
// empty, "." or ".." segment, no leading '/', and no NUL, CR or LF. Names are
// sorted by bytes.
//
// The leaf of a file is the line
//
//	hex(sha256(content)) "  " name "\n"
//
// which is a sha256sum line. The manifest is the leaf lines concatenated (the
// SHA256SUMS file, checkable with `sha256sum -c`). Its SHA-256 is the set's
// digest, equal to in-toto's dirHash and to Go's dirhash.Hash1 for the same
// tree. The Merkle root is the RFC 9162 Merkle Tree Hash over the leaf lines,
// so one file can be proved a member of the set without the others.
//
// Entries that are not regular files or directories (symlinks, devices, FIFOs,
// sockets) are never followed or hashed; they are listed as [Skipped] so that
// a verifier notices one appearing or vanishing. They are not part of the
// manifest, the digest or the Merkle root.
//
// A name containing a backslash is written raw, as dirhash does; GNU
// sha256sum would print such a line escaped, but `sha256sum -c` accepts the raw
// line.
package artifacts

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"unicode/utf8"
)

// Method names the serialization this package implements.
const Method = "cohos-artifacts/v1"

// Top-level names that are never part of the artifact set.
const (
	BundleFile   = "bundle.intoto.jsonl" // the signed attestations
	ManifestFile = "manifest.json"       // the artifact set as JSON (derived)
	HashesFile   = "hashes.json"         // sha256 of each top-level evidence file (derived)
	SumsFile     = "SHA256SUMS"          // the manifest lines (derived)
)

// Derived returns the top-level names excluded from the artifact set: the
// bundle and the files derived from the set. The slice is a fresh copy.
func Derived() []string {
	return []string{BundleFile, ManifestFile, HashesFile, SumsFile}
}

// IsDerived reports whether name (a path relative to the run directory) is one
// of the excluded top-level names. A nested path such as "sub/manifest.json"
// is not derived.
func IsDerived(name string) bool {
	switch name {
	case BundleFile, ManifestFile, HashesFile, SumsFile:
		return true
	}
	return false
}

// ErrBadName is wrapped by errors for a name that cannot be written as a
// manifest line (NUL, CR, LF, invalid UTF-8) or is not a clean relative path.
var ErrBadName = errors.New("invalid artifact name")

// File is one member of the artifact set.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`   // bytes hashed; -1 when unknown (see ParseManifest)
	SHA256 string `json:"sha256"` // lowercase hex
}

// Kinds of skipped entries.
const (
	KindSymlink = "symlink"
	KindDevice  = "device"
	KindFIFO    = "fifo"
	KindSocket  = "socket"
	KindOther   = "other"
)

// Skipped is a directory entry that is not a regular file or directory
// (symlink, device, fifo, socket, irregular). It is never followed or hashed,
// but listed so that a verifier notices one appearing or vanishing.
type Skipped struct {
	Name string `json:"name"`
	Kind string `json:"kind"` // one of the Kind constants
	// Target is a symlink's target as readlink gives it (never followed),
	// so that retargeting a link is a change; "" for other kinds.
	Target string `json:"target,omitempty"`
}

// Set is an artifact set. Files and Skipped are each sorted by Name bytes.
type Set struct {
	Files   []File    `json:"files"`
	Skipped []Skipped `json:"skipped"`
}

// checkName returns an error wrapping ErrBadName if name cannot be a member
// name.
func checkName(name string) error {
	var reason string
	switch {
	case name == "." || !fs.ValidPath(name):
		reason = "not a clean relative path"
	case !utf8.ValidString(name):
		reason = "invalid UTF-8"
	case strings.ContainsRune(name, 0):
		reason = "contains NUL"
	case strings.ContainsRune(name, '\r'):
		reason = "contains CR"
	case strings.ContainsRune(name, '\n'):
		reason = "contains LF"
	default:
		return nil
	}
	return fmt.Errorf("%w %q: %s", ErrBadName, name, reason)
}

// checkComponent checks one path element of a member name; a name whose
// elements all pass is a valid member name.
func checkComponent(elem string) error {
	switch {
	case elem == "" || elem == "." || elem == ".." || strings.ContainsRune(elem, '/'):
		return errors.New("not a clean relative path")
	case !utf8.ValidString(elem):
		return errors.New("invalid UTF-8")
	case strings.ContainsRune(elem, 0):
		return errors.New("contains NUL")
	case strings.ContainsRune(elem, '\r'):
		return errors.New("contains CR")
	case strings.ContainsRune(elem, '\n'):
		return errors.New("contains LF")
	}
	return nil
}

// ErrBadTarget is wrapped by errors for a symlink target that cannot be
// attested as it is (not UTF-8, a NUL, or empty).
var ErrBadTarget = errors.New("invalid symlink target")

// checkTarget checks that a symlink target survives JSON unchanged.
func checkTarget(t string) error {
	switch {
	case t == "":
		return fmt.Errorf("%w: empty", ErrBadTarget)
	case !utf8.ValidString(t):
		return fmt.Errorf("%w %q: invalid UTF-8", ErrBadTarget, t)
	case strings.ContainsRune(t, 0):
		return fmt.Errorf("%w %q: contains NUL", ErrBadTarget, t)
	}
	return nil
}

// kindOf maps a file type to a Skipped kind. It returns "" for a regular file
// or a directory.
func kindOf(t fs.FileMode) string {
	switch {
	case t.IsRegular(), t.IsDir():
		return ""
	case t&fs.ModeSymlink != 0:
		return KindSymlink
	case t&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		return KindDevice
	case t&fs.ModeNamedPipe != 0:
		return KindFIFO
	case t&fs.ModeSocket != 0:
		return KindSocket
	}
	return KindOther
}
