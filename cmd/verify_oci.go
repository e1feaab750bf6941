package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/internal/ocipack"
	"cohos.dev/cohos/internal/registry"
	"cohos.dev/cohos/verify"
)

// isOCIArg reports whether a verify argument is a registry reference or an
// OCI image layout archive (a regular file with a tar header).
func isOCIArg(arg string) bool {
	if registry.IsRef(arg) {
		return true
	}
	f, err := os.OpenFile(arg, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	var hdr [262]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return false
	}
	return string(hdr[257:262]) == "ustar"
}

// openRun opens a run from an archive or a registry, with its transport
// checks done. The name is what reports call it (a registry run by digest).
func openRun(c *cobra.Command, arg string, plainHTTP bool) (*ocipack.Run, error) {
	run, _, err := openRunNamed(c, arg, plainHTTP)
	return run, err
}

func openRunNamed(c *cobra.Command, arg string, plainHTTP bool) (*ocipack.Run, string, error) {
	ctx := c.Context()
	if !registry.IsRef(arg) {
		run, err := ocipack.OpenFile(ctx, arg)
		if err != nil {
			return nil, arg, inputError(err)
		}
		return run, arg, nil
	}
	ref, err := registry.ParseRef(arg)
	if err != nil {
		return nil, arg, usageError("%v", err)
	}
	repo, err := registry.Repository(ref, registry.Options{PlainHTTP: plainHTTP})
	if err != nil {
		return nil, arg, inputError(err)
	}
	desc, err := registry.Resolve(ctx, repo, ref)
	if err != nil {
		return nil, arg, registryError(arg, err)
	}
	name := registry.Scheme + registry.Digested(ref, desc.Digest)
	run, err := ocipack.Open(ctx, registry.Source{Repo: repo}, desc)
	if err != nil {
		return nil, name, registryError(arg, err)
	}
	return run, name, nil
}

// registryError turns a registry failure into exit 2 with a hint.
func registryError(arg string, err error) error {
	err = fmt.Errorf("%s: %w", arg, err)
	switch {
	case errors.Is(err, registry.ErrUnreachable):
		return withHint(inputError(err), "check that the registry is up and the address is right; a registry without TLS needs --plain-http")
	case errors.Is(err, registry.ErrUnauthorized):
		return withHint(inputError(err), "log in to the registry: cohos reads the docker config file ($DOCKER_CONFIG/config.json or ~/.docker/config.json) and its credential helpers")
	case errors.Is(err, ocipack.ErrNotFound):
		return withHint(inputError(err), "verify and pull the digest that cohos push printed")
	}
	return inputError(err)
}

// verifyOCI verifies a run from an archive or a registry: the transport
// checks (oci.*) first in the report, then every offline check on the bundle
// and the layer read in place.
func verifyOCI(c *cobra.Command, arg string, fl verifyFlags, opts verify.Options) verified {
	br := verified{BundleResult: verify.BundleResult{Path: arg, Checks: []verify.Check{}, Envelopes: []verify.EnvelopeSummary{}}, code: ExitError}
	run, name, err := openRunNamed(c, arg, fl.plainHTTP)
	br.Path = name
	if err != nil {
		br.Error, br.hint = err.Error(), hintOf(err)
		return br
	}
	defer run.Close()
	if run.Bundle == nil {
		rep := &verify.Report{Checks: run.Checks, Envelopes: []verify.EnvelopeSummary{}}
		br.report, br.Checks, br.code = rep, rep.Checks, reportCode(rep)
		br.Error = rep.Err().Error()
		return br
	}
	opts.Artifacts = run.Files
	rep, err := verify.Bundle(c.Context(), run.Bundle, opts)
	if rep == nil || c.Context().Err() != nil {
		br.Error = err.Error()
		return br
	}
	rep.Checks = append(append([]verify.Check{}, run.Checks...), rep.Checks...)
	br.report, br.Checks, br.Envelopes = rep, rep.Checks, rep.Envelopes
	br.code = reportCode(rep)
	br.Verified = br.code == ExitOK
	if err := rep.Err(); err != nil {
		br.Error = err.Error()
	}
	return br
}
