package policy_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"cohos.dev/cohos/policy"
)

func TestParseMetrics(t *testing.T) {
	got, err := policy.ParseMetrics([]byte(`{
  "completed": true,
  "timed_out": false,
  "restarts": 3,
  "wall_seconds": 12.5,
  "tokens_in": 1e3,
  "delta": -0
}`))
	if err != nil {
		t.Fatalf("ParseMetrics: %v", err)
	}
	want := policy.Metrics{
		"completed": policy.Bool(true), "timed_out": policy.Bool(false), "restarts": policy.Num(3),
		"wall_seconds": policy.Num(12.5), "tokens_in": policy.Num(1000), "delta": policy.Num(0),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got, err := policy.ParseMetrics([]byte(" {} \n")); err != nil || len(got) != 0 {
		t.Fatalf("empty object: %v, %v", got, err)
	}
}

func TestParseMetricsErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		kind  error
		line  int
		field string
	}{
		{"duplicate key", "{\"a\": 1,\n \"a\": 2}", policy.ErrDuplicate, 2, "a"},
		{"nested object", `{"a": {"b": 1}}`, policy.ErrWrongType, 1, "a"},
		{"array", `{"a": [1]}`, policy.ErrWrongType, 1, "a"},
		{"null", "{\n\"ok\": 1,\n\"a\": null}", policy.ErrWrongType, 3, "a"},
		{"string", `{"a": "1"}`, policy.ErrWrongType, 1, "a"},
		{"bad name", `{"Wall": 1}`, policy.ErrInvalidValue, 1, "Wall"},
		{"empty name", `{"": 1}`, policy.ErrInvalidValue, 1, ""},
		{"out of range", `{"a": 1e999}`, policy.ErrInvalidValue, 1, "a"},
		{"trailing data", "{\"a\": 1}\n{}", policy.ErrSyntax, 2, ""},
		{"trailing garbage", `{"a": 1} x`, policy.ErrSyntax, 1, ""},
		{"not an object", `[1]`, policy.ErrWrongType, 1, ""},
		{"truncated", `{"a": 1`, policy.ErrSyntax, 1, ""},
		{"empty", ``, policy.ErrSyntax, 1, ""},
		{"trailing comma", `{"a": 1,}`, policy.ErrSyntax, 1, ""},
		{"too large", `{"a": 1}` + strings.Repeat(" ", policy.MaxInputSize), policy.ErrTooLarge, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := policy.ParseMetrics([]byte(tt.in))
			if err == nil {
				t.Fatalf("accepted: %v", m)
			}
			var pe *policy.ParseError
			if !errors.As(err, &pe) || !errors.Is(err, tt.kind) || pe.Line != tt.line || pe.Field != tt.field {
				t.Fatalf("got %q (%+v), want %v at line %d, field %q", err, pe, tt.kind, tt.line, tt.field)
			}
		})
	}
}

func TestValueJSON(t *testing.T) {
	tests := []struct {
		v    policy.Value
		json string
	}{
		{policy.Num(0), "0"},
		{policy.Num(3), "3"},
		{policy.Num(-2.5), "-2.5"},
		{policy.Num(1e21), "1e+21"},
		{policy.Num(1e-7), "1e-7"},
		{policy.Num(0.1), "0.1"},
		{policy.Bool(true), "true"},
		{policy.Bool(false), "false"},
	}
	for _, tt := range tests {
		data, err := json.Marshal(tt.v)
		if err != nil || string(data) != tt.json {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tt.v, data, err, tt.json)
		}
		var back policy.Value
		if err := json.Unmarshal(data, &back); err != nil || back != tt.v {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", data, back, err, tt.v)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := json.Marshal(policy.Num(f)); err == nil {
			t.Errorf("Marshal(%v) succeeded", f)
		}
	}
	for in, kind := range map[string]error{`null`: policy.ErrWrongType, `"1"`: policy.ErrWrongType, `1e999`: policy.ErrInvalidValue, `[]`: policy.ErrWrongType} {
		var v policy.Value
		if err := v.UnmarshalJSON([]byte(in)); !errors.Is(err, kind) {
			t.Errorf("UnmarshalJSON(%s) = %v, want %v", in, err, kind)
		}
	}
}

func TestValueAccessors(t *testing.T) {
	n, b := policy.Num(4), policy.Bool(true)
	if f, ok := n.Number(); !ok || f != 4 || n.IsBool() {
		t.Errorf("Num(4).Number() = %v, %v", f, ok)
	}
	if _, ok := n.Boolean(); ok {
		t.Errorf("Num(4).Boolean() reports a boolean")
	}
	if v, ok := b.Boolean(); !ok || !v || !b.IsBool() {
		t.Errorf("Bool(true).Boolean() = %v, %v", v, ok)
	}
	if _, ok := b.Number(); ok {
		t.Errorf("Bool(true).Number() reports a number")
	}
	var zero policy.Value
	if zero != policy.Num(0) || zero.String() != "0" {
		t.Errorf("zero Value is %v, want the number 0", zero)
	}
}

// TestMetricsJSONRoundTrip: Metrics marshalled with encoding/json parse back
// equal with ParseMetrics.
func TestMetricsJSONRoundTrip(t *testing.T) {
	m := policy.Metrics{"a": policy.Num(1.25e-9), "b": policy.Bool(false), "c": policy.Num(123456789012)}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":1.25e-9,"b":false,"c":123456789012}`; string(data) != want {
		t.Fatalf("got %s, want %s", data, want)
	}
	back, err := policy.ParseMetrics(data)
	if err != nil || !reflect.DeepEqual(back, m) {
		t.Fatalf("ParseMetrics(%s) = %v, %v", data, back, err)
	}
}
