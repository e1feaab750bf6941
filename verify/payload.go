package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"io/fs"
	"strings"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/regfile"
	"cohos.dev/cohos/policy"
)

// maxEvidenceFile bounds decision.json and policy.json reads.
const maxEvidenceFile = 8 << 20

// statement parses the signed payload and checks its type, predicate type,
// predicate schema and subject. It returns nil when a later check cannot run.
func (v *verifier) statement(line int, body []byte) (*attest.Predicate, artifacts.Sums) {
	var none artifacts.Sums
	st, err := attest.ParseStatement(body)
	if err != nil {
		v.check(line, CheckStatementType, Fail, "%v", err)
		v.skipRest(line, skipStatementNotParsed, CheckPredicateType)
		return nil, none
	}
	if st.Type != attest.StatementType {
		v.check(line, CheckStatementType, Fail, "_type %q, want %q", st.Type, attest.StatementType)
		v.skipRest(line, skipStatementNotParsed, CheckPredicateType)
		return nil, none
	}
	v.check(line, CheckStatementType, Pass, "%s", st.Type)
	if st.PredicateType != attest.PredicateType {
		v.check(line, CheckPredicateType, Fail, "predicateType %q, want %q", st.PredicateType, attest.PredicateType)
		v.skipRest(line, skipStatementNotParsed, CheckPredicateSchema)
		return nil, none
	}
	v.check(line, CheckPredicateType, Pass, "%s", st.PredicateType)
	pred, err := attest.ParsePredicate(st.Predicate)
	if err != nil {
		v.check(line, CheckPredicateSchema, Fail, "%v", err)
		v.skipRest(line, skipPredicateNotValidated, CheckSubject)
		return nil, none
	}
	v.check(line, CheckPredicateSchema, Pass, "governed-run/v1 predicate, run %s", pred.Run.ID)
	sums := pred.Set().Sums()
	reason := subjectMismatch(st.Subject, pred, sums)
	if reason == "" && v.opts.RunID != "" && pred.Run.ID != v.opts.RunID {
		reason = fmt.Sprintf("the bundle attests run %q, not the expected run %q", pred.Run.ID, v.opts.RunID)
	}
	if reason != "" {
		v.check(line, CheckSubject, Fail, "%s", reason)
		v.skipRest(line, "subject does not bind the predicate's artifact list", CheckArtifacts)
		return nil, none
	}
	v.check(line, CheckSubject, Pass, "one subject binds %d file(s)", len(pred.Artifacts.Files))
	return pred, sums
}

// subjectMismatch explains why the subjects do not bind the predicate's
// file list, or returns "".
func subjectMismatch(subjects []attest.Subject, pred *attest.Predicate, sums artifacts.Sums) string {
	if len(subjects) != 1 {
		return fmt.Sprintf("%d subjects, want exactly 1 (subjects are alternatives: more would let files vanish)", len(subjects))
	}
	s := subjects[0]
	if want := attest.SubjectPrefix + pred.Run.ID; s.Name != want {
		return fmt.Sprintf("subject name %q, want %q", s.Name, want)
	}
	if len(s.Digest) != 2 {
		return fmt.Sprintf("subject has %d digests, want sha256 and %s", len(s.Digest), attest.DigestMerkle)
	}
	if got, want := s.Digest["sha256"], sums.Digest; got != want {
		return fmt.Sprintf("subject sha256 %q, but the listed files give %s", got, want)
	}
	if got, want := s.Digest[attest.DigestMerkle], sums.Root; got != want {
		return fmt.Sprintf("subject %s %q, but the listed files give %s", attest.DigestMerkle, got, want)
	}
	return ""
}

// artifacts compares the files on disk with the attested list.
func (v *verifier) artifacts(ctx context.Context, line int, pred *attest.Predicate) {
	if v.opts.Artifacts == nil {
		if v.opts.UnsafeSkipArtifacts {
			v.check(line, CheckArtifacts, Skip, "unsafe: no artifact directory checked")
		} else {
			v.check(line, CheckArtifacts, Fail, "no artifact directory given")
		}
		return
	}
	select {
	case <-v.disk.done:
	case <-ctx.Done():
		v.check(line, CheckArtifacts, Fail, "cannot hash the artifact directory: %v", ctx.Err())
		return
	}
	if v.disk.err != nil {
		v.check(line, CheckArtifacts, Fail, "cannot hash the artifact directory: %v", v.disk.err)
		return
	}
	d := artifacts.Compare(pred.Set(), v.disk.set)
	if d.Empty() {
		v.check(line, CheckArtifacts, Pass, "%d file(s) match the attested set", len(pred.Artifacts.Files))
		return
	}
	v.report.add(Check{
		ID: CheckArtifacts, Status: Fail, Envelope: line,
		Reason: fmt.Sprintf("artifact set differs: %d added, %d missing, %d changed", len(d.Added), len(d.Missing), len(d.Changed)),
		Added:  d.Added, Missing: d.Missing, Changed: d.Changed,
	})
}

// evidence checks that decision.json and policy.json say what the predicate says.
func (v *verifier) evidence(line int, pred *attest.Predicate, sums artifacts.Sums) {
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
	problems = append(problems, v.derived(pred, sums)...)
	if len(problems) > 0 {
		v.check(line, CheckEvidence, Fail, "%s", strings.Join(problems, "; "))
		return
	}
	v.check(line, CheckEvidence, Pass, "decision.json, policy.json and the derived files present match the predicate")
}

// derived checks the derived files (SHA256SUMS, manifest.json,
// hashes.json) that are present: people run `sha256sum -c SHA256SUMS`, so a
// forged one must not sit beside a bundle that verifies. Absent ones are fine.
func (v *verifier) derived(pred *attest.Predicate, sums artifacts.Sums) []string {
	want, err := attest.Derived(pred.Set(), sums)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for _, f := range want {
		got, err := readSmall(v.opts.Artifacts, f.Name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil || !bytes.Equal(got, f.Data) {
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

// policy checks the attested policy against the trusted one, re-evaluates
// it on the attested metrics, and decides admissibility.
func (v *verifier) policy(line int, pred *attest.Predicate) {
	attested := pred.Policy.Digest["sha256"]
	if v.opts.TrustedPolicy == nil {
		v.check(line, CheckPolicyTrusted, Skip, "no trusted policy given")
	} else if want := v.opts.TrustedPolicy.Digest(); attested != want {
		v.check(line, CheckPolicyTrusted, Fail, "attested policy %q sha256:%s is not the trusted policy %q sha256:%s",
			pred.Policy.Name, attested, v.opts.TrustedPolicy.Name, want)
	} else {
		v.check(line, CheckPolicyTrusted, Pass, "attested policy is the trusted policy sha256:%s", want)
	}

	pol, err := policy.Parse(pred.Policy.Document)
	switch {
	case err != nil:
		v.check(line, CheckPolicyConformance, Fail, "attested policy does not parse: %v", err)
	case !bytes.Equal(pol.Canonical(), pred.Policy.Document):
		v.check(line, CheckPolicyConformance, Fail, "attested policy document is not in canonical form")
	case pol.Digest() != attested || pol.Name != pred.Policy.Name:
		v.check(line, CheckPolicyConformance, Fail, "attested policy name or digest does not match its document")
	default:
		eval := policy.Evaluate(pol, pred.Metrics)
		if !sameJSON(eval, policy.Result{Decision: pred.Decision, Reasons: pred.Reasons}) {
			v.check(line, CheckPolicyConformance, Fail, "re-evaluating the policy on the attested metrics gives %s, the bundle says %s (or the reasons differ)", eval.Decision, pred.Decision)
			break
		}
		v.check(line, CheckPolicyConformance, Pass, "re-evaluation gives %s", eval.Decision)
		v.admissible(line, pred.Decision)
		return
	}
	v.check(line, CheckDecisionAdmissible, Skip, "the decision does not follow from the attested policy")
}

func (v *verifier) admissible(line int, d policy.Decision) {
	switch {
	case d == policy.Allow:
		v.check(line, CheckDecisionAdmissible, Pass, "ALLOW")
	case d == policy.Marginal && v.opts.AllowMarginal:
		v.check(line, CheckDecisionAdmissible, Pass, "MARGINAL, admitted by --allow-marginal")
	case d == policy.Marginal:
		v.check(line, CheckDecisionAdmissible, Fail, "MARGINAL is not admitted without --allow-marginal")
	default:
		v.check(line, CheckDecisionAdmissible, Fail, "%s", d)
	}
}
