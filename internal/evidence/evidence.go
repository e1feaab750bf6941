// Package evidence reads a cohos bundle and its run directory for people to
// look at: what each envelope claims (decision, rules, run, artifacts), who
// signed it, and, when trusted keys are given, what offline verification
// found. It never presents a payload as trusted unless its signatures
// verified against the given keys: every envelope carries a Trust that says
// so, and without keys it is Unchecked.
//
// Load is the only entry point. It returns an error only when the input
// cannot be read at all (no bundle, a malformed bundle, a payload that is
// not a cohos governed-run statement); a failed signature or a changed
// artifact is part of the returned Evidence, not an error.
package evidence

import (
	"errors"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/massgen"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

// MediaType names the JSON document `cohos inspect --json` prints: an
// Evidence value.
const MediaType = "application/vnd.cohos.inspect+json;version=1"

// Errors of Load, each wrapped with the path at fault.
var (
	// ErrIncomplete: a run directory without bundle.intoto.jsonl (the run
	// was killed or is still running).
	ErrIncomplete = errors.New("run incomplete: no " + attest.BundleName)
	// ErrUnsupported: a well-formed envelope that is not a cohos
	// governed-run statement (another payload or predicate type).
	ErrUnsupported = errors.New("not a cohos governed-run attestation")
)

// Trust says how far an envelope's payload can be believed.
type Trust string

// The trust levels.
const (
	// Unchecked: no trusted keys were given; the payload is what the
	// bundle claims, nothing more.
	Unchecked Trust = "unchecked"
	// Verified: trusted keys were given and enough of them signed.
	Verified Trust = "verified"
	// Untrusted: trusted keys were given and their signatures do not
	// verify; the payload must not be believed.
	Untrusted Trust = "untrusted"
)

// Signature states, as in Signature.Status.
const (
	SigUnchecked = "unchecked" // no trusted keys given
	SigVerified  = "verified"  // verified by the trusted key KeyID
	SigFailed    = "failed"    // names a trusted key but does not verify, or a duplicate
	SigUntrusted = "untrusted" // not made by any trusted key
)

// Evidence is one bundle and its run directory, ready to display. It is
// the `cohos inspect --json` document.
type Evidence struct {
	MediaType    string       `json:"mediaType"`
	Bundle       string       `json:"bundle"` // path of the bundle file as given
	Dir          string       `json:"dir"`    // the run directory: the bundle's directory
	Verification Verification `json:"verification"`
	Envelopes    []Envelope   `json:"envelopes"`
	// Timeline is the run's massgen_timeline.json, nil when the run has
	// none (or it could not be read: then TimelineError says why).
	Timeline      *massgen.Timeline `json:"timeline"`
	TimelineError string            `json:"timelineError,omitempty"`
	// TimelineAttested is true when the timeline file on disk has the
	// digest the first envelope lists for it.
	TimelineAttested bool `json:"timelineAttested"`
	// Previews holds the text of small artifacts (see Options.PreviewBytes).
	Previews map[string]Preview `json:"-"`
}

// Verification is what offline verification found. Without trusted keys
// Checked is false and nothing else is set.
type Verification struct {
	Checked bool     `json:"checked"`
	Keys    []string `json:"keys"` // ids of the trusted keys given
	// Verified: every check passed or was skipped, decision.admissible
	// aside (MARGINAL and REFUSE are decisions, shown as such, not
	// verification failures).
	Verified bool           `json:"verified"`
	Failed   []string       `json:"failed"` // ids of failed checks, decision.admissible aside, in order, once each
	Checks   []verify.Check `json:"checks"`
	// Failures are the failed checks behind Failed, each one.
	Failures []verify.Check `json:"-"`
}

// Envelope is what one envelope of the bundle says, and how far it is
// trusted.
type Envelope struct {
	Line       int                 `json:"line"` // 1-based line in the bundle
	Trust      Trust               `json:"trust"`
	Signatures []Signature         `json:"signatures"`
	Decision   policy.Decision     `json:"decision"`
	Decider    string              `json:"decider"` // why: the deciding rules and the run's cause (policy.Explain), "" for ALLOW
	Rules      []Rule              `json:"rules"`
	Metrics    policy.Metrics      `json:"metrics"`
	Policy     PolicyRef           `json:"policy"`
	Run        attest.Run          `json:"run"`
	Subject    attest.Subject      `json:"subject"`
	Artifacts  []artifacts.File    `json:"artifacts"`
	Skipped    []artifacts.Skipped `json:"skipped"`
	Governor   attest.Governor     `json:"governor"`
	AttestedOn string              `json:"attestedOn"`
}

// Signature is one DSSE signature of an envelope.
type Signature struct {
	Index int `json:"index"` // 1-based
	// KeyID is the key that verified it, else the keyid hint written in
	// the bundle (which proves nothing).
	KeyID  string `json:"keyid"`
	Status string `json:"status"` // one of the Sig* constants
	Reason string `json:"reason"`
}

// Rule is one rule's evaluation as attested, with the policy's
// description of the rule when it has one.
type Rule struct {
	policy.Reason
	Description string `json:"description,omitempty"`
}

// PolicyRef names the attested policy.
type PolicyRef struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// Preview is the text of one small artifact as found on disk.
type Preview struct {
	Text string
	// Attested is true when the file's sha256 equals the attested one.
	Attested bool
}
