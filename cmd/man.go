package cmd

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"cohos.dev/cohos/internal/atomicfile"
	"cohos.dev/cohos/internal/version"
)

func newManCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "Write a man page for every command into DIR",
		Long: `man writes one troff man page (section 1) per cohos command into DIR,
creating DIR if needed: cohos.1, cohos-verify.1, cohos-keys-generate.1, ...
Each page is written atomically. The date in the pages is taken from
SOURCE_DATE_EPOCH when it is set, for reproducible builds.`,
		Example: `  cohos man /usr/local/share/man/man1
  cohos man man1 && man ./man1/cohos-verify.1`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return inputError(err)
			}
			header := &doc.GenManHeader{Title: "COHOS", Section: "1", Source: "cohos " + version.String(), Manual: "cohos manual"}
			var written []string
			if err := writeManPages(c.Root(), header, dir, &written); err != nil {
				return inputError(err)
			}
			for _, p := range written {
				fmt.Fprintln(c.OutOrStdout(), p)
			}
			return nil
		},
	}
}

// writeManPages writes the page of cmd, then those of every available
// subcommand (not hidden, not deprecated, not help topics).
func writeManPages(cmd *cobra.Command, header *doc.GenManHeader, dir string, written *[]string) error {
	h := *header // GenMan fills in defaults: give each page its own copy
	var buf bytes.Buffer
	if err := doc.GenMan(cmd, &h, &buf); err != nil {
		return fmt.Errorf("man page for %q: %w", cmd.CommandPath(), err)
	}
	path := filepath.Join(dir, strings.ReplaceAll(cmd.CommandPath(), " ", "-")+"."+header.Section)
	if err := atomicfile.Write(path, buf.Bytes(), 0o644); err != nil {
		return err
	}
	*written = append(*written, path)
	for _, sub := range cmd.Commands() {
		if !sub.IsAvailableCommand() || sub.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := writeManPages(sub, header, dir, written); err != nil {
			return err
		}
	}
	return nil
}
