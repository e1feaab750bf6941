// Package policies holds the policies shipped inside cohos: the default
// policy `cohos run` applies when given no --policy, and the commented
// starter file `cohos policy init` writes. Both have the same rules.
package policies

import (
	_ "embed"
	"runtime"
	"strings"
)

// The files are embedded as strings so that no caller can change them.
var (
	//go:embed default.yaml
	defaultYAML string
	//go:embed starter.yaml
	starterYAML string
	//go:embed policy.schema.json
	schemaJSON string
)

// Schema returns the JSON Schema (2020-12) of the policy format, for
// editors: policy.schema.json in this directory. Each call returns a new
// copy.
func Schema() []byte { return []byte(schemaJSON) }

// Default returns the default policy's YAML. Each call returns a new copy.
// On Linux it requires the isolated metric; elsewhere, where cohos cannot
// isolate the job, that rule is left out.
func Default() []byte { return forOS(defaultYAML, runtime.GOOS) }

// Starter returns the starter policy's YAML: the default rules with every
// field explained. Each call returns a new copy.
func Starter() []byte { return forOS(starterYAML, runtime.GOOS) }

// isolatedRule is the one line of the isolated rule in both files.
const isolatedRule = "  - {metric: isolated,"

// forOS returns doc, without the isolated rule outside Linux.
func forOS(doc, goos string) []byte {
	if goos == "linux" {
		return []byte(doc)
	}
	var b strings.Builder
	for line := range strings.Lines(doc) {
		if !strings.HasPrefix(line, isolatedRule) {
			b.WriteString(line)
		}
	}
	return []byte(b.String())
}
