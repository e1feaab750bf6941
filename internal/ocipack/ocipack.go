// Package ocipack moves a cohos run as OCI artifacts: a deterministic tar of
// the run directory as the one layer of a run manifest (artifactType
// RunArtifactType), and the DSSE bundle as the one layer of an attestation
// manifest whose subject is the run manifest (OCI 1.1 referrers). Pack writes
// both as an OCI image layout archive; Open reads them back from a layout or
// a registry (any Source) and checks every digest, so that verify can run its
// offline checks on the result.
//
// Nothing Open fetches is trusted: digests are checked on every read, sizes
// are bounded, and the bundle's signatures (checked by package verify) are
// what make the run trusted.
package ocipack

import (
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Media and artifact types.
const (
	// RunArtifactType is the artifactType of a run manifest.
	RunArtifactType = "application/vnd.cohos.run.v1"
	// BundleArtifactType is the artifactType of an attestation manifest
	// and the media type of its one layer (an in-toto JSON Lines bundle).
	BundleArtifactType = "application/vnd.in-toto.bundle"
	// LayerTitle and BundleTitle name the layers (org.opencontainers.image.title).
	LayerTitle  = "run.tar"
	BundleTitle = "bundle.intoto.jsonl"
	// AnnotationRunID carries the run id on both manifests (informational:
	// the signed statement is what binds it).
	AnnotationRunID = "dev.cohos.run.id"
)

// Check IDs of the transport checks (SPEC.md "Evidence in transit").
const (
	CheckManifest = "oci.manifest"
	CheckReferrer = "oci.referrer"
	CheckLayer    = "oci.layer"
)

// Limits on what is read before any signature is checked.
const (
	maxManifest  = 4 << 20
	maxReferrers = 1000
)

// plain is the descriptor with only mediaType, digest and size, as a
// subject and as an address.
func plain(d ocispec.Descriptor) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}
}
