package policy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"cohos.dev/cohos/policy"
)

// The tests in this file pin the edges that mutation testing found
// unguarded: each limit at exactly its value and one past it, the metric
// name alphabet at its ends, numbers JSON does not allow, and text that
// hides a control character after a newline.

const boundsHead = "apiVersion: cohos/v1\nkind: Policy\nname: %s\nrules:\n"

func parseOK(t *testing.T, what, doc string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return p
}

func parseFails(t *testing.T, what, doc string, want error) {
	t.Helper()
	if _, err := policy.Parse([]byte(doc)); !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func TestLimitsAtTheirEdges(t *testing.T) {
	rule := "  - {metric: completed, require: true}\n"

	name := strings.Repeat("n", 128)
	parseOK(t, "a 128-byte name", fmt.Sprintf(boundsHead, name)+rule)
	parseFails(t, "a 129-byte name", fmt.Sprintf(boundsHead, name+"n")+rule, policy.ErrInvalidValue)

	var rules strings.Builder
	for i := range policy.MaxRules {
		fmt.Fprintf(&rules, "  - {metric: x_r%d, require: true}\n", i)
	}
	if p := parseOK(t, "MaxRules rules", fmt.Sprintf(boundsHead, "x")+rules.String()); len(p.Rules) != policy.MaxRules {
		t.Fatalf("%d rules, want %d", len(p.Rules), policy.MaxRules)
	}
	parseFails(t, "MaxRules+1 rules", fmt.Sprintf(boundsHead, "x")+rules.String()+rule, policy.ErrTooLarge)

	doc := fmt.Sprintf(boundsHead, "x") + rule
	pad := policy.MaxInputSize - len(doc) - 2 // "#" + padding + "\n"
	exact := doc + "#" + strings.Repeat("p", pad) + "\n"
	if len(exact) != policy.MaxInputSize {
		t.Fatalf("padded to %d bytes", len(exact))
	}
	parseOK(t, "a policy of exactly MaxInputSize bytes", exact)
	parseFails(t, "a policy one byte over MaxInputSize", exact+"\n", policy.ErrTooLarge)

	m := `{"x_a": 1}`
	mexact := m + strings.Repeat(" ", policy.MaxInputSize-len(m))
	if _, err := policy.ParseMetrics([]byte(mexact)); err != nil {
		t.Fatalf("metrics of exactly MaxInputSize bytes: %v", err)
	}
	if _, err := policy.ParseMetrics([]byte(mexact + " ")); !errors.Is(err, policy.ErrTooLarge) {
		t.Fatalf("metrics one byte over MaxInputSize: error %v, want %v", err, policy.ErrTooLarge)
	}
}

func TestMetricNameAlphabet(t *testing.T) {
	for _, name := range []string{"x_az09", "x_" + strings.Repeat("z", 62), "x_9", "x_0a"} {
		if _, err := policy.ParseMetrics([]byte(`{"` + name + `": 1}`)); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
	// The bytes just outside each range, and one byte too long.
	for _, name := range []string{"x_`", "x_{", "x_/", "x_:", "x_A", "x_" + strings.Repeat("z", 63)} {
		if _, err := policy.ParseMetrics([]byte(`{"` + name + `": 1}`)); !errors.Is(err, policy.ErrInvalidValue) || !strings.Contains(err.Error(), "metric name must be") {
			t.Errorf("%q: error %v, want an invalid metric name", name, err)
		}
	}
}

func TestMetricsNumbersAndKinds(t *testing.T) {
	for in, want := range map[string]string{
		`{"x_a": 1e999}`: "out of range",
		`{"x_a": [1]}`:   "an array",
		`{"x_a": {}}`:    "an object",
		`{"x_a": null}`:  "null",
	} {
		if _, err := policy.ParseMetrics([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one saying %q", in, err, want)
		}
	}
	m, err := policy.ParseMetrics([]byte(`{"x_a": 1E+2, "x_b": -0, "x_c": 2.5e-1}`))
	if err != nil {
		t.Fatal(err)
	}
	if m["x_a"] != policy.Num(100) || m["x_b"] != policy.Num(0) || m["x_c"] != policy.Num(0.25) {
		t.Fatalf("metrics %v", m)
	}
}

func TestPolicyNumbersFollowJSON(t *testing.T) {
	// Number-like scalars JSON does not allow are invalid values; scalars
	// YAML reads as strings are of the wrong type.
	for v, want := range map[string]error{
		"1.": policy.ErrInvalidValue, "01": policy.ErrInvalidValue, ".5": policy.ErrInvalidValue, "+1": policy.ErrInvalidValue,
		"1e": policy.ErrWrongType, "1e+": policy.ErrWrongType, "-": policy.ErrWrongType,
	} {
		doc := fmt.Sprintf(boundsHead, "x") + "  - {metric: restarts, marginal: " + v + ", refuse: 9}\n"
		if _, err := policy.Parse([]byte(doc)); !errors.Is(err, want) || !strings.Contains(err.Error(), "rules[0].marginal") {
			t.Errorf("marginal %q: error %v, want %v at rules[0].marginal", v, err, want)
		}
	}
	p := parseOK(t, "exponents", fmt.Sprintf(boundsHead, "x")+"  - {metric: restarts, marginal: 1e0, refuse: 2E+1}\n")
	if got := string(p.Canonical()); !strings.Contains(got, `"marginal":1,`) || !strings.Contains(got, `"refuse":20`) {
		t.Fatalf("canonical %s", got)
	}
}

func TestDescriptionControlAfterNewline(t *testing.T) {
	doc := fmt.Sprintf(boundsHead, "x") + "  - {metric: completed, require: true, description: \"ok\\nthen\\u0001\"}\n"
	parseFails(t, "a control character after a newline", doc, policy.ErrInvalidValue)
	parseOK(t, "newline and tab", fmt.Sprintf(boundsHead, "x")+"  - {metric: completed, require: true, description: \"a\\nb\\tc\"}\n")
}

func TestCanonicalReplacesInvalidUTF8(t *testing.T) {
	p := parseOK(t, "base", fmt.Sprintf(boundsHead, "x")+"  - {metric: completed, require: true}\n")
	p.Name = "a\x80b\xc3\xa9"
	if got := p.Canonical(); !bytes.Contains(got, []byte("\"a\uFFFDb\u00e9\"")) {
		t.Fatalf("canonical %q", got)
	}
}

func TestValueMarshalJSON(t *testing.T) {
	for v, want := range map[policy.Value]string{policy.Num(1.5): "1.5", policy.Num(-2): "-2", policy.Bool(true): "true", policy.Bool(false): "false"} {
		if b, err := json.Marshal(v); err != nil || string(b) != want {
			t.Errorf("%v: %s, %v; want %s", v, b, err, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := json.Marshal(policy.Num(f)); err == nil {
			t.Errorf("%v: marshalled", f)
		}
	}
}

func TestParseErrorWithoutLine(t *testing.T) {
	e := &policy.ParseError{Field: "rules", Err: errors.New("bad")}
	if got := e.Error(); got != "rules: bad" {
		t.Fatalf("Error() = %q", got)
	}
	e.Line = 1
	if got := e.Error(); got != "line 1: rules: bad" {
		t.Fatalf("Error() = %q", got)
	}
}
