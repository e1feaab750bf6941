// Package verify checks cohos bundles offline: DSSE signatures against
// trusted keys with a threshold over distinct keys, the in-toto Statement,
// the artifact set on disk, the evidence files, and that the attested
// decision follows from the attested policy and metrics. It does no I/O of
// its own: the bundle bytes, the keys and the artifact directory (an fs.FS)
// come in, and a Report with every check comes out.
package verify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
)

// Options configure a verification. The zero value of every field is the
// safe default; anything that weakens a check says Unsafe.
type Options struct {
	// Keys are the trusted public keys. Duplicates count once.
	Keys []*keys.Public
	// Threshold is how many distinct trusted keys must have signed each
	// envelope (0 means 1).
	Threshold int
	// TrustedPolicy, when set, must be the policy the bundle attests.
	TrustedPolicy *policy.Policy
	// GradePolicy, when set, is the verifier's own policy: the attested
	// metrics are graded under it too (check policy.grade) and
	// decision.admissible judges the stricter of the two decisions.
	GradePolicy *policy.Policy
	// AllowMarginal admits MARGINAL decisions.
	AllowMarginal bool
	// Artifacts is the run directory the bundle describes.
	Artifacts fs.FS
	// UnsafeSkipArtifacts skips artifacts.digest and evidence.consistency
	// when no directory is given, instead of failing them.
	UnsafeSkipArtifacts bool
	// RunID, when set, is the run the bundle must attest: a bundle of
	// another run left in a run directory fails statement.subject.
	RunID string
	// Workers bounds parallel hashing (0 = GOMAXPROCS).
	Workers int
}

// Misuse errors: the verification could not be set up.
var (
	ErrNoKeys       = errors.New("no trusted keys given")
	ErrBadThreshold = errors.New("threshold exceeds the number of distinct trusted keys")
)

// Bundle verifies every envelope of a bundle. The report is always
// returned populated (unless the options are unusable, then it is nil and
// the error wraps ErrNoKeys or ErrBadThreshold); the error is report.Err().
// When ctx ends first, the report holds the checks that ran, is neither
// Verified nor Admissible, and the error is ctx's.
func Bundle(ctx context.Context, bundle []byte, opts Options) (*Report, error) {
	trusted := dedupe(opts.Keys)
	if len(trusted) == 0 {
		return nil, ErrNoKeys
	}
	t := opts.Threshold
	if t <= 0 {
		t = 1
	}
	if t > len(trusted) {
		return nil, fmt.Errorf("%w: threshold %d, %d distinct keys", ErrBadThreshold, t, len(trusted))
	}
	r := &Report{Checks: []Check{}, Envelopes: []EnvelopeSummary{}}
	envs, err := attest.ParseBundle(bundle)
	if err != nil {
		r.malformed = true
		r.add(Check{ID: CheckBundleParse, Status: Fail, Reason: err.Error()})
		return r, r.Err()
	}
	r.add(Check{ID: CheckBundleParse, Status: Pass, Reason: fmt.Sprintf("%d envelope(s)", len(envs))})
	v := &verifier{opts: opts, keys: trusted, threshold: t, report: r}
	if opts.Artifacts != nil {
		hctx, cancel := context.WithCancel(ctx)
		defer cancel()
		v.disk = hashDisk(hctx, opts.Artifacts, opts.Workers)
	}
	for i, env := range envs {
		if err := ctx.Err(); err != nil {
			r.interrupted = err
			return r, r.Err()
		}
		v.envelope(ctx, i+1, env)
	}
	return r, r.Err()
}

type verifier struct {
	opts      Options
	keys      []*keys.Public
	threshold int
	report    *Report
	// disk is the artifact set hashed from opts.Artifacts, computed in the
	// background while the bundle is parsed and its signatures checked (it
	// reads only the directory, nothing from the payload).
	disk *diskSet

	// Of the envelope being checked, once statement.subject passed: its
	// subject digests, and whether artifacts.digest found the disk set
	// equal to the attested one.
	digest, root string
	onDisk       bool
}

func (v *verifier) check(line int, id string, st Status, format string, args ...any) {
	v.report.add(Check{ID: id, Status: st, Envelope: line, Reason: fmt.Sprintf(format, args...)})
}

// envelope runs every check on one envelope. Nothing from the payload is
// used before dsse.threshold has passed.
func (v *verifier) envelope(ctx context.Context, line int, env *attest.ParsedEnvelope) {
	sum := EnvelopeSummary{Line: line}
	defer func() { v.report.Envelopes = append(v.report.Envelopes, sum) }()

	typeOK := env.PayloadType == attest.PayloadType
	if typeOK {
		v.check(line, CheckPayloadType, Pass, "%s", env.PayloadType)
	} else {
		v.check(line, CheckPayloadType, Fail, "payloadType %q, want %q", env.PayloadType, attest.PayloadType)
	}

	sum.Signers, sum.Signatures = v.signatures(line, env)
	if len(sum.Signers) < v.threshold {
		v.check(line, CheckThreshold, Fail, "%d distinct trusted key(s) signed, need %d; %s", len(sum.Signers), v.threshold, v.whoSigned(sum.Signatures))
		v.skipRest(line, skipThresholdNotMet, CheckStatementType)
		return
	}
	v.check(line, CheckThreshold, Pass, "%d distinct trusted key(s) signed, need %d", len(sum.Signers), v.threshold)
	sum.Trusted = true
	if !typeOK {
		v.skipRest(line, "payload is not an in-toto statement", CheckStatementType)
		return
	}
	pred := v.statement(line, env.Body)
	if pred == nil {
		return
	}
	sum.RunID, sum.Decision, sum.Policy = pred.Run.ID, pred.Decision, pred.Policy.Name
	sum.Cause, sum.Deciding = pred.Run.Cause, policy.Deciding(pred.Decision, pred.Reasons)
	sum.Explanation = policy.Explain(pred.Decision, pred.Reasons, pred.Run.Cause)
	v.artifacts(ctx, line, pred)
	v.evidence(line, pred)
	v.policy(line, pred, &sum)
}

// order of the checks after dsse.threshold, for skipRest.
var payloadChecks = []string{
	CheckStatementType, CheckPredicateType, CheckPredicateSchema, CheckSubject,
	CheckArtifacts, CheckEvidence, CheckPolicyTrusted, CheckPolicyConformance, CheckPolicyGrade, CheckDecisionAdmissible,
}

// skipRest marks from and every later payload check as skipped.
func (v *verifier) skipRest(line int, reason, from string) {
	on := false
	for _, id := range payloadChecks {
		on = on || id == from
		if id == CheckPolicyGrade && v.opts.GradePolicy == nil {
			continue
		}
		if on {
			v.check(line, id, Skip, "%s", reason)
		}
	}
}
