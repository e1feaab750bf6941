package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"cohos.dev/cohos/attest"
)

// notARun says why dir, which has no bundle, cannot be verified, and how
// to fix it: a folder of run directories, a run cut short, or no run at
// all.
func notARun(dir string) (msg, hint string) {
	entries, _ := os.ReadDir(dir)
	runs := 0
	for _, e := range entries {
		if e.IsDir() {
			if _, err := os.Lstat(filepath.Join(dir, e.Name(), attest.BundleName)); err == nil {
				runs++
			}
		}
	}
	if runs > 0 {
		return fmt.Sprintf("%s is not a run directory: it holds %d run directories", dir, runs),
			fmt.Sprintf("verify each of them: cohos verify %s --key KEY", filepath.Join(dir, "*")+string(filepath.Separator))
	}
	return fmt.Sprintf("%s: run incomplete: no %s (the run was killed or is still running)", dir, attest.BundleName),
		"a run without a bundle never verifies: wait for cohos run to finish or run the job again; if this is not a run directory, give one (runs/<run-id>) or its bundle"
}

// notABundle catches the evidence files people pass instead of the
// bundle: "" when path may be a bundle.
func notABundle(path string) (msg, hint string) {
	base := filepath.Base(path)
	switch {
	case base == attest.DecisionName, base == attest.PolicyName, base == attest.ManifestName,
		base == attest.HashesName, base == attest.SumsName, strings.HasSuffix(base, "_invocation.json"):
		return fmt.Sprintf("%s is a file of the run's evidence, not its signed bundle", path),
			"give the run directory or its bundle: cohos verify " + filepath.Join(filepath.Dir(path), attest.BundleName) + " --key KEY"
	}
	return "", ""
}
