package cmd

import "github.com/spf13/cobra"

// placeholder until the policy command lands.
func newPolicyCmd() *cobra.Command {
	return &cobra.Command{Use: "policy", Hidden: true}
}
