package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/regfile"
)

// A set too large to list in the predicate (SPEC.md §3) is bound by the
// subject digests alone; its per-file list is SHA256SUMS.

// compareUnlisted compares the disk set with an unlisted attested one: by
// digest and Merkle root for the files, by list for the skipped entries.
// When they differ, the files are named from SHA256SUMS if it is the
// attested manifest (its sha256 is the subject's); otherwise the diff says
// it could not name them (unnamed).
func (v *verifier) compareUnlisted(pred *attest.Predicate) (d artifacts.Diff, unnamed bool) {
	disk := v.disk.set
	d = artifacts.Compare(&artifacts.Set{Skipped: pred.Artifacts.Skipped}, &artifacts.Set{Skipped: disk.Skipped})
	if v.disk.sums.Digest == v.digest && v.disk.sums.Root == v.root && v.disk.sums.Count == pred.Artifacts.Count {
		return d, false
	}
	files, err := v.attestedList()
	if err != nil {
		return d, true
	}
	d = artifacts.Compare(&artifacts.Set{Files: files, Skipped: pred.Artifacts.Skipped}, disk)
	return d, d.Empty() // the digests differ: never report that as equal
}

// attestedList reads SHA256SUMS from the run directory when its sha256 is
// the subject's: then it is exactly the attested file list.
func (v *verifier) attestedList() ([]artifacts.File, error) {
	sum, size, err := hashFile(v.opts.Artifacts, attest.SumsName)
	if err != nil {
		return nil, err
	}
	if sum != v.digest {
		return nil, errors.New("SHA256SUMS is not the attested manifest")
	}
	b, err := regfile.ReadFS(v.opts.Artifacts, attest.SumsName, size)
	if err != nil {
		return nil, err
	}
	if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != v.digest {
		return nil, errors.New("SHA256SUMS changed while read")
	}
	return artifacts.ParseManifest(b)
}

// hashFile returns the hex SHA-256 and size of a regular file in fsys,
// read in a stream (never whole).
func hashFile(fsys fs.FS, name string) (string, int64, error) {
	f, err := regfile.OpenFS(fsys, name)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
