package policy

import (
	"math"
	"strings"
)

// Reason is the outcome of one rule.
type Reason struct {
	Metric   string   `json:"metric"`
	Observed *Value   `json:"observed"` // null when not observed
	Require  *bool    `json:"require,omitempty"`
	Marginal *float64 `json:"marginal,omitempty"`
	Refuse   *float64 `json:"refuse,omitempty"`
	Outcome  Decision `json:"outcome"`
	Message  string   `json:"message"` // for people, e.g. "restarts 3 > marginal 2"
}

// Result is the decision with one reason per rule, in rule order.
type Result struct {
	Decision Decision `json:"decision"`
	Reasons  []Reason `json:"reasons"`
}

// Evaluate grades m against p. It is pure and deterministic: the same
// policy and metrics always give the same Result, whose JSON encoding
// decodes to an equal Result. The worst outcome of any rule is the
// decision. Evaluate never fails: a nil policy or one without rules is
// REFUSE with no reasons, and a rule that Validate would reject (as only a
// Policy built in code can hold) is REFUSE with a reason saying so.
func Evaluate(p *Policy, m Metrics) Result {
	if p == nil || len(p.Rules) == 0 {
		return Result{Decision: Refuse, Reasons: []Reason{}}
	}
	res := Result{Decision: Allow, Reasons: make([]Reason, 0, len(p.Rules))}
	for _, r := range p.Rules {
		reason := evaluateRule(r, m)
		res.Decision = Worst(res.Decision, reason.Outcome)
		res.Reasons = append(res.Reasons, reason)
	}
	return res
}

// Decider returns the reason that decided r: the first whose outcome equals
// the decision, or nil when the decision is ALLOW or no reason matches.
func (r Result) Decider() *Reason {
	if r.Decision == Allow {
		return nil
	}
	for i := range r.Reasons {
		if r.Reasons[i].Outcome == r.Decision {
			return &r.Reasons[i]
		}
	}
	return nil
}

func evaluateRule(r Rule, m Metrics) Reason {
	reason := Reason{
		Metric:   r.Metric,
		Require:  copyPtr(r.Require),
		Marginal: copyPtr(r.Marginal),
		Refuse:   copyPtr(r.Refuse),
	}
	v, ok := m[r.Metric]
	if x, isNum := v.Number(); ok && (!isNum || !(math.IsNaN(x) || math.IsInf(x, 0))) {
		reason.Observed = &v // JSON cannot carry NaN or infinities
	}
	switch _, err := r.check(); {
	case err != nil:
		reason.Outcome, reason.Message = Refuse, "invalid rule for "+r.Metric+": "+err.Error()
	case !ok && r.missingOutcome() == Refuse:
		reason.Outcome, reason.Message = Refuse, r.Metric+" not observed (fails closed)"
	case !ok:
		reason.Outcome = r.missingOutcome()
		reason.Message = r.Metric + " not observed (missing: " + strings.ToLower(string(reason.Outcome)) + ")"
	default:
		reason.Outcome, reason.Message = judge(r, v)
	}
	return reason
}

// judge grades the observed value v against the valid rule r.
func judge(r Rule, v Value) (Decision, string) {
	name := r.Metric + " " + v.String()
	if r.Require != nil {
		b, ok := v.Boolean()
		switch {
		case !ok:
			return Refuse, r.Metric + " is a number (" + v.String() + "), the rule requires a boolean"
		case b != *r.Require:
			return Refuse, name + ", required " + boolString(*r.Require)
		}
		return Allow, name + " as required"
	}
	x, ok := v.Number()
	switch {
	case !ok:
		return Refuse, r.Metric + " is a boolean (" + v.String() + "), the rule needs a number"
	case math.IsNaN(x) || math.IsInf(x, 0):
		return Refuse, r.Metric + " is not a finite number (fails closed)"
	case r.Refuse != nil && x > *r.Refuse:
		return Refuse, name + " > refuse " + formatNumber(*r.Refuse)
	case r.Marginal != nil && x > *r.Marginal:
		return Marginal, name + " > marginal " + formatNumber(*r.Marginal)
	case r.Marginal != nil:
		return Allow, name + " <= marginal " + formatNumber(*r.Marginal)
	}
	return Allow, name + " <= refuse " + formatNumber(*r.Refuse)
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func copyPtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
