package cmd

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/internal/ocipack"
	"cohos.dev/cohos/internal/registry"
)

func newPushCmd() *cobra.Command {
	var plainHTTP bool
	c := &cobra.Command{
		Use:   "push RUN_DIR|run.oci.tar oci://HOST/REPO[:TAG]",
		Short: "Upload a run and its bundle to an OCI registry",
		Long: `push uploads a run (a run directory, packed on the way, or an archive from
cohos pack) to an OCI registry: the run as an artifact manifest and the bundle
as a manifest referring to it (the referrers API, or the referrers tag schema
where the registry has none). The tag, if given, is set last. It prints the run
as HOST/REPO@sha256:... on stdout: verify and pull by that digest.
Credentials come from the docker config file and its credential helpers.`,
		Example: `  run=$(cohos push runs/<id> oci://registry.example/team/evidence:<id>)
  cohos verify "oci://$run" --key key.pub --run-id <id>`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			ref, err := registry.ParseRef(args[1])
			if err != nil {
				return usageError("%v", err)
			}
			if _, err := ref.Digest(); err == nil {
				return usageError("push to a tag or to the repository, not to a digest: %s", args[1])
			}
			src := args[0]
			if fi, err := os.Stat(src); err == nil && fi.IsDir() {
				tmp, err := os.MkdirTemp("", "cohos-push-*")
				if err != nil {
					return inputError(err)
				}
				defer os.RemoveAll(tmp)
				packed := filepath.Join(tmp, "run.oci.tar")
				if _, err := ocipack.Pack(src, packed); err != nil {
					return inputError(fmt.Errorf("pack %s: %w", src, err))
				}
				src = packed
			}
			l, err := ocipack.OpenLayout(src)
			if err != nil {
				return inputError(err)
			}
			defer l.Close()
			repo, err := registry.Repository(ref, registry.Options{PlainHTTP: plainHTTP})
			if err != nil {
				return inputError(err)
			}
			d, err := registry.Push(c.Context(), l, repo, ref.Reference)
			if err != nil {
				return registryError(args[1], err)
			}
			fmt.Fprintln(c.OutOrStdout(), registry.Digested(ref, d.Digest))
			return nil
		},
	}
	c.Flags().BoolVar(&plainHTTP, "plain-http", false, "talk plain HTTP to the registry (local test registries only)")
	return c
}
