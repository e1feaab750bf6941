package ocipack

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/regfile"
)

// ErrIncomplete is wrapped by Pack errors for a run directory without a bundle.
var ErrIncomplete = errors.New("run incomplete")

// Packed says what Pack wrote.
type Packed struct {
	RunID  string
	Run    ocispec.Descriptor // the run manifest
	Bundle ocispec.Descriptor // the attestation manifest
}

// tagName is what a tag (and an index ref.name) may be.
var tagName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

// Pack writes the run directory dir as an OCI image layout archive at out,
// atomically: the file appears complete or not at all, and an existing out
// is never replaced. The same directory always gives the same bytes. The
// run's bundle is read but not verified; its run id (from the unverified
// predicate) only names the run in annotations.
//
// Errors wrap ErrIncomplete (no bundle), ErrUnpackable (an entry a tar
// cannot carry), fs.ErrExist (out exists), or the bundle's parse error.
func Pack(dir, out string) (*Packed, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	bundle, err := regfile.ReadFS(root.FS(), artifacts.BundleFile, attest.MaxBundleSize)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w: no %s (the run was killed or is still running)", dir, ErrIncomplete, artifacts.BundleFile)
	}
	if err != nil {
		return nil, err
	}
	runID, err := bundleRunID(bundle)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, artifacts.BundleFile), err)
	}
	if _, err := os.Lstat(out); err == nil {
		return nil, fmt.Errorf("%s: %w", out, os.ErrExist)
	}
	outDir := filepath.Dir(out)
	layer, err := os.CreateTemp(outDir, ".cohos-layer-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(layer.Name())
	defer layer.Close()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(layer, h)}
	if err := writeRunTar(root, cw); err != nil {
		return nil, err
	}
	layerDesc := ocispec.Descriptor{
		MediaType: ocispec.MediaTypeImageLayer, Digest: digest.NewDigest(digest.SHA256, h), Size: cw.n,
		Annotations: map[string]string{ocispec.AnnotationTitle: LayerTitle},
	}
	m := buildManifests(runID, layerDesc, bundle)
	tmp, err := os.CreateTemp(outDir, ".cohos-pack-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := m.writeLayout(tmp, layer); err != nil {
		return nil, fmt.Errorf("write %s: %w", out, err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return nil, err
	}
	// Link, not rename: an out created meanwhile is never replaced.
	if err := os.Link(tmp.Name(), out); err != nil {
		return nil, err
	}
	return &Packed{RunID: runID, Run: plain(m.runDesc), Bundle: plain(m.attDesc)}, nil
}

// bundleRunID parses the bundle and returns the run id its first envelope
// claims (not verified here).
func bundleRunID(b []byte) (string, error) {
	envs, err := attest.ParseBundle(b)
	if err != nil {
		return "", err
	}
	st, err := attest.ParseStatement(envs[0].Body)
	if err != nil {
		return "", err
	}
	if st.PredicateType != attest.PredicateType {
		return "", fmt.Errorf("not a cohos governed-run attestation: predicate %q", st.PredicateType)
	}
	pred, err := attest.ParsePredicate(st.Predicate)
	if err != nil {
		return "", err
	}
	return pred.Run.ID, nil
}

// manifests are the blobs of a packed run, the layer aside.
type manifests struct {
	runID            string
	layer            ocispec.Descriptor
	bundle           []byte
	bundleDesc       ocispec.Descriptor
	run, att         []byte
	runDesc, attDesc ocispec.Descriptor
}

func buildManifests(runID string, layer ocispec.Descriptor, bundle []byte) *manifests {
	m := &manifests{runID: runID, layer: layer, bundle: bundle}
	ann := map[string]string{AnnotationRunID: runID}
	m.run = marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: RunArtifactType, Config: ocispec.DescriptorEmptyJSON,
		Layers: []ocispec.Descriptor{layer}, Annotations: ann,
	})
	m.runDesc = ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(m.run), Size: int64(len(m.run))}
	m.bundleDesc = ocispec.Descriptor{
		MediaType: BundleArtifactType, Digest: digest.FromBytes(bundle), Size: int64(len(bundle)),
		Annotations: map[string]string{ocispec.AnnotationTitle: BundleTitle},
	}
	subject := plain(m.runDesc)
	m.att = marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: BundleArtifactType, Config: ocispec.DescriptorEmptyJSON,
		Layers: []ocispec.Descriptor{m.bundleDesc}, Subject: &subject, Annotations: ann,
	})
	m.attDesc = ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(m.att), Size: int64(len(m.att))}
	return m
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only fixed struct types are marshalled
	}
	return b
}

// writeLayout writes the layout archive: the blobs under blobs/sha256 in
// digest order, then index.json and oci-layout.
func (m *manifests) writeLayout(w io.Writer, layer *os.File) error {
	runEntry := m.runDesc
	runEntry.ArtifactType = RunArtifactType
	if tagName.MatchString(m.runID) {
		runEntry.Annotations = map[string]string{ocispec.AnnotationRefName: m.runID}
	}
	attEntry := m.attDesc
	attEntry.ArtifactType = BundleArtifactType
	index := marshal(ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{runEntry, attEntry},
	})
	type blob struct {
		d    digest.Digest
		size int64
		r    io.Reader
	}
	blobs := []blob{
		{ocispec.DescriptorEmptyJSON.Digest, 2, strings.NewReader("{}")},
		{m.layer.Digest, m.layer.Size, nil},
		{m.runDesc.Digest, m.runDesc.Size, bytes.NewReader(m.run)},
		{m.bundleDesc.Digest, m.bundleDesc.Size, bytes.NewReader(m.bundle)},
		{m.attDesc.Digest, m.attDesc.Size, bytes.NewReader(m.att)},
	}
	slices.SortFunc(blobs, func(a, b blob) int { return strings.Compare(a.d.Encoded(), b.d.Encoded()) })
	tw := tar.NewWriter(w)
	for _, b := range blobs {
		r := b.r
		if r == nil {
			if _, err := layer.Seek(0, io.SeekStart); err != nil {
				return err
			}
			r = layer
		}
		if err := writeTarFile(tw, "blobs/sha256/"+b.d.Encoded(), b.size, r); err != nil {
			return err
		}
	}
	layout := []byte(`{"imageLayoutVersion":"1.0.0"}`)
	if err := writeTarFile(tw, "index.json", int64(len(index)), bytes.NewReader(index)); err != nil {
		return err
	}
	if err := writeTarFile(tw, ocispec.ImageLayoutFile, int64(len(layout)), bytes.NewReader(layout)); err != nil {
		return err
	}
	return tw.Close()
}

func writeTarFile(tw *tar.Writer, name string, size int64, r io.Reader) error {
	h := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644, ModTime: time.Unix(0, 0)}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	n, err := io.Copy(tw, io.LimitReader(r, size))
	if err == nil && n != size {
		err = fmt.Errorf("%s: %d bytes, want %d", name, n, size)
	}
	return err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
