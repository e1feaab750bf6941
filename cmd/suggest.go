package cmd

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"cohos.dev/cohos/policy"
)

// flagError turns pflag's "unknown flag: --keys" into a usage error with a
// hint naming the closest flag of the command ("did you mean --key?").
func flagError(c *cobra.Command, err error) error {
	msg := err.Error()
	name, ok := strings.CutPrefix(msg, "unknown flag: --")
	if !ok {
		return withHint(usageError("%s", msg), "see: "+c.CommandPath()+" --help")
	}
	if best := closestFlag(c, name); best != "" {
		return withHint(usageError("%s", msg), "did you mean --"+best+"?")
	}
	return withHint(usageError("%s", msg), "see: "+c.CommandPath()+" --help")
}

// closestFlag returns the name of c's flag closest to name: within an edit
// distance of 2, or one name a prefix of the other.
func closestFlag(c *cobra.Command, name string) string {
	best, bestD := "", 3
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		d := policy.EditDistance(name, f.Name)
		if strings.HasPrefix(f.Name, name) || strings.HasPrefix(name, f.Name) {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = f.Name, d
		}
	})
	return best
}
