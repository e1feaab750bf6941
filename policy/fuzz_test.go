package policy_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"cohos.dev/cohos/policies"
	"cohos.dev/cohos/policy"
)

// FuzzParse: Parse never panics, every error is a *ParseError wrapping a
// sentinel, and whatever it accepts round-trips through Canonical and
// evaluates without panicking.
func FuzzParse(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.data)
	}
	f.Add(policies.Default())
	f.Add(policies.Starter())
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := policy.Parse(data)
		if err != nil {
			var pe *policy.ParseError
			if !errors.As(err, &pe) || !isSentinel(err) {
				t.Fatalf("error %v (%T) is not a *ParseError wrapping a sentinel", err, err)
			}
			return
		}
		checkRoundTrip(t, p)
		res := policy.Evaluate(p, policy.Metrics{"completed": policy.Bool(true), "restarts": policy.Num(3)})
		if !res.Decision.Valid() || len(res.Reasons) != len(p.Rules) {
			t.Fatalf("Evaluate gave %s with %d reasons for %d rules", res.Decision, len(res.Reasons), len(p.Rules))
		}
		roundTripResult(t, res)
	})
}

// FuzzParseMetrics: ParseMetrics never panics, its errors are *ParseError,
// and accepted metrics marshal with encoding/json and parse back equal.
func FuzzParseMetrics(f *testing.F) {
	for _, s := range []string{
		`{"completed": true, "restarts": 3, "wall_seconds": 12.5}`,
		`{"a": -0, "b": 1e21, "c": 1e-7, "d": false}`,
		`{}`, `{"a": {"b": 1}}`, `{"a": 1, "a": 2}`, `{"a": null}`, `{"a": 1} x`, `[1]`, `{"a": 1e999}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := policy.ParseMetrics(data)
		if err != nil {
			var pe *policy.ParseError
			if !errors.As(err, &pe) || !isSentinel(err) {
				t.Fatalf("error %v (%T) is not a *ParseError wrapping a sentinel", err, err)
			}
			return
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		back, err := policy.ParseMetrics(out)
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("ParseMetrics(%s) = %v, %v; want %v", out, back, err, m)
		}
	})
}

func isSentinel(err error) bool {
	for _, s := range kinds {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
