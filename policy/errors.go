package policy

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. Every error from Parse, ParseMetrics and Validate is a
// *ParseError whose Err matches exactly one of these with errors.Is.
var (
	// ErrSyntax: the input is not well-formed YAML or JSON, holds more
	// than one document, or has data after the document.
	ErrSyntax = errors.New("syntax error")
	// ErrTooLarge: the input exceeds MaxInputSize or the policy has more
	// than MaxRules rules.
	ErrTooLarge = errors.New("input too large")
	// ErrUnknownField: a key the format does not define.
	ErrUnknownField = errors.New("unknown field")
	// ErrDuplicate: a key given twice in one mapping or object, or two
	// rules for the same metric.
	ErrDuplicate = errors.New("duplicate")
	// ErrMissingField: a required field is absent, or rules is empty.
	ErrMissingField = errors.New("missing field")
	// ErrWrongType: a value of the wrong type (a string where a number is
	// required, a nested object in metrics, an anchor, alias or tag).
	ErrWrongType = errors.New("wrong type")
	// ErrInvalidValue: a value of the right type that is not allowed (a
	// wrong apiVersion, a bad metric name, marginal above refuse, a
	// non-finite number).
	ErrInvalidValue = errors.New("invalid value")
)

// ParseError reports where input was rejected. Line is 1-based, 0 when the
// position is unknown (as for a Policy built in code); Field is a path such
// as "rules[2].marginal" (rules counted from 0), or a metric name for
// ParseMetrics, empty when the error concerns the whole document.
type ParseError struct {
	Line  int
	Field string
	Err   error
}

// Error returns "line N: field: message", leaving out the parts that are
// unknown.
func (e *ParseError) Error() string {
	s := ""
	if e.Line > 0 {
		s = "line " + strconv.Itoa(e.Line) + ": "
	}
	if e.Field != "" {
		s += e.Field + ": "
	}
	if e.Err == nil {
		return s + "invalid"
	}
	return s + e.Err.Error()
}

// Unwrap returns the underlying error, which matches one of the sentinels.
func (e *ParseError) Unwrap() error { return e.Err }

// kindError is a message that matches a sentinel with errors.Is without
// repeating the sentinel's text.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// fail builds a *ParseError whose Err has the given kind and message.
func fail(line int, field string, kind error, format string, args ...any) *ParseError {
	return &ParseError{Line: line, Field: field, Err: &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}}
}
