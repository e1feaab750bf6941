package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// Metrics are the values a run observed, by metric name.
type Metrics map[string]Value

// ParseMetrics parses a flat JSON object whose values are numbers or
// booleans, such as {"completed": true, "restarts": 1}. It is strict: keys
// must be metric names ([a-z0-9_], 1 to 64 bytes) and unique; null, strings,
// arrays, nested objects, numbers beyond float64, data after the object and
// input over MaxInputSize are errors. Every error is a *ParseError with the
// line and the key (Field) where known, wrapping one of the sentinels.
func ParseMetrics(data []byte) (Metrics, error) {
	if len(data) > MaxInputSize {
		return nil, fail(0, "", ErrTooLarge, "metrics exceed %d bytes", MaxInputSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	line := func() int { return 1 + bytes.Count(data[:dec.InputOffset()], []byte("\n")) }
	syntax := func(err error) error {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fail(line(), "", ErrSyntax, "not a JSON object of metrics such as {\"completed\": true, \"restarts\": 0}: %v", err)
	}

	tok, err := dec.Token()
	if err != nil {
		return nil, syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fail(line(), "", ErrWrongType, "metrics must be a JSON object")
	}
	m := Metrics{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntax(err)
		}
		key, _ := tok.(string) // inside an object, Token yields only string keys
		keyEnd := dec.InputOffset()
		keyLine := func() int { return 1 + bytes.Count(data[:keyEnd], []byte("\n")) }
		if !validMetricName(key) {
			return nil, fail(keyLine(), key, ErrInvalidValue, "metric name must be 1 to %d bytes of [a-z0-9_]", maxMetricLen)
		}
		if _, dup := m[key]; dup {
			return nil, fail(keyLine(), key, ErrDuplicate, "duplicate key")
		}
		tok, err = dec.Token()
		if err != nil {
			return nil, syntax(err)
		}
		switch t := tok.(type) {
		case bool:
			m[key] = Bool(t)
		case json.Number:
			f, err := parseDecimal(t.String())
			if err != nil {
				return nil, fail(line(), key, ErrInvalidValue, "number %s out of range", t)
			}
			m[key] = Num(f)
		default:
			return nil, fail(line(), key, ErrWrongType, "must be a number or a boolean, not %s", jsonKind(t))
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, syntax(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fail(line(), "", ErrSyntax, "unexpected data after the metrics object")
	}
	return m, nil
}

func jsonKind(tok json.Token) string {
	switch t := tok.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Delim:
		if t == '[' {
			return "an array"
		}
		return "an object"
	default:
		return "that"
	}
}

// validMetricName reports whether s is 1 to maxMetricLen bytes of [a-z0-9_].
func validMetricName(s string) bool {
	if len(s) == 0 || len(s) > maxMetricLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}
