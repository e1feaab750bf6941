package ocipack

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ErrNotLayout is wrapped by OpenLayout errors for a file that is not an
// OCI image layout archive holding one cohos run.
var ErrNotLayout = errors.New("not an OCI image layout archive of a cohos run")

// Layout is an OCI image layout archive opened in place: blobs are read
// from the file, never extracted.
type Layout struct {
	f     *os.File
	blobs map[digest.Digest]section
	index ocispec.Index
}

type section struct{ off, size int64 }

// OpenLayout opens the archive at path (a regular file, opened without
// blocking) and reads its index.json. Close it when done.
func OpenLayout(path string) (*Layout, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	l, err := readLayout(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

func readLayout(f *os.File) (*Layout, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: not a regular file", ErrNotLayout)
	}
	l := &Layout{f: f, blobs: map[digest.Digest]section{}}
	sr := io.NewSectionReader(f, 0, fi.Size())
	tr := tar.NewReader(sr)
	var index *section
	layoutSeen := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotLayout, err)
		}
		if h.Typeflag == tar.TypeDir {
			continue
		}
		pos, _ := sr.Seek(0, io.SeekCurrent)
		s := section{off: pos, size: h.Size}
		name := strings.TrimPrefix(h.Name, "./")
		if h.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("%w: entry %q is not a regular file", ErrNotLayout, h.Name)
		}
		switch {
		case name == "index.json":
			if index != nil {
				return nil, fmt.Errorf("%w: index.json appears twice", ErrNotLayout)
			}
			index = &s
		case name == ocispec.ImageLayoutFile:
			layoutSeen = true
		case strings.HasPrefix(name, "blobs/"):
			d := digest.Digest(strings.Replace(strings.TrimPrefix(name, "blobs/"), "/", ":", 1))
			if d.Validate() != nil {
				continue // not a blob a descriptor can name
			}
			if _, dup := l.blobs[d]; dup {
				return nil, fmt.Errorf("%w: blob %s appears twice", ErrNotLayout, d)
			}
			l.blobs[d] = s
		}
	}
	if index == nil || !layoutSeen {
		return nil, fmt.Errorf("%w: no index.json or oci-layout", ErrNotLayout)
	}
	if index.size > maxManifest {
		return nil, fmt.Errorf("%w: index.json larger than %d bytes", ErrNotLayout, maxManifest)
	}
	b := make([]byte, index.size)
	if _, err := f.ReadAt(b, index.off); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &l.index); err != nil {
		return nil, fmt.Errorf("%w: index.json: %v", ErrNotLayout, err)
	}
	return l, nil
}

// Close closes the archive.
func (l *Layout) Close() error { return l.f.Close() }

// Run returns the one run manifest index.json lists. Entries carrying an
// artifactType are taken at their word (the digest is checked on Open);
// when none does (a layout another tool wrote), each listed manifest is
// read to find the run's.
func (l *Layout) Run() (ocispec.Descriptor, error) {
	var runs []ocispec.Descriptor
	typed := false
	for _, d := range l.index.Manifests {
		typed = typed || d.ArtifactType != ""
		if d.ArtifactType == RunArtifactType {
			runs = append(runs, plain(d))
		}
	}
	if !typed && len(l.index.Manifests) <= maxReferrers {
		for _, d := range l.index.Manifests {
			b, err := fetchBytes(context.Background(), l, plain(d), maxManifest)
			if err != nil {
				continue
			}
			var m ocispec.Manifest
			if json.Unmarshal(b, &m) == nil && m.ArtifactType == RunArtifactType {
				runs = append(runs, plain(d))
			}
		}
	}
	if len(runs) != 1 {
		return ocispec.Descriptor{}, fmt.Errorf("%w: index.json lists %d run manifests, want 1", ErrNotLayout, len(runs))
	}
	return runs[0], nil
}

// Fetch opens a blob by digest (bytes not verified: Open does that).
func (l *Layout) Fetch(_ context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	s, ok := l.blobs[d.Digest]
	if !ok {
		return nil, fmt.Errorf("blob %s: %w", d.Digest, fs.ErrNotExist)
	}
	return io.NopCloser(io.NewSectionReader(l.f, s.off, s.size)), nil
}

// Section returns the blob's bytes in place and their stored size.
func (l *Layout) Section(d ocispec.Descriptor) (io.ReaderAt, int64, error) {
	s, ok := l.blobs[d.Digest]
	if !ok {
		return nil, 0, fmt.Errorf("blob %s: %w", d.Digest, fs.ErrNotExist)
	}
	return io.NewSectionReader(l.f, s.off, s.size), s.size, nil
}

// Referrers lists every manifest index.json names except subject: the
// candidates; Open fetches each and keeps those whose subject it is.
func (l *Layout) Referrers(_ context.Context, subject ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	var out []ocispec.Descriptor
	for _, d := range l.index.Manifests {
		if d.Digest != subject.Digest && d.MediaType == ocispec.MediaTypeImageManifest {
			out = append(out, d)
		}
	}
	return out, nil
}

// OpenFile opens the run in the layout archive at path: OpenLayout, Run and
// Open in one. The run keeps the file open until its Close.
func OpenFile(ctx context.Context, path string) (*Run, error) {
	l, err := OpenLayout(path)
	if err != nil {
		return nil, err
	}
	desc, err := l.Run()
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	run, err := Open(ctx, l, desc)
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	run.close = l.Close
	return run, nil
}
