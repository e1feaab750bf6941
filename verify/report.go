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
	CheckDecisionAdmissible   = "decision.admissible"
	MediaType                 = "application/vnd.cohos.verify+json;version=1"
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
}

// Report is the result of verifying one bundle: every check that ran, in
// order, each with pass, fail or skip and a reason.
type Report struct {
	Checks    []Check           `json:"checks"`
	Envelopes []EnvelopeSummary `json:"envelopes"`
	// malformed is set when the bundle itself could not be parsed.
	malformed bool
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
// *CheckError for the first failed check.
func (r *Report) Err() error {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return &CheckError{ID: c.ID, Envelope: c.Envelope, Reason: c.Reason}
		}
	}
	return nil
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

// OnlyInadmissible reports whether decision.admissible failed and is the
// only kind of failed check, and the worst attested decision.
func (r *Report) OnlyInadmissible() (policy.Decision, bool) {
	worst := policy.Decision("")
	failed := false
	for _, c := range r.Checks {
		if c.Status != Fail {
			continue
		}
		if c.ID != CheckDecisionAdmissible {
			return "", false
		}
		failed = true
	}
	if !failed {
		return "", false
	}
	for _, e := range r.Envelopes {
		if e.Decision != "" && (worst == "" || policy.Worst(worst, e.Decision) == e.Decision) {
			worst = e.Decision
		}
	}
	return worst, worst != ""
}

func (r *Report) add(c Check) { r.Checks = append(r.Checks, c) }
