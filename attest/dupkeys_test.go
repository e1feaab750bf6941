package attest

import (
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
		{`{"a":`, false},
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
