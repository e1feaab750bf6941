package attest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// maxDepth bounds JSON nesting in anything this package parses.
const maxDepth = 64

// checkJSONShape rejects JSON with a duplicate object key at any depth or
// nesting deeper than maxDepth. encoding/json keeps the last of duplicate
// keys where other parsers keep the first, so a signed document with
// duplicates could mean different things to different verifiers. It is a
// single pass over the bytes; syntax errors are left to the decoder that
// runs after it (on malformed input it may return nil or an error, but it
// never panics).
func checkJSONShape(b []byte) error { return checkShape(b, foldKey) }

// checkExactShape is checkJSONShape for documents read by exact field name
// (the DSSE envelope): keys that differ in case are different keys, and
// only keys equal after escapes are resolved are duplicates.
func checkExactShape(b []byte) error { return checkShape(b, func(k string) string { return k }) }

// checkShape rejects a duplicate key (keys compared after norm) at any
// depth and nesting deeper than maxDepth.
func checkShape(b []byte, norm func(string) string) error {
	type frame struct {
		object  bool
		wantKey bool
		keys    map[string]struct{}
	}
	var stack []frame
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			end, raw := scanString(b, i)
			if end < 0 {
				return fmt.Errorf("%w: unterminated string", ErrMalformed)
			}
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
				key, err := decodeKey(raw, norm)
				if err != nil {
					return err
				}
				top := &stack[n-1]
				if _, dup := top.keys[key]; dup {
					return fmt.Errorf("%w: duplicate key %q", ErrMalformed, key)
				}
				if top.keys == nil {
					top.keys = map[string]struct{}{}
				}
				top.keys[key] = struct{}{}
				top.wantKey = false
			}
			i = end
		case '{', '[':
			if len(stack) >= maxDepth {
				return fmt.Errorf("%w: nested deeper than %d", ErrMalformed, maxDepth)
			}
			stack = append(stack, frame{object: c == '{', wantKey: c == '{'})
		case '}', ']':
			if len(stack) == 0 {
				return fmt.Errorf("%w: unbalanced %q", ErrMalformed, c)
			}
			stack = stack[:len(stack)-1]
		case ',':
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].wantKey = true
			}
		}
	}
	return nil
}

// scanString returns the index of the closing quote of the string starting
// at b[start] and the raw bytes between the quotes, or -1 if unterminated.
func scanString(b []byte, start int) (int, []byte) {
	for j := start + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j, b[start+1 : j]
		}
	}
	return -1, nil
}

// decodeKey returns the key with escapes resolved ("a" and "\u0061" are
// one key), then normalised by norm: foldKey to match keys as
// encoding/json matches them to a field ("payload", "PAYLOAD" and "ſig" vs
// "sig" collide), so two keys that would fill the same field are
// duplicates.
func decodeKey(raw []byte, norm func(string) string) (string, error) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return norm(string(raw)), nil
	}
	var s string
	quoted := make([]byte, 0, len(raw)+2)
	quoted = append(append(append(quoted, '"'), raw...), '"')
	if err := json.Unmarshal(quoted, &s); err != nil {
		return "", fmt.Errorf("%w: bad key %s", ErrMalformed, quoted)
	}
	return norm(s), nil
}

// foldKey maps every spelling encoding/json treats as the same field name
// to one form (it folds case with Unicode simple folding, so U+017F and
// U+212A match 's' and 'k').
func foldKey(k string) string { return strings.ToLower(strings.ToUpper(k)) }
