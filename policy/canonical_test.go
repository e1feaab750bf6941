package policy_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"testing"

	"cohos.dev/cohos/policy"
)

// TestNumberForm checks numbers against ECMAScript's Number.prototype.toString
// (RFC 8785 Appendix B values among them).
func TestNumberForm(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{1, "1"},
		{-1, "-1"},
		{0.5, "0.5"},
		{1.5e3, "1500"},
		{123456789, "123456789"},
		{1e20, "100000000000000000000"},
		{1e21, "1e+21"},
		{1.5e21, "1.5e+21"},
		{1e-6, "0.000001"},
		{1e-7, "1e-7"},
		{1.2345e-7, "1.2345e-7"},
		{0.30000000000000004, "0.30000000000000004"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{5e-324, "5e-324"},
		{9007199254740992, "9007199254740992"},
		{295147905179352830000, "295147905179352830000"},
		{4.35, "4.35"},
		{333333333.3333333, "333333333.3333333"},
	}
	for _, tt := range tests {
		if got := policy.Num(tt.f).String(); got != tt.want {
			t.Errorf("Num(%v).String() = %s, want %s", tt.f, got, tt.want)
		}
	}
}

func TestCanonical(t *testing.T) {
	in := `# comments and layout do not matter
name: "tabs quotes\" back\\slash \u00e9 <&>"
kind: Policy
apiVersion: cohos/v1
rules:
  - refuse: 6.0
    marginal: 2e0
    metric: restarts
    missing: allow
  - {description: "line one\nline two\ttab", require: false, metric: timed_out}
  - {metric: tiny, refuse: 0.000001, marginal: -1.5e-7}
`
	p, err := policy.Parse([]byte(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := `{"apiVersion":"cohos/v1","kind":"Policy","name":"tabs quotes\" back\\slash é <&>","rules":[` +
		`{"marginal":2,"metric":"restarts","missing":"ALLOW","refuse":6},` +
		`{"description":"line one\nline two\ttab","metric":"timed_out","require":false},` +
		`{"marginal":-1.5e-7,"metric":"tiny","refuse":0.000001}]}`
	got := p.Canonical()
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	sum := sha256.Sum256([]byte(want))
	if p.Digest() != hex.EncodeToString(sum[:]) {
		t.Fatalf("Digest() = %s, want sha256 of the canonical form", p.Digest())
	}
	checkRoundTrip(t, p)
	if !json.Valid(got) {
		t.Fatalf("canonical form is not valid JSON")
	}
	// encoding/json reads the canonical form into the same struct.
	var viaJSON policy.Policy
	if err := json.Unmarshal(got, &viaJSON); err != nil {
		t.Fatal(err)
	}
	if string(viaJSON.Canonical()) != want {
		t.Fatalf("encoding/json disagrees with the canonical form: %s", viaJSON.Canonical())
	}
}

func TestCanonicalEscapes(t *testing.T) {
	p := &policy.Policy{APIVersion: "cohos/v1", Kind: "Policy", Name: "\x01\b\f\r\x1f\x7f\u2028\xff",
		Rules: []policy.Rule{{Metric: "a", Refuse: ptr(math.NaN())}}}
	want := `{"apiVersion":"cohos/v1","kind":"Policy","name":"\u0001\b\f\r\u001f` + "\x7f\u2028\ufffd" + `","rules":[{"metric":"a","refuse":null}]}`
	if got := string(p.Canonical()); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if _, err := policy.Parse(p.Canonical()); err == nil {
		t.Fatalf("the canonical form of an invalid policy parsed")
	}
}

func TestDigestDiffers(t *testing.T) {
	a, _ := policy.Parse([]byte(header + "  - {metric: a, refuse: 1}\n"))
	b, _ := policy.Parse([]byte(header + "  - {metric: a, refuse: 1.5}\n"))
	c, _ := policy.Parse([]byte("{apiVersion: cohos/v1, kind: Policy, name: x, rules: [{refuse: 1.0, metric: a}]}"))
	if a.Digest() == b.Digest() {
		t.Fatalf("different limits, same digest")
	}
	if a.Digest() != c.Digest() {
		t.Fatalf("same policy in another layout, different digest")
	}
}
