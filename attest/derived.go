package attest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/atomicfile"
)

// manifest is the content of manifest.json (derived from the set).
type manifest struct {
	Serialization Serialization       `json:"serialization"`
	Count         int                 `json:"count"`
	Digest        map[string]string   `json:"digest"`
	Files         []artifacts.File    `json:"files,omitzero"`
	Skipped       []artifacts.Skipped `json:"skipped,omitempty"`
}

// DerivedFile is one file derived from the artifact set.
type DerivedFile struct {
	Name string
	Data []byte
}

// Derived renders the files derived from a listed predicate's artifact
// set: SHA256SUMS, manifest.json and hashes.json, exactly as Attest writes
// them. It renders the whole manifest in memory: Attest and the verifier
// stream SHA256SUMS instead.
func Derived(pred *Predicate) ([]DerivedFile, error) {
	set, sums := pred.Set(), pred.sums()
	var m bytes.Buffer
	if err := set.WriteManifest(&m); err != nil {
		return nil, err
	}
	rest, err := DerivedJSON(pred, sums.Digest, sums.Root, set.Files)
	if err != nil {
		return nil, err
	}
	return append([]DerivedFile{{SumsName, m.Bytes()}}, rest...), nil
}

// DerivedJSON renders manifest.json, and hashes.json when files (the
// set's files, in order) is not nil, for the predicate whose subject
// digests are digest and root. manifest.json lists the files only when the
// predicate does.
func DerivedJSON(pred *Predicate, digest, root string, files []artifacts.File) ([]DerivedFile, error) {
	man, err := json.MarshalIndent(manifest{
		Serialization: artifactSerialization,
		Count:         pred.Artifacts.Count,
		Digest:        map[string]string{"sha256": digest, DigestMerkle: root},
		Files:         pred.Artifacts.Files,
		Skipped:       pred.Artifacts.Skipped,
	}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	out := []DerivedFile{{ManifestName, append(man, '\n')}}
	if files == nil {
		return out, nil
	}
	hashes := map[string]string{}
	for _, f := range files {
		if !strings.Contains(f.Name, "/") {
			hashes[f.Name] = f.SHA256
		}
	}
	hashes[SumsName] = digest
	hb, err := json.MarshalIndent(hashes, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode hashes: %w", err)
	}
	return append(out, DerivedFile{HashesName, append(hb, '\n')}), nil
}

// writeDerived writes SHA256SUMS (streamed from set, never whole in
// memory), manifest.json and hashes.json.
func writeDerived(dir string, pred *Predicate, set *artifacts.Set) error {
	sums := pred.sums()
	if err := atomicfile.WriteStream(filepath.Join(dir, SumsName), fs.FileMode(0o644), set.WriteManifest); err != nil {
		return err
	}
	files, err := DerivedJSON(pred, sums.Digest, sums.Root, set.Files)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := atomicfile.WriteUnsynced(filepath.Join(dir, f.Name), f.Data, fs.FileMode(0o644)); err != nil {
			return err
		}
	}
	return nil
}
