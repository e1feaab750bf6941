package cmd

import "github.com/spf13/cobra"

// placeholder until the run command lands.
func newRunCmd() *cobra.Command {
	return &cobra.Command{Use: "run", Hidden: true}
}
