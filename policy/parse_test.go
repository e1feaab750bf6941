package policy_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"cohos.dev/cohos/policy"
)

const header = "apiVersion: cohos/v1\nkind: Policy\nname: x\nrules:\n"

func ptr[T any](v T) *T { return &v }

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want policy.Policy
	}{
		{
			name: "design example",
			in: header + "  - {metric: completed, require: true}\n" +
				"  - {metric: restarts, marginal: 2, refuse: 6}\n" +
				"  - {metric: answers_per_agent_max, marginal: 2, refuse: 4, missing: allow}\n",
			want: policy.Policy{APIVersion: "cohos/v1", Kind: "Policy", Name: "x", Rules: []policy.Rule{
				{Metric: "completed", Require: ptr(true)},
				{Metric: "restarts", Marginal: ptr(2.0), Refuse: ptr(6.0)},
				{Metric: "answers_per_agent_max", Marginal: ptr(2.0), Refuse: ptr(4.0), Missing: policy.Allow},
			}},
		},
		{
			name: "missing spelled in upper case, description, refuse only",
			in:   header + "  - {metric: wall_seconds, refuse: 1.5e3, missing: MARGINAL, description: \"slow: bad\"}\n",
			want: policy.Policy{APIVersion: "cohos/v1", Kind: "Policy", Name: "x", Rules: []policy.Rule{
				{Metric: "wall_seconds", Refuse: ptr(1500.0), Missing: policy.Marginal, Description: "slow: bad"},
			}},
		},
		{
			name: "json, marginal equal to refuse, negative zero",
			in:   `{"apiVersion":"cohos/v1","kind":"Policy","name":"j","rules":[{"metric":"a","marginal":-0,"refuse":0}]}`,
			want: policy.Policy{APIVersion: "cohos/v1", Kind: "Policy", Name: "j", Rules: []policy.Rule{
				{Metric: "a", Marginal: ptr(0.0), Refuse: ptr(0.0)},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := policy.Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", *got, tt.want)
			}
			checkRoundTrip(t, got)
		})
	}
}

// TestParseErrors covers what the vectors cannot express compactly: limits,
// characters and the shape of the error value itself.
func TestParseErrors(t *testing.T) {
	manyRules := header
	for i := 0; i <= policy.MaxRules; i++ {
		manyRules += fmt.Sprintf("  - {metric: m%d, refuse: 1}\n", i)
	}
	tests := []struct {
		name  string
		in    string
		kind  error
		line  int
		field string
	}{
		{"input too large", header + strings.Repeat("#", policy.MaxInputSize), policy.ErrTooLarge, 0, ""},
		{"too many rules", manyRules, policy.ErrTooLarge, 5, "rules"},
		{"json trailing garbage", `{"apiVersion":"cohos/v1","kind":"Policy","name":"x","rules":[{"metric":"a","refuse":1}]} x`, policy.ErrSyntax, 1, ""},
		{"json duplicate key", `{"apiVersion":"cohos/v1","kind":"Policy","kind":"Policy","name":"x","rules":[]}`, policy.ErrDuplicate, 1, "kind"},
		{"control character in name", "apiVersion: cohos/v1\nkind: Policy\nname: \"a\\u0007b\"\nrules:\n  - {metric: a, refuse: 1}\n", policy.ErrInvalidValue, 3, "name"},
		{"line separator in description", header + "  - {metric: a, refuse: 1, description: \"a\\u2028b\"}\n", policy.ErrInvalidValue, 5, "rules[0].description"},
		{"long description", header + "  - {metric: a, refuse: 1, description: " + strings.Repeat("d", 1025) + "}\n", policy.ErrInvalidValue, 5, "rules[0].description"},
		{"long metric name", header + "  - {metric: " + strings.Repeat("m", 65) + ", refuse: 1}\n", policy.ErrInvalidValue, 5, "rules[0].metric"},
		{"missing in mixed case", header + "  - {metric: a, refuse: 1, missing: Allow}\n", policy.ErrInvalidValue, 5, "rules[0].missing"},
		{"number as key", header + "  - {1: a}\n", policy.ErrWrongType, 5, "rules[0]"},
		{"metric is a number", header + "  - {metric: 7, refuse: 1}\n", policy.ErrWrongType, 5, "rules[0].metric"},
		{"limit is a list", header + "  - {metric: a, refuse: [1]}\n", policy.ErrWrongType, 5, "rules[0].refuse"},
		{"leading zero", header + "  - {metric: a, refuse: 007}\n", policy.ErrInvalidValue, 5, "rules[0].refuse"},
		{"nan", header + "  - {metric: a, refuse: .nan}\n", policy.ErrInvalidValue, 5, "rules[0].refuse"},
		{"explicit second empty document", header + "  - {metric: a, refuse: 1}\n---\n", policy.ErrSyntax, 6, ""},
		{"comment only", "# nothing\n", policy.ErrSyntax, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policy.Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse accepted it: %s", p.Canonical())
			}
			var pe *policy.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is %T, want *policy.ParseError", err, err)
			}
			if !errors.Is(err, tt.kind) || pe.Line != tt.line || pe.Field != tt.field {
				t.Fatalf("got %q (line %d, field %q), want %v at line %d, field %q", err, pe.Line, pe.Field, tt.kind, tt.line, tt.field)
			}
		})
	}
}

func TestParseErrorMessage(t *testing.T) {
	_, err := policy.Parse([]byte(header + "  - {metric: a, refuse: 1}\n  - metric: b\n    marginal: two\n"))
	if got, want := err.Error(), "line 7: rules[1].marginal: must be a number"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestValidate(t *testing.T) {
	valid := func() *policy.Policy {
		return &policy.Policy{APIVersion: "cohos/v1", Kind: "Policy", Name: "v", Rules: []policy.Rule{
			{Metric: "a", Require: ptr(true)}, {Metric: "b", Marginal: ptr(1.0)},
		}}
	}
	tests := []struct {
		name   string
		change func(p *policy.Policy)
		kind   error
		field  string
	}{
		{"valid", func(*policy.Policy) {}, nil, ""},
		{"bad kind", func(p *policy.Policy) { p.Kind = "Other" }, policy.ErrInvalidValue, "kind"},
		{"no rules", func(p *policy.Policy) { p.Rules = nil }, policy.ErrMissingField, "rules"},
		{"duplicate metric", func(p *policy.Policy) { p.Rules[1].Metric = "a" }, policy.ErrDuplicate, "rules[1].metric"},
		{"both kinds", func(p *policy.Policy) { p.Rules[0].Refuse = ptr(1.0) }, policy.ErrInvalidValue, "rules[0].require"},
		{"bad missing", func(p *policy.Policy) { p.Rules[0].Missing = "allow" }, policy.ErrInvalidValue, "rules[0].missing"},
		{"infinite limit", func(p *policy.Policy) { p.Rules[1].Refuse = ptr(posInf()) }, policy.ErrInvalidValue, "rules[1].refuse"},
		{"no check", func(p *policy.Policy) { p.Rules[1].Marginal = nil }, policy.ErrMissingField, "rules[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			tt.change(p)
			err := p.Validate()
			if tt.kind == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var pe *policy.ParseError
			if !errors.As(err, &pe) || !errors.Is(err, tt.kind) || pe.Field != tt.field || pe.Line != 0 {
				t.Fatalf("got %v, want %v on field %q", err, tt.kind, tt.field)
			}
		})
	}
}

func posInf() float64 { return math.Inf(1) }

// TestIndentationErrorLine (issue 12): a key indented one space short is
// reported at its own line, not where its list starts; so is a flow
// collection left open, wherever the broken line stands in the document.
func TestIndentationErrorLine(t *testing.T) {
	const head = "apiVersion: cohos/v1\nkind: Policy\nname: x\nrules:\n"
	for _, tt := range []struct {
		name, doc string
		line      int
	}{
		{"key one space short", head + "  - metric: completed\n    require: true\n  - metric: restarts\n   marginal: 2\n", 8},
		{"the last line, without a newline", head + "  - metric: completed\n    require: true\n  - metric: restarts\n   marginal: 2", 8},
		{"valid rules after it", head + "  - metric: completed\n    require: true\n  - metric: restarts\n   marginal: 2\n  - metric: timed_out\n    require: false\n", 8},
		{"right after the list starts", "apiVersion: cohos/v1\nrules:\n  - metric: completed\n   require: true\n", 4},
		{"near the top, more keys after", "rules:\n  - metric: completed\n   require: true\nname: x\n", 3},
		{"a mapping key one space short", "a:\n  b: 1\n c: 2\n", 3},
		{"a flow mapping left open", head + "  - {metric: completed, require: true\n  - metric: restarts\n", 5},
		{"a flow sequence left open", head[:len(head)-1] + " [\n  {metric: completed, require: true}\n", 4},
	} {
		_, err := policy.Parse([]byte(tt.doc))
		var pe *policy.ParseError
		if !errors.As(err, &pe) || pe.Line != tt.line || !errors.Is(err, policy.ErrSyntax) {
			t.Errorf("%s: error %v, want a syntax error at line %d", tt.name, err, tt.line)
		}
	}
}
