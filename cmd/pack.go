package cmd

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/internal/ocipack"
)

func newPackCmd() *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "pack RUN_DIR -o run.oci.tar",
		Short: "Pack a run and its bundle into one OCI image layout archive",
		Long: `pack writes the run directory (every file, hidden ones included) as one
deterministic tar layer of an OCI artifact manifest, and its bundle as a second
manifest that refers to the first, in an OCI image layout archive: one file to
hand between CI jobs, that cohos verify checks in place and cohos push uploads.
The same run always gives the same bytes. An existing output is never replaced.`,
		Example: `  cohos pack runs/<id> -o run.oci.tar
  cohos verify run.oci.tar --key key.pub --run-id <id>`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if out == "" {
				return usageError("pack needs -o FILE")
			}
			p, err := ocipack.Pack(args[0], out)
			switch {
			case errors.Is(err, fs.ErrExist):
				return withHint(inputError(err), "choose another -o, or remove the old file first")
			case errors.Is(err, ocipack.ErrIncomplete):
				return withHint(inputError(err), "pack a run that attest or run has finished")
			case err != nil:
				return inputError(fmt.Errorf("pack %s: %w", args[0], err))
			}
			fmt.Fprintf(c.OutOrStdout(), "%s: run %s, manifest %s\n", out, p.RunID, p.Run.Digest)
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "the archive to write (must not exist)")
	return c
}
