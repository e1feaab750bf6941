package cmd

import "github.com/spf13/cobra"

// placeholder until the attest command lands.
func newAttestCmd() *cobra.Command {
	return &cobra.Command{Use: "attest", Hidden: true}
}
