package policy

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse parses and validates a policy in YAML or JSON (see the package
// documentation for the format). Every error is a *ParseError naming the
// line and field, whose Err matches one of the sentinel errors: ErrTooLarge,
// ErrSyntax, ErrUnknownField, ErrDuplicate, ErrMissingField, ErrWrongType or
// ErrInvalidValue.
func Parse(data []byte) (*Policy, error) {
	if len(data) > MaxInputSize {
		return nil, fail(0, "", ErrTooLarge, "policy exceeds %d bytes", MaxInputSize)
	}
	root, perr := decodeDocument(data)
	if perr != nil {
		return nil, perr
	}
	p, perr := decodePolicy(root)
	if perr != nil {
		return nil, perr
	}
	return p, nil
}

// isParserProblem reports whether msg is one of yaml.v3's parser messages
// (as opposed to its scanner's). For these yaml.v3 counts lines from 0 and
// leaves out line 0, so syntaxError adds 1.
func isParserProblem(msg string) bool {
	switch msg {
	case "did not find expected ',' or ']'",
		"did not find expected ',' or '}'",
		"did not find expected '-' indicator",
		"did not find expected <document start>",
		"did not find expected <stream-start>",
		"did not find expected key",
		"did not find expected node content",
		"found duplicate %TAG directive",
		"found duplicate %YAML directive",
		"found incompatible YAML document",
		"found undefined tag handle":
		return true
	}
	return false
}

// syntaxError turns a yaml.v3 error ("yaml: line N: message") into a
// *ParseError with its line, or the line fallback when the error has none.
func syntaxError(err error, fallback int) *ParseError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, text, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil && n > 0 {
				line, msg = n, text
			}
		}
	}
	switch {
	case isParserProblem(msg):
		line++
	case line == 0:
		line = fallback
	}
	return fail(line, "", ErrSyntax, "%s", msg)
}

// decodeDocument reads exactly one YAML document and returns its root node.
func decodeDocument(data []byte) (*yaml.Node, *ParseError) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := safeDecode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fail(0, "", ErrSyntax, "empty document")
		}
		perr := syntaxError(err, 0)
		if isParserProblem(plainMessage(err)) {
			perr.Line = problemLine(data, perr.Line)
		}
		return nil, perr
	}
	var next yaml.Node
	switch err := safeDecode(dec, &next); {
	case err == nil:
		return nil, fail(next.Line, "", ErrSyntax, "more than one document")
	case !errors.Is(err, io.EOF):
		perr := syntaxError(err, lastLine(&doc))
		perr.Err = &kindError{ErrSyntax, "data after the document: " + perr.Err.Error()}
		return nil, perr
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fail(doc.Line, "", ErrSyntax, "not a single document")
	}
	return doc.Content[0], nil
}

// safeDecode runs one yaml.v3 Decode and turns a panic inside the parser,
// should malformed input ever provoke one, into an error.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("yaml: malformed input")
		}
	}()
	return dec.Decode(n)
}

func lastLine(n *yaml.Node) int {
	l := n.Line
	for _, c := range n.Content {
		l = max(l, lastLine(c))
	}
	return l
}

// plain rejects the YAML features a policy never needs: aliases, anchors and
// explicit tags.
func plain(n *yaml.Node, field string) *ParseError {
	switch {
	case n.Kind == yaml.AliasNode:
		return fail(n.Line, field, ErrWrongType, "aliases are not allowed")
	case n.Anchor != "":
		return fail(n.Line, field, ErrWrongType, "anchors are not allowed")
	case n.Style&yaml.TaggedStyle != 0:
		return fail(n.Line, field, ErrWrongType, "explicit tags are not allowed")
	}
	return nil
}

// mapping is a YAML mapping whose keys have been checked: each known key
// at most once.
type mapping struct {
	line   int
	values map[string]*yaml.Node
	lines  map[string]int // line of each key
}

// decodeMapping checks that n is a mapping whose keys are plain strings from
// known, each given once. what names n in a type error.
func decodeMapping(n *yaml.Node, path, what string, known ...string) (*mapping, *ParseError) {
	if perr := plain(n, path); perr != nil {
		return nil, perr
	}
	if n.Kind != yaml.MappingNode {
		return nil, fail(n.Line, path, ErrWrongType, "%s must be a mapping", what)
	}
	m := &mapping{line: n.Line, values: map[string]*yaml.Node{}, lines: map[string]int{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if perr := plain(k, path); perr != nil {
			return nil, perr
		}
		// A merge key (<<) is a string that is never a known field.
		if k.Kind != yaml.ScalarNode || (k.ShortTag() != "!!str" && k.ShortTag() != "!!merge") {
			return nil, fail(k.Line, path, ErrWrongType, "keys must be strings")
		}
		field := join(path, k.Value)
		if !contains(known, k.Value) {
			return nil, fail(k.Line, field, ErrUnknownField, "unknown field")
		}
		if first, dup := m.lines[k.Value]; dup {
			return nil, fail(k.Line, field, ErrDuplicate, "duplicate key (first on line %d)", first)
		}
		if perr := plain(v, field); perr != nil {
			return nil, perr
		}
		m.values[k.Value] = v
		m.lines[k.Value] = k.Line
	}
	return m, nil
}

// require returns the value of key or a missing-field error.
func (m *mapping) require(path, key string) (*yaml.Node, *ParseError) {
	if v, ok := m.values[key]; ok {
		return v, nil
	}
	return nil, fail(m.line, join(path, key), ErrMissingField, "required field is missing")
}

// lineOf returns the line of key's value, or the mapping's line.
func (m *mapping) lineOf(key string) int {
	if v, ok := m.values[key]; ok {
		return v.Line
	}
	return m.line
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// plainMessage is a yaml.v3 error's message without "yaml: line N: ".
func plainMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if _, text, ok := strings.Cut(rest, ": "); ok {
			return text
		}
	}
	return msg
}

// problemLine finds the line a parser error is really about. yaml.v3
// reports where the enclosing block starts ("while parsing a block
// collection" at line 5) rather than the line that broke it (a key
// indented one space too far at line 8). The first k lines of a document
// whose first k-1 lines parse, but which do not, end at the offending
// line: a binary search over line counts finds k in O(n log n). Without
// such a k (the whole input is needed to fail) it returns fallback.
func problemLine(data []byte, fallback int) int {
	ends := []int{}
	for i, c := range data {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		ends = append(ends, len(data))
	}
	fails := func(k int) bool { // do the first k lines fail to parse?
		var n yaml.Node
		dec := yaml.NewDecoder(bytes.NewReader(data[:ends[k-1]]))
		err := safeDecode(dec, &n)
		return err != nil && !errors.Is(err, io.EOF)
	}
	lo, hi := fallback, len(ends) // fails(hi) holds; search (lo, hi]
	if lo < 1 || lo > hi || fails(lo) {
		lo = 0
	}
	if hi == 0 || !fails(hi) {
		return fallback
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}
