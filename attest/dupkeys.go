package attest

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// maxDepth bounds JSON nesting in anything this package parses.
const maxDepth = 64

// checkJSONShape rejects JSON with a duplicate object key at any depth or
// nesting deeper than maxDepth. encoding/json keeps the last of duplicate
// keys where other parsers keep the first, so a signed document with
// duplicates could mean different things to different verifiers.
func checkJSONShape(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	type frame struct {
		object bool
		keys   map[string]bool
		expect bool // in an object: the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			if len(stack) == 0 && err.Error() == "EOF" {
				return nil
			}
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.expect {
			if key, ok := tok.(string); ok {
				if top.keys[key] {
					return fmt.Errorf("%w: duplicate key %q", ErrMalformed, key)
				}
				top.keys[key] = true
				top.expect = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) >= maxDepth {
				return fmt.Errorf("%w: nested deeper than %d", ErrMalformed, maxDepth)
			}
			if top != nil && top.object {
				top.expect = true
			}
			stack = append(stack, &frame{object: tok == json.Delim('{'), keys: map[string]bool{}, expect: tok == json.Delim('{')})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			continue
		}
		if top != nil && top.object {
			top.expect = true
		}
	}
}
