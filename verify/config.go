package verify

import (
	"fmt"

	"cohos.dev/cohos/attest"
)

// Part of the evidence.consistency check: a MassGen run attests the
// config it was given.

// massgenConfigName is the config file of a MassGen run.
const massgenConfigName = "massgen_config.yaml"

// configProblem checks that a MassGen run attests, as massgen_config.yaml,
// the very config its run.configDigest names: the config MassGen was
// given. "" when it does, or when the run has no configDigest.
func configProblem(pred *attest.Predicate) string {
	want := pred.Run.ConfigDigest["sha256"]
	if pred.Run.Runner != "massgen" || want == "" {
		return ""
	}
	for _, f := range pred.Artifacts.Files {
		if f.Name == massgenConfigName {
			if f.SHA256 != want {
				return fmt.Sprintf("the attested %s (sha256:%s) is not the config MassGen was given (run.configDigest sha256:%s)", massgenConfigName, f.SHA256, want)
			}
			return ""
		}
	}
	return fmt.Sprintf("%s is not among the attested files, so run.configDigest sha256:%s is unchecked", massgenConfigName, want)
}
