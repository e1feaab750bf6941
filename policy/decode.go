package policy

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decodePolicy turns the root node into a validated Policy.
func decodePolicy(root *yaml.Node) (*Policy, *ParseError) {
	top, perr := decodeMapping(root, "", "a policy", "apiVersion", "kind", "name", "rules")
	if perr != nil {
		return nil, perr
	}
	p := &Policy{}
	for _, f := range []struct {
		key  string
		dst  *string
		want string
	}{{"apiVersion", &p.APIVersion, APIVersion}, {"kind", &p.Kind, Kind}, {"name", &p.Name, ""}} {
		n, perr := top.require("", f.key)
		if perr != nil {
			return nil, perr
		}
		if *f.dst, perr = decodeString(n, f.key); perr != nil {
			return nil, perr
		}
		err := checkName(*f.dst)
		if f.want != "" {
			err = checkHeader(*f.dst, f.want)
		}
		if err != nil {
			return nil, &ParseError{Line: n.Line, Field: f.key, Err: err}
		}
	}
	rules, perr := top.require("", "rules")
	if perr != nil {
		return nil, perr
	}
	if rules.Kind != yaml.SequenceNode {
		return nil, fail(rules.Line, "rules", ErrWrongType, "must be a list of rules")
	}
	if err := checkRuleCount(len(rules.Content)); err != nil {
		return nil, &ParseError{Line: rules.Line, Field: "rules", Err: err}
	}
	p.Rules = make([]Rule, len(rules.Content))
	seen := make(map[string]int, len(rules.Content))
	for i, n := range rules.Content {
		path := "rules[" + strconv.Itoa(i) + "]"
		r, m, perr := decodeRule(n, path)
		if perr != nil {
			return nil, perr
		}
		if j, dup := seen[r.Metric]; dup {
			return nil, fail(m.lineOf("metric"), path+".metric", ErrDuplicate,
				"second rule for metric %q (first is rules[%d])", r.Metric, j)
		}
		seen[r.Metric] = i
		p.Rules[i] = r
	}
	return p, nil
}

// decodeRule decodes and validates one rule.
func decodeRule(n *yaml.Node, path string) (Rule, *mapping, *ParseError) {
	var r Rule
	m, perr := decodeMapping(n, path, "a rule", "metric", "require", "marginal", "refuse", "missing", "description")
	if perr != nil {
		return r, nil, perr
	}
	// Decode in a fixed order so that the first error is deterministic.
	metric, perr := m.require(path, "metric")
	if perr != nil {
		return r, nil, perr
	}
	if r.Metric, perr = decodeString(metric, join(path, "metric")); perr != nil {
		return r, nil, perr
	}
	if v, ok := m.values["require"]; ok {
		b, perr := decodeBool(v, join(path, "require"))
		if perr != nil {
			return r, nil, perr
		}
		r.Require = &b
	}
	for _, f := range []struct {
		key string
		dst **float64
	}{{"marginal", &r.Marginal}, {"refuse", &r.Refuse}} {
		if v, ok := m.values[f.key]; ok {
			x, perr := decodeNumber(v, join(path, f.key))
			if perr != nil {
				return r, nil, perr
			}
			*f.dst = &x
		}
	}
	if v, ok := m.values["missing"]; ok {
		s, perr := decodeString(v, join(path, "missing"))
		if perr != nil {
			return r, nil, perr
		}
		if s != strings.ToLower(s) && s != strings.ToUpper(s) {
			return r, nil, fail(v.Line, join(path, "missing"), ErrInvalidValue, "must be allow, marginal or refuse")
		}
		r.Missing = Decision(strings.ToUpper(s))
	}
	if v, ok := m.values["description"]; ok {
		if r.Description, perr = decodeString(v, join(path, "description")); perr != nil {
			return r, nil, perr
		}
	}
	if key, err := r.check(); err != nil {
		field, line := path, m.line
		if key != "" {
			field, line = join(path, key), m.lineOf(key)
		}
		return r, nil, &ParseError{Line: line, Field: field, Err: err}
	}
	return r, m, nil
}

func decodeString(n *yaml.Node, field string) (string, *ParseError) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return "", fail(n.Line, field, ErrWrongType, "must be a string")
	}
	return n.Value, nil
}

func decodeBool(n *yaml.Node, field string) (bool, *ParseError) {
	if n.Kind != yaml.ScalarNode {
		return false, fail(n.Line, field, ErrWrongType, "must be true or false")
	}
	if n.ShortTag() != "!!bool" {
		return false, fail(n.Line, field, ErrWrongType, "must be true or false, not %q", n.Value)
	}
	switch n.Value {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fail(n.Line, field, ErrInvalidValue, "must be true or false, not %q", n.Value)
}

// decodeNumber accepts a plain scalar in JSON's number grammar. yaml.v3
// tags a number beyond float64's range as a string, so the grammar decides
// before the tag does.
func decodeNumber(n *yaml.Node, field string) (float64, *ParseError) {
	if n.Kind != yaml.ScalarNode {
		return 0, fail(n.Line, field, ErrWrongType, "must be a number")
	}
	tag := n.ShortTag()
	if n.Style == 0 && isJSONNumber(n.Value) {
		f, err := parseDecimal(n.Value)
		if err != nil {
			return 0, fail(n.Line, field, ErrInvalidValue, "number %s is out of range", n.Value)
		}
		return f, nil
	}
	if tag == "!!int" || tag == "!!float" {
		return 0, fail(n.Line, field, ErrInvalidValue, "must be a decimal number such as 2 or 0.5, not %q", n.Value)
	}
	return 0, fail(n.Line, field, ErrWrongType, "must be a number")
}
