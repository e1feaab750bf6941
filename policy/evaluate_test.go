package policy_test

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"cohos.dev/cohos/policy"
)

func onePolicy(r policy.Rule) *policy.Policy {
	return &policy.Policy{APIVersion: "cohos/v1", Kind: "Policy", Name: "t", Rules: []policy.Rule{r}}
}

func TestEvaluateRule(t *testing.T) {
	both := policy.Rule{Metric: "restarts", Marginal: ptr(2.0), Refuse: ptr(6.0)}
	refuseOnly := policy.Rule{Metric: "exit_code", Refuse: ptr(0.0)}
	marginalOnly := policy.Rule{Metric: "latency", Marginal: ptr(0.5)}
	requireTrue := policy.Rule{Metric: "completed", Require: ptr(true)}
	requireFalse := policy.Rule{Metric: "timed_out", Require: ptr(false)}
	withMissing := func(r policy.Rule, d policy.Decision) policy.Rule { r.Missing = d; return r }

	tests := []struct {
		name    string
		rule    policy.Rule
		metrics policy.Metrics
		want    policy.Decision
		message string
	}{
		{"below marginal", both, policy.Metrics{"restarts": policy.Num(1)}, policy.Allow, "restarts 1 <= marginal 2"},
		{"equal to marginal is within", both, policy.Metrics{"restarts": policy.Num(2)}, policy.Allow, "restarts 2 <= marginal 2"},
		{"just above marginal", both, policy.Metrics{"restarts": policy.Num(math.Nextafter(2, 3))}, policy.Marginal, "restarts 2.0000000000000004 > marginal 2"},
		{"above marginal", both, policy.Metrics{"restarts": policy.Num(3)}, policy.Marginal, "restarts 3 > marginal 2"},
		{"equal to refuse is within", both, policy.Metrics{"restarts": policy.Num(6)}, policy.Marginal, "restarts 6 > marginal 2"},
		{"just above refuse", both, policy.Metrics{"restarts": policy.Num(6.5)}, policy.Refuse, "restarts 6.5 > refuse 6"},
		{"refuse only, equal", refuseOnly, policy.Metrics{"exit_code": policy.Num(0)}, policy.Allow, "exit_code 0 <= refuse 0"},
		{"refuse only, above", refuseOnly, policy.Metrics{"exit_code": policy.Num(1)}, policy.Refuse, "exit_code 1 > refuse 0"},
		{"refuse only, negative", refuseOnly, policy.Metrics{"exit_code": policy.Num(-1)}, policy.Allow, "exit_code -1 <= refuse 0"},
		{"marginal only, far above", marginalOnly, policy.Metrics{"latency": policy.Num(1e9)}, policy.Marginal, "latency 1000000000 > marginal 0.5"},
		{"require true, true", requireTrue, policy.Metrics{"completed": policy.Bool(true)}, policy.Allow, "completed true as required"},
		{"require true, false", requireTrue, policy.Metrics{"completed": policy.Bool(false)}, policy.Refuse, "completed false, required true"},
		{"require false, true", requireFalse, policy.Metrics{"timed_out": policy.Bool(true)}, policy.Refuse, "timed_out true, required false"},
		{"require false, false", requireFalse, policy.Metrics{"timed_out": policy.Bool(false)}, policy.Allow, "timed_out false as required"},
		{"missing, default fails closed", both, policy.Metrics{"other": policy.Num(0)}, policy.Refuse, "restarts not observed (fails closed)"},
		{"missing, explicit refuse", withMissing(both, policy.Refuse), nil, policy.Refuse, "restarts not observed (fails closed)"},
		{"missing, marginal", withMissing(requireTrue, policy.Marginal), nil, policy.Marginal, "completed not observed (missing: marginal)"},
		{"missing, allow", withMissing(both, policy.Allow), policy.Metrics{}, policy.Allow, "restarts not observed (missing: allow)"},
		{"boolean under a numeric rule", both, policy.Metrics{"restarts": policy.Bool(false)}, policy.Refuse, "restarts is a boolean (false), the rule needs a number"},
		{"number under a require rule", requireTrue, policy.Metrics{"completed": policy.Num(1)}, policy.Refuse, "completed is a number (1), the rule requires a boolean"},
		{"type mismatch ignores missing: allow", withMissing(requireTrue, policy.Allow), policy.Metrics{"completed": policy.Num(1)}, policy.Refuse, "completed is a number (1), the rule requires a boolean"},
		{"NaN fails closed", both, policy.Metrics{"restarts": policy.Num(math.NaN())}, policy.Refuse, "restarts is not a finite number (fails closed)"},
		{"-Inf fails closed", both, policy.Metrics{"restarts": policy.Num(math.Inf(-1))}, policy.Refuse, "restarts is not a finite number (fails closed)"},
		{"invalid rule fails closed", policy.Rule{Metric: "x"}, policy.Metrics{"x": policy.Num(0)}, policy.Refuse, "invalid rule for x: needs require, or marginal and/or refuse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := policy.Evaluate(onePolicy(tt.rule), tt.metrics)
			if res.Decision != tt.want || len(res.Reasons) != 1 {
				t.Fatalf("decision %s with %d reasons, want %s with 1", res.Decision, len(res.Reasons), tt.want)
			}
			r := res.Reasons[0]
			if r.Outcome != tt.want || r.Message != tt.message || r.Metric != tt.rule.Metric {
				t.Fatalf("reason %s %q, want %s %q", r.Outcome, r.Message, tt.want, tt.message)
			}
			if !reflect.DeepEqual(r.Require, tt.rule.Require) || !reflect.DeepEqual(r.Marginal, tt.rule.Marginal) || !reflect.DeepEqual(r.Refuse, tt.rule.Refuse) {
				t.Fatalf("reason limits %v %v %v differ from the rule's", r.Require, r.Marginal, r.Refuse)
			}
			if v, ok := tt.metrics[tt.rule.Metric]; ok && finiteValue(v) {
				if r.Observed == nil || !reflect.DeepEqual(*r.Observed, v) {
					t.Fatalf("observed %v, want %v", r.Observed, v)
				}
			} else if r.Observed != nil {
				t.Fatalf("observed %v, want null", *r.Observed)
			}
			roundTripResult(t, res)
		})
	}
}

func finiteValue(v policy.Value) bool {
	f, ok := v.Number()
	return !ok || !(math.IsNaN(f) || math.IsInf(f, 0))
}

func TestEvaluateWorstWins(t *testing.T) {
	p := &policy.Policy{APIVersion: "cohos/v1", Kind: "Policy", Name: "w", Rules: []policy.Rule{
		{Metric: "a", Marginal: ptr(1.0), Refuse: ptr(5.0)},
		{Metric: "b", Marginal: ptr(1.0), Refuse: ptr(5.0)},
		{Metric: "c", Require: ptr(true)},
	}}
	tests := []struct {
		name    string
		metrics policy.Metrics
		want    policy.Decision
		decider string // metric of the deciding reason, "" for none
	}{
		{"all allow", policy.Metrics{"a": policy.Num(0), "b": policy.Num(1), "c": policy.Bool(true)}, policy.Allow, ""},
		{"one marginal", policy.Metrics{"a": policy.Num(0), "b": policy.Num(2), "c": policy.Bool(true)}, policy.Marginal, "b"},
		{"first marginal decides", policy.Metrics{"a": policy.Num(2), "b": policy.Num(2), "c": policy.Bool(true)}, policy.Marginal, "a"},
		{"refuse beats earlier marginal", policy.Metrics{"a": policy.Num(2), "b": policy.Num(9), "c": policy.Bool(true)}, policy.Refuse, "b"},
		{"missing metric refuses", policy.Metrics{"a": policy.Num(2), "b": policy.Num(0)}, policy.Refuse, "c"},
		{"no metrics", nil, policy.Refuse, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := policy.Evaluate(p, tt.metrics)
			if res.Decision != tt.want || len(res.Reasons) != len(p.Rules) {
				t.Fatalf("decision %s with %d reasons, want %s with %d", res.Decision, len(res.Reasons), tt.want, len(p.Rules))
			}
			for i, r := range res.Reasons {
				if r.Metric != p.Rules[i].Metric {
					t.Fatalf("reason %d is for %q, want rule order", i, r.Metric)
				}
			}
			d := res.Decider()
			switch {
			case tt.decider == "" && d != nil:
				t.Fatalf("Decider() = %+v, want nil", *d)
			case tt.decider != "" && (d == nil || d.Metric != tt.decider || d.Outcome != tt.want):
				t.Fatalf("Decider() = %+v, want the %s reason for %q", d, tt.want, tt.decider)
			}
			if again := policy.Evaluate(p, tt.metrics); !reflect.DeepEqual(again, res) {
				t.Fatalf("Evaluate is not deterministic")
			}
			roundTripResult(t, res)
		})
	}
}

func TestEvaluateNoRules(t *testing.T) {
	for _, p := range []*policy.Policy{nil, {APIVersion: "cohos/v1", Kind: "Policy", Name: "empty"}} {
		res := policy.Evaluate(p, policy.Metrics{"a": policy.Num(1)})
		if res.Decision != policy.Refuse || res.Reasons == nil || len(res.Reasons) != 0 || res.Decider() != nil {
			t.Fatalf("Evaluate(%v) = %+v, want REFUSE with no reasons", p, res)
		}
	}
}

// TestEvaluateDoesNotAlias checks that changing a Result leaves the policy
// as it was.
func TestEvaluateDoesNotAlias(t *testing.T) {
	p := onePolicy(policy.Rule{Metric: "a", Marginal: ptr(1.0)})
	res := policy.Evaluate(p, policy.Metrics{"a": policy.Num(0)})
	*res.Reasons[0].Marginal = 99
	if *p.Rules[0].Marginal != 1 {
		t.Fatalf("Evaluate shares the rule's limit with its result")
	}
}

// roundTripResult asserts that res survives encoding/json exactly.
func roundTripResult(tb testing.TB, res policy.Result) {
	tb.Helper()
	data, err := json.Marshal(res)
	if err != nil {
		tb.Fatalf("Marshal: %v", err)
	}
	var back policy.Result
	if err := json.Unmarshal(data, &back); err != nil {
		tb.Fatalf("Unmarshal(%s): %v", data, err)
	}
	if !reflect.DeepEqual(back, res) {
		tb.Fatalf("JSON round trip changed the result:\n%+v\n%+v\n%s", res, back, data)
	}
}

func TestWorst(t *testing.T) {
	tests := []struct{ a, b, want policy.Decision }{
		{policy.Allow, policy.Allow, policy.Allow},
		{policy.Allow, policy.Marginal, policy.Marginal},
		{policy.Marginal, policy.Allow, policy.Marginal},
		{policy.Marginal, policy.Refuse, policy.Refuse},
		{policy.Refuse, policy.Allow, policy.Refuse},
		{policy.Allow, "", policy.Refuse},
		{"allow", policy.Allow, policy.Refuse},
	}
	for _, tt := range tests {
		if got := policy.Worst(tt.a, tt.b); got != tt.want {
			t.Errorf("Worst(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
	for d, want := range map[policy.Decision]bool{policy.Allow: true, policy.Marginal: true, policy.Refuse: true, "": false, "allow": false, "WARN": false} {
		if d.Valid() != want {
			t.Errorf("%q.Valid() = %v, want %v", d, !want, want)
		}
	}
}

func TestResultJSONShape(t *testing.T) {
	p := onePolicy(policy.Rule{Metric: "restarts", Marginal: ptr(2.0), Refuse: ptr(6.0)})
	p.Rules = append(p.Rules, policy.Rule{Metric: "completed", Require: ptr(true)})
	data, err := json.Marshal(policy.Evaluate(p, policy.Metrics{"restarts": policy.Num(3)}))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"decision":"REFUSE","reasons":[` +
		`{"metric":"restarts","observed":3,"marginal":2,"refuse":6,"outcome":"MARGINAL","message":"restarts 3 \u003e marginal 2"},` +
		`{"metric":"completed","observed":null,"require":true,"outcome":"REFUSE","message":"completed not observed (fails closed)"}]}`
	if string(data) != want {
		t.Fatalf("got  %s\nwant %s", data, want)
	}
}
