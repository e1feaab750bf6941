// Package registry connects package ocipack to OCI registries with oras-go:
// it parses oci:// references, authenticates with the docker config file and
// its credential helpers (as oras and crane do), pushes a packed run with its
// attestation as a referrer (the referrers API, or the referrers tag schema
// where the registry lacks it), and reads a run back as an ocipack.Source.
package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strings"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/errcode"
	"oras.land/oras-go/v2/registry/remote/retry"

	"cohos.dev/cohos/internal/ocipack"
	"cohos.dev/cohos/internal/version"
)

// Scheme prefixes a registry reference on the command line.
const Scheme = "oci://"

// ErrBadReference is wrapped by ParseRef errors.
var ErrBadReference = errors.New("invalid registry reference")

// ErrUnauthorized is wrapped by errors for a registry that refused the
// credentials (or their absence).
var ErrUnauthorized = errors.New("the registry refused access")

// ErrUnreachable is wrapped by errors talking to a registry that did not
// answer (down, wrong address, TLS against a plain-HTTP registry).
var ErrUnreachable = errors.New("cannot reach the registry")

// IsRef reports whether s names a registry (oci://...).
func IsRef(s string) bool { return strings.HasPrefix(s, Scheme) }

// ParseRef parses oci://HOST/REPO[:TAG|@sha256:...].
func ParseRef(s string) (registry.Reference, error) {
	if !IsRef(s) {
		return registry.Reference{}, fmt.Errorf("%w %q: want oci://HOST/REPO:TAG or oci://HOST/REPO@sha256:...", ErrBadReference, s)
	}
	ref, err := registry.ParseReference(strings.TrimPrefix(s, Scheme))
	if err != nil {
		return registry.Reference{}, fmt.Errorf("%w %q: %v", ErrBadReference, s, err)
	}
	return ref, nil
}

// Options configure the connection.
type Options struct {
	// PlainHTTP talks HTTP instead of HTTPS (for a local test registry).
	PlainHTTP bool
}

// Repository opens the repository of ref with the docker credentials.
func Repository(ref registry.Reference, opts Options) (*remote.Repository, error) {
	repo, err := remote.NewRepository(ref.Registry + "/" + ref.Repository)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadReference, err)
	}
	repo.PlainHTTP = opts.PlainHTTP
	repo.SkipReferrersGC = true // registries often refuse DELETE; a stale index only lists a gone digest
	store, err := credentials.NewStoreFromDocker(credentials.StoreOptions{})
	if err != nil {
		return nil, fmt.Errorf("docker credentials: %w", err)
	}
	hdr := http.Header{}
	hdr.Set("User-Agent", "cohos/"+version.String())
	repo.Client = &auth.Client{
		Client:     retry.DefaultClient,
		Header:     hdr,
		Cache:      auth.NewCache(),
		Credential: credentials.Credential(store),
	}
	return repo, nil
}

// Source reads a run from a repository for ocipack.Open.
type Source struct{ Repo *remote.Repository }

// Fetch opens d by its digest. The size the registry announces is not
// compared here: ocipack.Open compares what it reads with d, so a blob of
// another length fails a check instead of the transport. Network failures
// are marked ocipack.Transport; a missing manifest or blob wraps
// fs.ErrNotExist.
func (s Source) Fetch(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	var store interface {
		FetchReference(context.Context, string) (ocispec.Descriptor, io.ReadCloser, error)
	} = s.Repo.Blobs()
	if d.MediaType == ocispec.MediaTypeImageManifest || d.MediaType == ocispec.MediaTypeImageIndex {
		store = s.Repo.Manifests()
	}
	_, rc, err := store.FetchReference(ctx, d.Digest.String())
	if err != nil {
		return nil, classify(err)
	}
	return rc, nil
}

// Referrers lists the manifests that refer to subject: the referrers API,
// or the referrers tag schema where the registry has no API.
func (s Source) Referrers(ctx context.Context, subject ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	var out []ocispec.Descriptor
	err := s.Repo.Referrers(ctx, subject, "", func(refs []ocispec.Descriptor) error {
		out = append(out, refs...)
		if len(out) > 10000 {
			return errors.New("too many referrers")
		}
		return nil
	})
	if err != nil {
		return nil, classify(err)
	}
	return out, nil
}

// Resolve returns the run manifest ref names: by digest without asking the
// registry, by tag from the registry (not trusted: the digest is checked
// on fetch, and the signature decides).
func Resolve(ctx context.Context, repo *remote.Repository, ref registry.Reference) (ocispec.Descriptor, error) {
	if d, err := ref.Digest(); err == nil {
		// The size is unknown until fetched; HEAD for it (checked on fetch).
		desc, err := repo.Resolve(ctx, d.String())
		if err != nil {
			return ocispec.Descriptor{}, classify(err)
		}
		if desc.Digest != d {
			return ocispec.Descriptor{}, fmt.Errorf("registry resolved %s as %s", d, desc.Digest)
		}
		return desc, nil
	}
	if ref.Reference == "" {
		return ocispec.Descriptor{}, fmt.Errorf("%w %q: name a tag or a digest", ErrBadReference, ref.String())
	}
	desc, err := repo.Resolve(ctx, ref.Reference)
	if err != nil {
		return ocispec.Descriptor{}, classify(err)
	}
	return desc, nil
}

// classify marks network failures as transport errors wrapping
// ErrUnreachable, and keeps not-found as errdef.ErrNotFound (which Open
// reads through fs.ErrNotExist).
func classify(err error) error {
	var ue *url.Error
	var ne net.Error
	var er *errcode.ErrorResponse
	switch {
	case errors.Is(err, errdef.ErrNotFound):
		return notFound{err}
	case errors.As(err, &er) && er.StatusCode == http.StatusNotFound:
		return notFound{err}
	case errors.Is(err, auth.ErrBasicCredentialNotFound):
		return ocipack.Transport(fmt.Errorf("%w: no credentials for this registry: %v", ErrUnauthorized, err))
	case errors.As(err, &er) && (er.StatusCode == http.StatusUnauthorized || er.StatusCode == http.StatusForbidden):
		return ocipack.Transport(fmt.Errorf("%w: %v", ErrUnauthorized, err))
	case errors.As(err, &ue) || errors.As(err, &ne):
		return ocipack.Transport(fmt.Errorf("%w: %v", ErrUnreachable, err))
	case errors.As(err, &er):
		return ocipack.Transport(err)
	}
	return err
}

type notFound struct{ error }

func (n notFound) Unwrap() error { return n.error }
func (n notFound) Is(target error) bool {
	return target == fs.ErrNotExist
}

// Digested prints a repository and digest as HOST/REPO@sha256:...
func Digested(ref registry.Reference, d digest.Digest) string {
	return ref.Registry + "/" + ref.Repository + "@" + d.String()
}
