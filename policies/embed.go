// Package policies holds the policies shipped inside cohos: the default
// policy `cohos run` applies when given no --policy, and the commented
// starter file `cohos policy init` writes. Both have the same rules.
package policies

import _ "embed"

// The files are embedded as strings so that no caller can change them.
var (
	//go:embed default.yaml
	defaultYAML string
	//go:embed starter.yaml
	starterYAML string
)

// Default returns the default policy's YAML. Each call returns a new copy.
func Default() []byte { return []byte(defaultYAML) }

// Starter returns the starter policy's YAML: the default rules with every
// field explained. Each call returns a new copy.
func Starter() []byte { return []byte(starterYAML) }
