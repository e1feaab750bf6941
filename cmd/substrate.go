package cmd

import "github.com/spf13/cobra"

// placeholder until the substrate command lands.
func newSubstrateCmd() *cobra.Command {
	return &cobra.Command{Use: "substrate", Hidden: true}
}
