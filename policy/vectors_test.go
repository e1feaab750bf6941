package policy_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"cohos.dev/cohos/policy"
)

const vectorDir = "../testdata/vectors/policy"

// kinds maps the names used in the vectors' "# want:" lines to sentinels.
var kinds = map[string]error{
	"syntax":        policy.ErrSyntax,
	"too-large":     policy.ErrTooLarge,
	"unknown-field": policy.ErrUnknownField,
	"duplicate":     policy.ErrDuplicate,
	"missing-field": policy.ErrMissingField,
	"wrong-type":    policy.ErrWrongType,
	"invalid-value": policy.ErrInvalidValue,
}

type vector struct {
	name  string
	data  []byte
	ok    bool
	kind  error
	line  int
	field string
}

// loadVectors reads every testdata/vectors/policy/*.yaml. The first line of
// each says what Parse must do: "# want: ok", or "# want: KIND LINE FIELD"
// with FIELD "-" for none.
func loadVectors(tb testing.TB) []vector {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no vectors in %s: %v", vectorDir, err)
	}
	var vs []vector
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		first, _, _ := bytes.Cut(data, []byte("\n"))
		want, found := strings.CutPrefix(string(first), "# want: ")
		if !found {
			tb.Fatalf("%s: first line is not a # want: line", f)
		}
		v := vector{name: filepath.Base(f), data: data}
		if want == "ok" {
			v.ok = true
			vs = append(vs, v)
			continue
		}
		parts := strings.Fields(want)
		if len(parts) != 3 || kinds[parts[0]] == nil {
			tb.Fatalf("%s: bad want line %q", f, want)
		}
		v.kind = kinds[parts[0]]
		if v.line, err = strconv.Atoi(parts[1]); err != nil {
			tb.Fatalf("%s: bad line in %q", f, want)
		}
		if parts[2] != "-" {
			v.field = parts[2]
		}
		vs = append(vs, v)
	}
	return vs
}

// TestVectors checks every policy vector: the valid ones parse and round-trip
// through Canonical, the invalid ones fail with the named sentinel, line and
// field.
func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			p, err := policy.Parse(v.data)
			if v.ok {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				checkRoundTrip(t, p)
				return
			}
			if err == nil {
				t.Fatalf("Parse accepted it: %s", p.Canonical())
			}
			var pe *policy.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is %T, want *policy.ParseError", err, err)
			}
			if !errors.Is(err, v.kind) || pe.Line != v.line || pe.Field != v.field {
				t.Fatalf("got %q (line %d, field %q), want %v at line %d, field %q",
					err, pe.Line, pe.Field, v.kind, v.line, v.field)
			}
		})
	}
}

// checkRoundTrip asserts that p's canonical form parses to an equal policy
// with the same canonical bytes.
func checkRoundTrip(tb testing.TB, p *policy.Policy) {
	tb.Helper()
	c := p.Canonical()
	q, err := policy.Parse(c)
	if err != nil {
		tb.Fatalf("Parse(Canonical()) = %v\n%s", err, c)
	}
	if !reflect.DeepEqual(p, q) {
		tb.Fatalf("round trip changed the policy:\n%+v\n%+v", p, q)
	}
	if c2 := q.Canonical(); !bytes.Equal(c, c2) {
		tb.Fatalf("canonical form not stable:\n%s\n%s", c, c2)
	}
	if err := q.Validate(); err != nil {
		tb.Fatalf("Validate() of a parsed policy = %v", err)
	}
}
