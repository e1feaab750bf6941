package cmd

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/internal/ocipack"
	"cohos.dev/cohos/verify"
)

func newPullCmd() *cobra.Command {
	var out string
	var plainHTTP bool
	c := &cobra.Command{
		Use:   "pull oci://HOST/REPO@sha256:...|run.oci.tar -o DIR",
		Short: "Write a run from a registry or an archive back as a run directory",
		Long: `pull fetches a run by digest (or tag) from an OCI registry, or reads an
archive from cohos pack, checks every digest, and writes the run directory
with its bundle as the new directory DIR, which cohos verify DIR checks. It
does not check signatures: verify does. Exit 1 when a digest or the
attestation referrer does not check out (nothing is written), 2 when the
source cannot be read or DIR exists.`,
		Example: `  cohos pull oci://registry.example/team/evidence@sha256:... -o run
  cohos verify run --key key.pub --run-id <id>`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if out == "" {
				return usageError("pull needs -o DIR")
			}
			run, err := openRun(c, args[0], plainHTTP)
			if err != nil {
				return err
			}
			defer run.Close()
			if err := run.Err(); err != nil {
				return &exitError{code: ExitFail, err: fmt.Errorf("%s: %w", args[0], err)}
			}
			err = ocipack.Extract(run, out)
			var ce *verify.CheckError
			switch {
			case errors.As(err, &ce):
				return &exitError{code: ExitFail, err: err}
			case errors.Is(err, fs.ErrExist):
				return withHint(inputError(err), "pull into a new directory")
			case err != nil:
				return inputError(err)
			}
			fmt.Fprintf(c.OutOrStdout(), "%s\n", out)
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "the run directory to create (must not exist)")
	c.Flags().BoolVar(&plainHTTP, "plain-http", false, "talk plain HTTP to the registry (local test registries only)")
	return c
}
