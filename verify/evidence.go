package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/regfile"
)

// The evidence.consistency check: the evidence files on disk say what the
// predicate says.

// maxEvidenceFile bounds decision.json and policy.json reads.
const maxEvidenceFile = 8 << 20

// evidence checks that decision.json and policy.json say what the predicate says.
func (v *verifier) evidence(line int, pred *attest.Predicate) {
	if v.opts.Artifacts == nil {
		st := Fail
		if v.opts.UnsafeSkipArtifacts {
			st = Skip
		}
		v.check(line, CheckEvidence, st, "no artifact directory given")
		return
	}
	var problems []string
	if b, err := readSmall(v.opts.Artifacts, attest.DecisionName); err != nil {
		problems = append(problems, err.Error())
	} else if d, err := attest.ParseDecision(b); err != nil {
		problems = append(problems, err.Error())
	} else if !sameJSON(d, attest.Decision{Decision: pred.Decision, Reasons: pred.Reasons, Metrics: pred.Metrics}) {
		problems = append(problems, "decision.json differs from the attested decision")
	}
	if b, err := readSmall(v.opts.Artifacts, attest.PolicyName); err != nil {
		problems = append(problems, err.Error())
	} else if !bytes.Equal(bytes.TrimSuffix(b, []byte("\n")), pred.Policy.Document) {
		problems = append(problems, "policy.json differs from the attested policy")
	}
	problems = append(problems, v.derived(pred)...)
	if p := configProblem(pred); p != "" {
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		v.check(line, CheckEvidence, Fail, "%s", strings.Join(problems, "; "))
		return
	}
	v.check(line, CheckEvidence, Pass, "decision.json, policy.json and the derived files present match the predicate")
}

// derived checks the derived files (SHA256SUMS, manifest.json,
// hashes.json) that are present: people run `sha256sum -c SHA256SUMS`, so a
// forged one must not sit beside a bundle that verifies. Absent ones are
// fine. SHA256SUMS is read in a stream and must hash to the subject's
// sha256 (it is the manifest that digest is of), however many files; the
// other two are read up to the size the attested set gives them.
func (v *verifier) derived(pred *attest.Predicate) []string {
	var problems []string
	switch sum, _, err := hashFile(v.opts.Artifacts, attest.SumsName); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		problems = append(problems, fmt.Sprintf("%s cannot be read: %v", attest.SumsName, err))
	case sum != v.digest:
		problems = append(problems, attest.SumsName+" does not match the attested artifact set")
	}
	// hashes.json lists the top-level files: from the predicate, or for a
	// set too large to list, from the disk once it matched the digests.
	files := pred.Artifacts.Files
	if !pred.Listed() && v.onDisk {
		files = v.disk.set.Files
	}
	want, err := attest.DerivedJSON(pred, v.digest, v.root, files)
	if err != nil {
		return append(problems, err.Error())
	}
	for _, f := range want {
		// The cap is what the attested set gives, however many files it
		// has: a longer file cannot match, and saying so beats a read error
		// hidden behind "does not match".
		got, err := regfile.ReadFS(v.opts.Artifacts, f.Name, int64(len(f.Data)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case errors.Is(err, regfile.ErrTooLarge):
			problems = append(problems, fmt.Sprintf("%s is larger than the %d bytes the attested artifact set gives", f.Name, len(f.Data)))
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s cannot be read: %v", f.Name, err))
		case !bytes.Equal(got, f.Data):
			problems = append(problems, f.Name+" does not match the attested artifact set")
		}
	}
	return problems
}

func readSmall(fsys fs.FS, name string) ([]byte, error) {
	return regfile.ReadFS(fsys, name, maxEvidenceFile)
}

func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
