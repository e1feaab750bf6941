package ocipack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/tarfs"
	"cohos.dev/cohos/verify"
)

// Source is where Open reads a run: a Layout, or a registry repository.
// Nothing it returns is trusted.
type Source interface {
	// Fetch opens the manifest or blob d.
	Fetch(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error)
	// Referrers lists candidate manifests that may name subject.
	Referrers(ctx context.Context, subject ocispec.Descriptor) ([]ocispec.Descriptor, error)
}

// sectioner is a Source that can hand out a blob's bytes in place.
type sectioner interface {
	Section(d ocispec.Descriptor) (io.ReaderAt, int64, error)
}

// ErrNotFound is wrapped by Open errors when the run manifest does not exist.
var ErrNotFound = errors.New("run manifest not found")

// Run is a run read from a Source, with the transport checks' outcome.
type Run struct {
	// Manifest is the run manifest's descriptor.
	Manifest ocispec.Descriptor
	// Checks are oci.manifest, oci.referrer and oci.layer, in that order;
	// a check that could not run for an earlier failure is skipped.
	Checks []verify.Check
	// Bundle is the attestation bundle, nil when oci.referrer failed.
	Bundle []byte
	// Files is the run directory read in place from the layer, nil when the
	// layer was not read. When the layer is not a valid run tree, every
	// operation on Files fails with the reason, as a bad directory would.
	Files fs.FS
	// Layer, Attestation and BundleLayer describe what was found.
	Layer, Attestation, BundleLayer ocispec.Descriptor
	tree                            *tarfs.FS
	close                           func() error
}

// Close releases the layer's storage.
func (r *Run) Close() error {
	if r.close != nil {
		return r.close()
	}
	return nil
}

// Err returns the first failed transport check as a *verify.CheckError.
func (r *Run) Err() error {
	for _, c := range r.Checks {
		if c.Status == verify.Fail {
			return &verify.CheckError{ID: c.ID, Reason: c.Reason}
		}
	}
	return nil
}

func (r *Run) check(id string, st verify.Status, format string, args ...any) {
	r.Checks = append(r.Checks, verify.Check{ID: id, Status: st, Reason: fmt.Sprintf(format, args...)})
}

// Open reads the run whose manifest is run from src and checks, in order:
// oci.manifest (the manifest matches its digest and is a cohos run
// manifest with one tar layer), oci.referrer (exactly one attestation
// manifest names it as subject, and its bundle matches its digest), and
// oci.layer (the layer matches its digest and size). Failed checks are in
// Run.Checks, not errors; the error is for a source that could not be
// read (ErrNotFound, a network or file error).
func Open(ctx context.Context, src Source, run ocispec.Descriptor) (*Run, error) {
	r := &Run{Manifest: plain(run)}
	b, err := fetchBytes(ctx, src, run, maxManifest)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotFound, run.Digest, err)
	}
	var m ocispec.Manifest
	if err == nil {
		m, err = parseManifest(b, RunArtifactType, ocispec.MediaTypeImageLayer)
	}
	if err != nil {
		if isTransport(err) {
			return nil, err
		}
		r.check(CheckManifest, verify.Fail, "run manifest %s: %v", run.Digest, err)
		r.check(CheckReferrer, verify.Skip, "no run manifest")
		r.check(CheckLayer, verify.Skip, "no run manifest")
		return r, nil
	}
	r.check(CheckManifest, verify.Pass, "run manifest %s", run.Digest)
	if err := r.referrer(ctx, src); err != nil {
		return nil, err
	}
	r.Layer = plain(m.Layers[0])
	if err := r.layer(ctx, src, m.Layers[0]); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Graph lists what makes up an intact run, in push order: blobs before the
// manifests that name them, the run before its attestation.
func (r *Run) Graph() []ocispec.Descriptor {
	empty := plain(ocispec.DescriptorEmptyJSON)
	return []ocispec.Descriptor{empty, r.Layer, r.Manifest, r.BundleLayer, r.Attestation}
}

// referrer finds the one attestation manifest whose subject is the run.
func (r *Run) referrer(ctx context.Context, src Source) error {
	cands, err := src.Referrers(ctx, r.Manifest)
	if err != nil {
		return fmt.Errorf("list referrers of %s: %w", r.Manifest.Digest, err)
	}
	if len(cands) > maxReferrers {
		r.check(CheckReferrer, verify.Fail, "%d referrers of %s, more than %d", len(cands), r.Manifest.Digest, maxReferrers)
		return nil
	}
	var found []ocispec.Manifest
	var foundDesc []ocispec.Descriptor
	var problems []string
	for _, d := range cands {
		if d.MediaType != ocispec.MediaTypeImageManifest || d.Size > maxManifest {
			continue
		}
		b, err := fetchBytes(ctx, src, plain(d), maxManifest)
		if errors.Is(err, fs.ErrNotExist) {
			continue // listed, gone: not a referrer
		}
		if err != nil && isTransport(err) {
			return err
		}
		var m ocispec.Manifest
		if err == nil {
			m, err = parseManifest(b, BundleArtifactType, BundleArtifactType)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", d.Digest, err))
			continue
		}
		if m.Subject == nil || m.Subject.Digest != r.Manifest.Digest {
			continue
		}
		found = append(found, m)
		foundDesc = append(foundDesc, plain(d))
	}
	switch {
	case len(found) == 0 && len(problems) > 0:
		r.check(CheckReferrer, verify.Fail, "no usable attestation refers to run manifest %s: %s", r.Manifest.Digest, problems[0])
		return nil
	case len(found) == 0:
		r.check(CheckReferrer, verify.Fail, "no attestation refers to run manifest %s (the bundle referrer is missing)", r.Manifest.Digest)
		return nil
	case len(found) > 1:
		r.check(CheckReferrer, verify.Fail, "%d attestations refer to run manifest %s, want exactly 1", len(found), r.Manifest.Digest)
		return nil
	}
	ld := found[0].Layers[0]
	if ld.Size > attest.MaxBundleSize {
		r.check(CheckReferrer, verify.Fail, "bundle of %d bytes, more than %d", ld.Size, attest.MaxBundleSize)
		return nil
	}
	b, err := fetchBytes(ctx, src, ld, attest.MaxBundleSize)
	if err != nil {
		if isTransport(err) {
			return err
		}
		r.check(CheckReferrer, verify.Fail, "bundle %s: %v", ld.Digest, err)
		return nil
	}
	r.Bundle, r.Attestation, r.BundleLayer = b, foundDesc[0], plain(ld)
	r.check(CheckReferrer, verify.Pass, "one attestation refers to the run; bundle %s", ld.Digest)
	return nil
}

// layer reads the run layer in place (a layout) or spooled into an unlinked
// temporary file (a registry), indexes it and checks its digest.
func (r *Run) layer(ctx context.Context, src Source, d ocispec.Descriptor) error {
	ra, size, closeFn, err := openLayer(ctx, src, d)
	if errors.Is(err, fs.ErrNotExist) {
		r.check(CheckLayer, verify.Fail, "layer %s: not found", d.Digest)
		return nil
	}
	if err != nil {
		return err
	}
	r.close = closeFn
	n := min(size, d.Size)
	tree, sum, ierr := tarfs.Index(ra, n)
	got := digest.NewDigestFromEncoded(digest.SHA256, sum)
	switch {
	case size != d.Size:
		r.check(CheckLayer, verify.Fail, "layer %s: %d bytes, the manifest says %d", d.Digest, size, d.Size)
	case got != d.Digest:
		r.check(CheckLayer, verify.Fail, "layer bytes give %s, the manifest says %s (the layer was changed)", got, d.Digest)
	default:
		r.check(CheckLayer, verify.Pass, "layer %s, %d bytes", d.Digest, d.Size)
	}
	if ierr != nil {
		r.Files = errFS{fmt.Errorf("run layer: %w", ierr)}
		return nil
	}
	r.tree, r.Files = tree, tree
	return nil
}

func openLayer(ctx context.Context, src Source, d ocispec.Descriptor) (io.ReaderAt, int64, func() error, error) {
	if s, ok := src.(sectioner); ok {
		ra, size, err := s.Section(d)
		return ra, size, nil, err
	}
	rc, err := src.Fetch(ctx, d)
	if err != nil {
		return nil, 0, nil, err
	}
	defer rc.Close()
	f, err := os.CreateTemp("", "cohos-layer-*")
	if err != nil {
		return nil, 0, nil, err
	}
	os.Remove(f.Name()) // unlinked: gone with the descriptor
	n, err := io.Copy(f, io.LimitReader(rc, d.Size+1))
	if err != nil && !isDigestError(err) {
		f.Close()
		return nil, 0, nil, err
	}
	return f, n, f.Close, nil
}

// fetchBytes reads at most limit bytes of d and checks them against d.
func fetchBytes(ctx context.Context, src Source, d ocispec.Descriptor, limit int64) ([]byte, error) {
	if d.Size < 0 || d.Size > limit {
		return nil, fmt.Errorf("size %d outside 0..%d", d.Size, limit)
	}
	rc, err := src.Fetch(ctx, d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, d.Size+1))
	if err != nil && !isDigestError(err) {
		return nil, err
	}
	if int64(len(b)) != d.Size {
		return nil, fmt.Errorf("%d bytes, the descriptor says %d (changed)", len(b), d.Size)
	}
	if got := digest.FromBytes(b); got != d.Digest {
		return nil, fmt.Errorf("content gives %s, not %s (changed)", got, d.Digest)
	}
	return b, nil
}

// parseManifest checks a manifest of the given artifactType with exactly
// one layer of layerType.
func parseManifest(b []byte, artifactType, layerType string) (ocispec.Manifest, error) {
	var m ocispec.Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("not a manifest: %v", err)
	}
	if dec.More() {
		return m, errors.New("not a manifest: trailing data")
	}
	switch {
	case m.SchemaVersion != 2 || m.MediaType != ocispec.MediaTypeImageManifest:
		return m, fmt.Errorf("not an OCI image manifest (schemaVersion %d, mediaType %q)", m.SchemaVersion, m.MediaType)
	case m.ArtifactType != artifactType:
		return m, fmt.Errorf("artifactType %q, want %q", m.ArtifactType, artifactType)
	case len(m.Layers) != 1:
		return m, fmt.Errorf("%d layers, want 1", len(m.Layers))
	case m.Layers[0].MediaType != layerType:
		return m, fmt.Errorf("layer mediaType %q, want %q", m.Layers[0].MediaType, layerType)
	case m.Layers[0].Digest.Validate() != nil || m.Layers[0].Digest.Algorithm() != digest.SHA256:
		return m, fmt.Errorf("layer digest %q is not sha256", m.Layers[0].Digest)
	case m.Layers[0].Size < 0:
		return m, fmt.Errorf("layer size %d", m.Layers[0].Size)
	}
	return m, nil
}

// Transport errors end Open; content errors become failed checks.
type transportError struct{ error }

func (e transportError) Unwrap() error { return e.error }

// Transport marks err as a failure to reach or read the source (not a
// content mismatch): Open returns it instead of failing a check.
func Transport(err error) error {
	if err == nil {
		return nil
	}
	return transportError{err}
}

func isTransport(err error) bool {
	var te transportError
	return errors.As(err, &te)
}

// ErrDigest is what a Source wraps for bytes that do not match their
// descriptor (Open compares them itself and fails the check).
var ErrDigest = errors.New("content does not match its digest")

func isDigestError(err error) bool { return errors.Is(err, ErrDigest) }

// errFS fails every operation with err: a run layer that is not a valid run
// tree is reported through the artifact walk, as a bad directory would be.
type errFS struct{ err error }

func (e errFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: e.err}
}
