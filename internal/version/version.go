// Package version reports the cohos version recorded in the predicate's
// governor field and printed by `cohos --version`.
package version

import "runtime/debug"

// base is the release this tree is working towards.
const base = "0.1.0-dev"

// String returns the cohos version: the module version when built from a
// tagged module, else base with the VCS revision when the build recorded one.
func String() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return base
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return base + "+" + s.Value[:12]
		}
	}
	return base
}
