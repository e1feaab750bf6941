package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCheckJSONShape(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{`{"a":1,"b":{"a":2},"c":[{"a":1},{"a":1}]}`, true},
		{`{"a":1,"a":2}`, false},
		{`{"a":{"x":1,"x":1}}`, false},
		{`[{"k":"v","k":"w"}]`, false},
		{`{"a":"a","b":"a"}`, true},
		{`{"a":[],"b":{}}`, true},
		{strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1), false},
		{strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth), true},
		{`{"a":"}","a2":"\"{"}`, true},
		{`{"a":1,"\u0061":2}`, false},
		{`{"payload":"x","PAYLOAD":"y"}`, false},
		{`{"sig":"x","ſig":"y"}`, false},
		{`{"keyid":"x","Keyid":"y"}`, false},
		{`{"k":[1,{"k":2}],"j":{"k":3}}`, true},
		{`]`, false},
	}
	for _, tt := range tests {
		err := checkJSONShape([]byte(tt.in))
		if (err == nil) != tt.ok {
			t.Errorf("%.40s: err = %v, want ok=%v", tt.in, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("%.40s: %v does not wrap ErrMalformed", tt.in, err)
		}
	}
}

// FuzzCheckJSONShape: never panics; on valid JSON it agrees with a
// token-based reference for duplicate keys.
func FuzzCheckJSONShape(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":[{"a":2}]}`))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Add([]byte(`{"\u0061":1,"a":2}`))
	f.Add([]byte(`{"Payload":1,"pAYLOAD":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := checkJSONShape(b)
		if !json.Valid(b) {
			return
		}
		if want := referenceShape(b); (got == nil) != (want == nil) {
			t.Fatalf("checkJSONShape %v, reference %v on %q", got, want, b)
		}
	})
}

// referenceShape is the slow token-based check the scanner must agree with.
func referenceShape(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	var walk func(depth int) error
	walk = func(depth int) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			if depth >= maxDepth {
				return ErrMalformed
			}
			seen := map[string]bool{}
			for dec.More() {
				k, _ := dec.Token()
				key := foldKey(k.(string))
				if seen[key] {
					return ErrMalformed
				}
				seen[key] = true
				if err := walk(depth + 1); err != nil {
					return err
				}
			}
			_, err = dec.Token()
		case json.Delim('['):
			if depth >= maxDepth {
				return ErrMalformed
			}
			for dec.More() {
				if err := walk(depth + 1); err != nil {
					return err
				}
			}
			_, err = dec.Token()
		}
		return err
	}
	return walk(0)
}
