package verify

import (
	"fmt"

	"cohos.dev/cohos/attest"
)

// The statement checks (SPEC.md "Checks"): statement.type,
// statement.predicate_type, predicate.schema and statement.subject.

// statement parses the signed payload and checks its type, predicate type,
// predicate schema and subject. It returns nil when a later check cannot run.
func (v *verifier) statement(line int, body []byte) *attest.Predicate {
	st, err := attest.ParseStatement(body)
	if err != nil {
		v.check(line, CheckStatementType, Fail, "%v", err)
		v.skipRest(line, skipStatementNotParsed, CheckPredicateType)
		return nil
	}
	if st.Type != attest.StatementType {
		v.check(line, CheckStatementType, Fail, "_type %q, want %q", st.Type, attest.StatementType)
		v.skipRest(line, skipStatementNotParsed, CheckPredicateType)
		return nil
	}
	v.check(line, CheckStatementType, Pass, "%s", st.Type)
	if st.PredicateType != attest.PredicateType {
		v.check(line, CheckPredicateType, Fail, "predicateType %q, want %q", st.PredicateType, attest.PredicateType)
		v.skipRest(line, skipStatementNotParsed, CheckPredicateSchema)
		return nil
	}
	v.check(line, CheckPredicateType, Pass, "%s", st.PredicateType)
	pred, err := attest.ParsePredicate(st.Predicate)
	if err != nil {
		v.check(line, CheckPredicateSchema, Fail, "%v", err)
		v.skipRest(line, skipPredicateNotValidated, CheckSubject)
		return nil
	}
	v.check(line, CheckPredicateSchema, Pass, "governed-run/v1 predicate, run %s", pred.Run.ID)
	reason := subjectMismatch(st.Subject, pred)
	if reason == "" && v.opts.RunID != "" && pred.Run.ID != v.opts.RunID {
		reason = fmt.Sprintf("the bundle attests run %q, not the expected run %q", pred.Run.ID, v.opts.RunID)
	}
	if reason != "" {
		v.check(line, CheckSubject, Fail, "%s", reason)
		v.skipRest(line, "subject does not bind the predicate's artifact list", CheckArtifacts)
		return nil
	}
	v.digest, v.root = st.Subject[0].Digest["sha256"], st.Subject[0].Digest[attest.DigestMerkle]
	v.onDisk = false
	if pred.Listed() {
		v.check(line, CheckSubject, Pass, "one subject binds %d file(s)", len(pred.Artifacts.Files))
	} else {
		v.check(line, CheckSubject, Pass, "one subject binds %d file(s), listed in SHA256SUMS (too many for the predicate)", pred.Artifacts.Count)
	}
	return pred
}

// subjectMismatch explains why the subjects do not bind the predicate's
// file list, or returns "".
func subjectMismatch(subjects []attest.Subject, pred *attest.Predicate) string {
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
	if !pred.Listed() {
		// Too many files to list: the digests alone bind the set, and
		// artifacts.digest checks them against the disk.
		for _, k := range []string{"sha256", attest.DigestMerkle} {
			if d := s.Digest[k]; !isHex64(d) {
				return fmt.Sprintf("subject %s %q is not 64 lowercase hex digits", k, d)
			}
		}
		return ""
	}
	want := pred.Subject()
	if got, want := s.Digest["sha256"], want.Digest["sha256"]; got != want {
		return fmt.Sprintf("subject sha256 %q, but the listed files give %s", got, want)
	}
	if got, want := s.Digest[attest.DigestMerkle], want.Digest[attest.DigestMerkle]; got != want {
		return fmt.Sprintf("subject %s %q, but the listed files give %s", attest.DigestMerkle, got, want)
	}
	return ""
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
