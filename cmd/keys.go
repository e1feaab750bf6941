package cmd

import "github.com/spf13/cobra"

// placeholder until the keys command lands.
func newKeysCmd() *cobra.Command {
	return &cobra.Command{Use: "keys", Hidden: true}
}
