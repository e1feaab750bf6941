package cmd

import "github.com/spf13/cobra"

// placeholder until the verify command lands.
func newVerifyCmd() *cobra.Command {
	return &cobra.Command{Use: "verify", Hidden: true}
}
