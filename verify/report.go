package verify

import (
	"fmt"

	"cohos.dev/cohos/policy"
)

// Check IDs (SPEC.md "Checks"). They are stable: scripts match on them.
const (
	CheckBundleParse          = "bundle.parse"
	CheckPayloadType          = "envelope.payload_type"
	CheckSignature            = "dsse.signature"
	CheckThreshold            = "dsse.threshold"
	CheckStatementType        = "statement.type"
	CheckPredicateType        = "statement.predicate_type"
	CheckPredicateSchema      = "predicate.schema"
	CheckSubject              = "statement.subject"
	CheckArtifacts            = "artifacts.digest"
	CheckEvidence             = "evidence.consistency"
	CheckPolicyTrusted        = "policy.trusted"
	CheckPolicyConformance    = "policy.conformance"
	CheckPolicyGrade          = "policy.grade"
	CheckDecisionAdmissible   = "decision.admissible"
	skipThresholdNotMet       = "signature threshold not met: the payload is not trusted"
	skipStatementNotParsed    = "statement could not be used"
	skipPredicateNotValidated = "predicate could not be used"
)

// Status is the outcome of one check.
type Status string

// Check statuses.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Check is one verification step's outcome.
type Check struct {
	ID       string `json:"id"`
	Status   Status `json:"status"`
	Reason   string `json:"reason"`
	Envelope int    `json:"envelope,omitempty"` // 1-based line in the bundle
	// Signature is the 1-based signature index for dsse.signature checks.
	Signature int    `json:"signature,omitempty"`
	KeyID     string `json:"keyid,omitempty"`
	// Added, Missing and Changed name artifacts for artifacts.digest.
	Added   []string `json:"added,omitempty"`
	Missing []string `json:"missing,omitempty"`
	Changed []string `json:"changed,omitempty"`
}

// EnvelopeSummary is what a verified envelope says, filled only as far as
// the checks got: nothing is taken from a payload whose signatures failed.
type EnvelopeSummary struct {
	Line     int             `json:"line"`
	Signers  []string        `json:"signers,omitempty"` // trusted key ids whose signatures verified
	RunID    string          `json:"runId,omitempty"`
	Decision policy.Decision `json:"decision,omitempty"`
	Policy   string          `json:"policy,omitempty"`
	// Cause is the attested run.cause: what cohos observed that kept the
	// job from completing ("timed out after 1s").
	Cause string `json:"cause,omitempty"`
	// Deciding are the attested reasons whose outcome is the decision.
	Deciding []policy.Reason `json:"deciding,omitempty"`
	// Explanation is the one line saying why: the deciding reasons and
	// the cause (policy.Explain).
	Explanation string `json:"explanation,omitempty"`
	// Graded is the decision under the verifier's own policy (--grade),
	// GradedBy that policy's name and GradedWhy its deciding reasons; ""
	// without --grade. decision.admissible judges the worse of Decision
	// and Graded.
	Graded    policy.Decision `json:"graded,omitempty"`
	GradedBy  string          `json:"gradedBy,omitempty"`
	GradedWhy string          `json:"gradedWhy,omitempty"`
	// Trusted is true when dsse.threshold passed: enough distinct trusted
	// keys (Signers) signed for the payload to be read at all. It says
	// nothing about the payload's later checks.
	Trusted bool `json:"-"`
	// Signatures is what became of each signature, in bundle order.
	Signatures []SignatureResult `json:"-"`
}

// SignatureResult is the dsse.signature outcome of one signature: Pass
// when a trusted key verified it (KeyID is that key), Fail when it names
// a trusted key but does not verify or repeats a key already counted,
// Skip when no trusted key made it (KeyID is the unproven hint).
type SignatureResult struct {
	Index  int // 1-based
	KeyID  string
	Status Status
	Reason string
}

// Report is the result of verifying one bundle: every check that ran, in
// order, each with pass, fail or skip and a reason.
type Report struct {
	Checks    []Check           `json:"checks"`
	Envelopes []EnvelopeSummary `json:"envelopes"`
	// malformed is set when the bundle itself could not be parsed.
	malformed bool
	// interrupted is the context's error when verification stopped early.
	interrupted error
	// sigChecks counts signature verifications, for tests of the bound.
	sigChecks int
}

// Verified reports whether the bundle is authentic evidence: it parsed,
// every envelope ran every check, and every check passed or was skipped,
// decision.admissible aside. A verified bundle may still attest MARGINAL
// or REFUSE: admissibility is a separate answer, not integrity.
func (r *Report) Verified() bool {
	if r.malformed || r.interrupted != nil || len(r.Envelopes) == 0 {
		return false
	}
	for _, c := range r.Checks {
		if c.Status == Fail && c.ID != CheckDecisionAdmissible {
			return false
		}
	}
	return true
}

// Admissible reports whether the bundle is verified and every attested
// decision is admitted (ALLOW, or MARGINAL with AllowMarginal): the
// answer a CI gate wants.
func (r *Report) Admissible() bool {
	return r.Verified() && r.Err() == nil
}

// Decision returns the worst decision the envelopes attest (or, with a
// grading policy, the worse of the attested and the graded decision), ""
// when none got as far as a parsed predicate.
func (r *Report) Decision() policy.Decision {
	worst := policy.Decision("")
	for _, e := range r.Envelopes {
		for _, d := range []policy.Decision{e.Decision, e.Graded} {
			if d != "" && (worst == "" || policy.Worst(worst, d) == d) {
				worst = d
			}
		}
	}
	return worst
}

// CheckError is the error of a report with a failed check.
type CheckError struct {
	ID       string
	Envelope int
	Reason   string
}

func (e *CheckError) Error() string {
	if e.Envelope > 0 {
		return fmt.Sprintf("%s failed (envelope %d): %s", e.ID, e.Envelope, e.Reason)
	}
	return fmt.Sprintf("%s failed: %s", e.ID, e.Reason)
}

// Err returns nil when every check passed or was skipped, else a
// *CheckError for the first failed check, else the context's error when
// verification was interrupted.
func (r *Report) Err() error {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return &CheckError{ID: c.ID, Envelope: c.Envelope, Reason: c.Reason}
		}
	}
	return r.interrupted
}

// Malformed reports whether the bundle could not be parsed at all.
func (r *Report) Malformed() bool { return r.malformed }

// Failed returns the failed checks.
func (r *Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status == Fail {
			out = append(out, c)
		}
	}
	return out
}

// IntegrityFailures returns the failed checks that make the bundle not
// Verified: every failed check but decision.admissible.
func (r *Report) IntegrityFailures() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status == Fail && c.ID != CheckDecisionAdmissible {
			out = append(out, c)
		}
	}
	return out
}

func (r *Report) add(c Check) { r.Checks = append(r.Checks, c) }
