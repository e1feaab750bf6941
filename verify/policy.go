package verify

import (
	"bytes"
	"strconv"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/policy"
)

// The policy checks: policy.trusted, policy.conformance and
// decision.admissible.

// policy checks the attested policy against the trusted one, re-evaluates
// it on the attested metrics, and decides admissibility.
func (v *verifier) policy(line int, pred *attest.Predicate, sum *EnvelopeSummary) {
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
		d, why := pred.Decision, policy.Explain(pred.Decision, pred.Reasons, pred.Run.Cause)
		if g := v.opts.GradePolicy; g != nil {
			d, why = v.grade(line, pred, g, sum)
		}
		v.admissible(line, d, why)
		return
	}
	if v.opts.GradePolicy != nil {
		v.check(line, CheckPolicyGrade, Skip, "the attested metrics are not used: the decision does not follow from the attested policy")
	}
	v.check(line, CheckDecisionAdmissible, Skip, "the decision does not follow from the attested policy")
}

// grade re-evaluates the attested metrics under the verifier's policy g
// and returns the stricter of the two decisions and why.
func (v *verifier) grade(line int, pred *attest.Predicate, g *policy.Policy, sum *EnvelopeSummary) (policy.Decision, string) {
	res := policy.Evaluate(g, pred.Metrics)
	sum.Graded, sum.GradedBy = res.Decision, g.Name
	sum.GradedWhy = policy.Explain(res.Decision, res.Reasons, pred.Run.Cause)
	v.check(line, CheckPolicyGrade, Pass, "under the verifier's policy %q the signed metrics grade %s: %s (attested %s under %q)",
		g.Name, res.Decision, sum.GradedWhy, pred.Decision, pred.Policy.Name)
	attested := policy.Explain(pred.Decision, pred.Reasons, pred.Run.Cause)
	if policy.Worst(pred.Decision, res.Decision) == pred.Decision {
		return pred.Decision, attested
	}
	return res.Decision, sum.GradedWhy + " (under the verifier's policy " + strconv.Quote(g.Name) + "; attested " + string(pred.Decision) + ")"
}

func (v *verifier) admissible(line int, d policy.Decision, why string) {
	switch {
	case d == policy.Allow:
		v.check(line, CheckDecisionAdmissible, Pass, "ALLOW")
	case d == policy.Marginal && v.opts.AllowMarginal:
		v.check(line, CheckDecisionAdmissible, Pass, "MARGINAL, admitted by --allow-marginal: %s", why)
	case d == policy.Marginal:
		v.check(line, CheckDecisionAdmissible, Fail, "MARGINAL is not admitted without --allow-marginal: %s", why)
	default:
		v.check(line, CheckDecisionAdmissible, Fail, "%s: %s", d, why)
	}
}
