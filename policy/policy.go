package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strconv"
	"unicode/utf8"
)

// The values apiVersion and kind must have.
const (
	APIVersion = "cohos/v1"
	Kind       = "Policy"
)

// Rule is one check on one metric: either Require (a boolean metric must
// equal it) or the numeric upper limits Marginal and/or Refuse.
type Rule struct {
	Metric      string   `json:"metric"`
	Require     *bool    `json:"require,omitempty"`
	Marginal    *float64 `json:"marginal,omitempty"`
	Refuse      *float64 `json:"refuse,omitempty"`
	Missing     Decision `json:"missing,omitempty"` // stored upper-case; "" means REFUSE
	Description string   `json:"description,omitempty"`
}

// Policy is a parsed policy. Build one with Parse; a Policy built in code can
// be checked with Validate.
type Policy struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Rules      []Rule `json:"rules"`
}

// missingOutcome is the outcome of r when its metric was not observed.
func (r Rule) missingOutcome() Decision {
	if r.Missing == "" {
		return Refuse
	}
	return r.Missing
}

// Validate checks everything Parse checks that survives parsing: apiVersion,
// kind, name, the rule count, each rule's metric name, kind, limits, missing
// outcome and description, and that no metric has two rules. Its error is a
// *ParseError with Line 0, wrapping one of the sentinels.
func (p *Policy) Validate() error {
	if p == nil {
		return fail(0, "", ErrMissingField, "no policy")
	}
	if err := checkHeader(p.APIVersion, APIVersion); err != nil {
		return &ParseError{Field: "apiVersion", Err: err}
	}
	if err := checkHeader(p.Kind, Kind); err != nil {
		return &ParseError{Field: "kind", Err: err}
	}
	if err := checkName(p.Name); err != nil {
		return &ParseError{Field: "name", Err: err}
	}
	if err := checkRuleCount(len(p.Rules)); err != nil {
		return &ParseError{Field: "rules", Err: err}
	}
	seen := make(map[string]int, len(p.Rules))
	for i, r := range p.Rules {
		field := "rules[" + strconv.Itoa(i) + "]"
		if key, err := r.check(); err != nil {
			if key != "" {
				field += "." + key
			}
			return &ParseError{Field: field, Err: err}
		}
		if j, dup := seen[r.Metric]; dup {
			return fail(0, field+".metric", ErrDuplicate, "second rule for metric %q (first is rules[%d])", r.Metric, j)
		}
		seen[r.Metric] = i
	}
	return nil
}

func checkHeader(got, want string) error {
	if got != want {
		return &kindError{ErrInvalidValue, "must be " + strconv.Quote(want) + ", not " + strconv.Quote(got)}
	}
	return nil
}

func checkName(s string) error {
	if s == "" || len(s) > maxNameLen {
		return &kindError{ErrInvalidValue, "must be 1 to " + strconv.Itoa(maxNameLen) + " bytes"}
	}
	if !utf8.ValidString(s) || hasControl(s, false) {
		return &kindError{ErrInvalidValue, "must be UTF-8 without control characters"}
	}
	return nil
}

func checkRuleCount(n int) error {
	if n == 0 {
		return &kindError{ErrMissingField, "must hold at least one rule"}
	}
	if n > MaxRules {
		return &kindError{ErrTooLarge, "more than " + strconv.Itoa(MaxRules) + " rules"}
	}
	return nil
}

// check validates one rule on its own. It returns the key of the offending
// field ("" for the rule as a whole) and the error; the caller adds the path.
func (r Rule) check() (string, error) {
	switch {
	case !validMetricName(r.Metric):
		return "metric", &kindError{ErrInvalidValue, "must be 1 to " + strconv.Itoa(maxMetricLen) + " bytes of [a-z0-9_]"}
	case r.Require != nil && (r.Marginal != nil || r.Refuse != nil):
		return "require", &kindError{ErrInvalidValue, "cannot be combined with marginal or refuse"}
	case r.Require == nil && r.Marginal == nil && r.Refuse == nil:
		return "", &kindError{ErrMissingField, "needs require, or marginal and/or refuse"}
	case !finite(r.Marginal):
		return "marginal", &kindError{ErrInvalidValue, "must be a finite number"}
	case !finite(r.Refuse):
		return "refuse", &kindError{ErrInvalidValue, "must be a finite number"}
	case r.Marginal != nil && r.Refuse != nil && *r.Marginal > *r.Refuse:
		return "marginal", &kindError{ErrInvalidValue, formatNumber(*r.Marginal) + " is above refuse " + formatNumber(*r.Refuse)}
	case r.Missing != "" && !r.Missing.Valid():
		return "missing", &kindError{ErrInvalidValue, "must be allow, marginal or refuse"}
	case len(r.Description) > maxDescriptionLen:
		return "description", &kindError{ErrInvalidValue, "longer than " + strconv.Itoa(maxDescriptionLen) + " bytes"}
	case !utf8.ValidString(r.Description) || hasControl(r.Description, true):
		return "description", &kindError{ErrInvalidValue, "must be UTF-8 without control characters"}
	}
	return "", nil
}

func finite(f *float64) bool {
	return f == nil || !(math.IsNaN(*f) || math.IsInf(*f, 0))
}

// hasControl reports whether s holds a C0 or C1 control character, DEL, a
// Unicode line or paragraph separator (YAML would fold them), a byte order
// mark or a noncharacter U+FFFE/U+FFFF; with text, newline and tab are
// allowed.
func hasControl(s string, text bool) bool {
	for _, c := range s {
		if text && (c == '\n' || c == '\t') {
			continue
		}
		switch {
		case c < 0x20, c >= 0x7f && c < 0xa0:
			return true
		case c == 0x2028, c == 0x2029, c == 0xfeff, c == 0xfffe, c == 0xffff:
			return true
		}
	}
	return false
}

// Digest returns the lowercase hex SHA-256 of p.Canonical().
func (p *Policy) Digest() string {
	sum := sha256.Sum256(p.Canonical())
	return hex.EncodeToString(sum[:])
}
