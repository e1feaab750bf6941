package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	"cohos.dev/cohos/internal/ocipack"
)

// Push uploads the run of the layout l to repo: the blobs, the run
// manifest, the attestation manifest (indexed as a referrer of the run, by
// the referrers API or the tag schema), and last the tag, if any, so that a
// tag never names a run whose attestation is not there yet. Every blob is
// read from l and checked against its digest on the way. It returns the run
// manifest's descriptor.
func Push(ctx context.Context, l *ocipack.Layout, repo *remote.Repository, tag string) (ocispec.Descriptor, error) {
	runDesc, err := l.Run()
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	run, err := ocipack.Open(ctx, l, runDesc)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer run.Close()
	if err := run.Err(); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("the layout does not hold an intact run: %w", err)
	}
	for _, d := range run.Graph() {
		if err := pushOne(ctx, l, repo, d); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("push %s: %w", d.Digest, classify(err))
		}
	}
	if tag != "" {
		if err := repo.Tag(ctx, runDesc, tag); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("tag %s: %w", tag, classify(err))
		}
	}
	return runDesc, nil
}

func pushOne(ctx context.Context, l *ocipack.Layout, repo *remote.Repository, d ocispec.Descriptor) error {
	isManifest := d.MediaType == ocispec.MediaTypeImageManifest
	if !isManifest {
		ok, err := repo.Exists(ctx, d)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	rc, err := l.Fetch(ctx, d)
	if err != nil {
		return err
	}
	defer rc.Close()
	var r io.Reader = rc
	if isManifest {
		b, err := io.ReadAll(io.LimitReader(rc, d.Size))
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	err = repo.Push(ctx, d, r)
	var re *remote.ReferrersError
	if errors.As(err, &re) && re.IsReferrersIndexDelete() {
		return nil // the new index is in place; only the old one stayed
	}
	return err
}
